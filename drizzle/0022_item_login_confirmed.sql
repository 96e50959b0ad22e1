-- When the item's broken login (needs_reauth) was last repaired (update mode completed, LOGIN_REPAIRED,
-- a clean sync, a healthy status check). Plaid retries a webhook delivery for up to 24 hours and does
-- not keep order, so an ITEM_LOGIN_REQUIRED webhook that may predate the repair is checked with
-- /item/get instead of undoing it (src/webhooks/item-webhook-handler.ts).
ALTER TABLE "plaid_items" ADD COLUMN "login_confirmed_at" timestamp with time zone;
