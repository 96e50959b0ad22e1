-- When the user last finished Link in update mode for the item (reauth-complete). Update mode answers
-- NEW_ACCOUNTS_AVAILABLE, PENDING_DISCONNECT and PENDING_EXPIRATION; such a webhook received before it
-- and applied after (a busy worker, an operator's replay) must not raise the warning again
-- (src/webhooks/item-webhook-handler.ts).
ALTER TABLE "plaid_items" ADD COLUMN "updated_in_link_at" timestamp with time zone;
