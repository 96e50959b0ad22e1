-- A product's wait state is part of the item the app reads (`sync.<product>.state` and `state_code`,
-- docs/api.md, "Sync state, consent and new accounts on each item"): entering one (no accounts,
-- consent or a permission missing, not ready) or leaving it makes an `item.updated` in the feed, in
-- the transaction that changed it, so an app following the feed learns that a product waits for the
-- user (update mode) without polling. What moves with every run (`last_succeeded_at`, `in_progress`,
-- `last_error`) makes none, as cursors make none on the item. Row triggers with a WHEN condition: a
-- succeeded run's commit writes `state = null` on every run, and the condition is checked without
-- calling the function, so a run that changes nothing pays nothing.
CREATE FUNCTION "change_feed_product_state_changed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT p.user_id, p.id, 'item.updated', p.id::text, NULL::uuid FROM plaid_items p WHERE p.id = NEW.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "change_feed_product_state_inserted" AFTER INSERT ON "sync_state"
  FOR EACH ROW WHEN (NEW.state IS NOT NULL) EXECUTE FUNCTION "change_feed_product_state_changed"();
--> statement-breakpoint
CREATE TRIGGER "change_feed_product_state_updated" AFTER UPDATE OF "state", "state_code" ON "sync_state"
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.state_code IS DISTINCT FROM NEW.state_code)
  EXECUTE FUNCTION "change_feed_product_state_changed"();
