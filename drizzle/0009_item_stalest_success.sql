ALTER TABLE "plaid_items" ADD COLUMN "stalest_success_at" timestamp with time zone;--> statement-breakpoint
-- The item's sort key for "last successful sync" in the admin list: the oldest of its products' last
-- successes, null while one of them never succeeded. Volatile, so a trigger firing after a wait for
-- a row lock reads what the transaction it waited for committed.
CREATE FUNCTION "plaid_item_stalest_success"("target_item" uuid, "listed" text[]) RETURNS timestamp with time zone
LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN count(s.last_succeeded_at) < count(*) THEN NULL ELSE min(s.last_succeeded_at) END
  FROM (SELECT DISTINCT unnest(listed) AS product) AS p
  LEFT JOIN sync_state s ON s.item_id = target_item AND s.product = p.product
$$;--> statement-breakpoint
-- The products an item lists (a legacy item names one in "product").
CREATE FUNCTION "plaid_item_listed_products"("item" plaid_items) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(item.products) > 0 THEN item.products ELSE array_remove(ARRAY[item.product], NULL) END
$$;--> statement-breakpoint
-- Kept by the database rather than by each code path: a run's success (the statement that finishes
-- it sets sync_state.last_succeeded_at) and a change of the item's products (status check, update
-- mode) both move it.
CREATE FUNCTION "plaid_items_keep_stalest_success"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.stalest_success_at := plaid_item_stalest_success(NEW.id, plaid_item_listed_products(NEW));
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "plaid_items_stalest_success" BEFORE UPDATE OF "products", "product" ON "plaid_items"
FOR EACH ROW EXECUTE FUNCTION plaid_items_keep_stalest_success();--> statement-breakpoint
CREATE FUNCTION "sync_state_keep_item_stalest_success"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE plaid_items i SET stalest_success_at = plaid_item_stalest_success(i.id, plaid_item_listed_products(i))
  WHERE i.id = NEW.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "sync_state_item_stalest_success" AFTER INSERT OR UPDATE OF "last_succeeded_at" ON "sync_state"
FOR EACH ROW WHEN (NEW.last_succeeded_at IS NOT NULL) EXECUTE FUNCTION sync_state_keep_item_stalest_success();--> statement-breakpoint
UPDATE "plaid_items" i SET "stalest_success_at" = plaid_item_stalest_success(i.id, plaid_item_listed_products(i));
