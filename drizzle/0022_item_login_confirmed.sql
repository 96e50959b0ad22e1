-- When Plaid last confirmed that the item works (update mode completed, LOGIN_REPAIRED, a clean sync
-- of a broken item, a healthy status check). Plaid retries a webhook delivery for up to 24 hours and
-- does not keep order, so an ITEM_LOGIN_REQUIRED webhook for an item confirmed working since then is
-- checked with /item/get instead of undoing the repair (src/webhooks/item-webhook-handler.ts).
ALTER TABLE "plaid_items" ADD COLUMN "login_confirmed_at" timestamp with time zone;
