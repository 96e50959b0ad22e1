-- The same functions as 0009, in plpgsql: a SQL-language function called from a trigger is planned
-- on every call (~0.2 ms of every successful run), a plpgsql one keeps its plans per connection.
-- And a success that leaves an item's stalest success where it was no longer writes a new version
-- of the item's row.
CREATE OR REPLACE FUNCTION "plaid_item_stalest_success"("target_item" uuid, "listed" text[]) RETURNS timestamp with time zone
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  missing boolean;
  stalest timestamp with time zone;
BEGIN
  SELECT count(s.last_succeeded_at) < count(*), min(s.last_succeeded_at) INTO missing, stalest
  FROM (SELECT DISTINCT unnest(listed) AS product) AS p
  LEFT JOIN sync_state s ON s.item_id = target_item AND s.product = p.product;
  RETURN CASE WHEN missing THEN NULL ELSE stalest END;
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "sync_state_keep_item_stalest_success"() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  item plaid_items;
  stalest timestamp with time zone;
BEGIN
  -- Locked first, as the UPDATE of 0009 did: a concurrent success for another product of the item
  -- commits before this reads sync_state, so neither computes without the other's change.
  SELECT * INTO item FROM plaid_items WHERE id = NEW.item_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  stalest := plaid_item_stalest_success(item.id, plaid_item_listed_products(item));
  IF stalest IS DISTINCT FROM item.stalest_success_at THEN
    UPDATE plaid_items SET stalest_success_at = stalest WHERE id = item.id;
  END IF;
  RETURN NULL;
END
$$;
