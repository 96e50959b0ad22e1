-- An item's fields the app reads (docs/api.md, "Sync state, consent and new accounts on each item")
-- make a change of their own: `item.updated`, beside `item.status_changed` for its status. Until now
-- only the status did, so an app following the feed never learned of a consent about to end, a
-- pending disconnect, new accounts to share or an error code. Fields that move on their own (cursors,
-- updated_at, the admin list's sort key, the last status check) make none. A statement that changes
-- the status makes one item.status_changed and no item.updated: the record carries the rest.
CREATE OR REPLACE FUNCTION "change_feed_items_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT n.user_id, n.id,
    CASE WHEN n.status IS DISTINCT FROM o.status THEN 'item.status_changed' ELSE 'item.updated' END,
    n.id::text, NULL::uuid
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE n.status IS DISTINCT FROM o.status
    OR (n.error_code, n.new_accounts_available, n.consent_expires_at, n.pending_disconnect_at, n.institution_id, n.institution_name,
        n.product, n.products, n.entitled_products, n.unsupported_products)
      IS DISTINCT FROM (o.error_code, o.new_accounts_available, o.consent_expires_at, o.pending_disconnect_at, o.institution_id, o.institution_name,
        o.product, o.products, o.entitled_products, o.unsupported_products);
  RETURN NULL;
END
$$;
