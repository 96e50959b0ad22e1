ALTER TABLE "plaid_items" ADD COLUMN "entitled_products" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- Items linked before entitlement keep every product the service already called for them: the
-- products Plaid listed, the linked product and the products of their live accounts. Plaid added
-- (and bills) each of those on the first call, so keeping them costs nothing new; dropping them
-- would silently stop syncing data the app already shows.
UPDATE "plaid_items" i SET "entitled_products" = array(
  SELECT DISTINCT p.product FROM (
    SELECT unnest(i.products) AS product
    UNION ALL SELECT i.product
    UNION ALL SELECT a.product FROM plaid_accounts a WHERE a.item_id = i.id AND a.status = 'active'
  ) AS p
  WHERE p.product IN ('transactions', 'investments', 'liabilities')
  ORDER BY p.product
);--> statement-breakpoint
-- "Last successful sync" covers the products the item is synced for, which are now its entitled ones.
CREATE OR REPLACE FUNCTION "plaid_item_listed_products"("item" plaid_items) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN cardinality(item.entitled_products) > 0 THEN item.entitled_products
    WHEN cardinality(item.products) > 0 THEN item.products
    ELSE array_remove(ARRAY[item.product], NULL) END
$$;--> statement-breakpoint
DROP TRIGGER "plaid_items_stalest_success" ON "plaid_items";--> statement-breakpoint
CREATE TRIGGER "plaid_items_stalest_success" BEFORE UPDATE OF "products", "product", "entitled_products" ON "plaid_items"
FOR EACH ROW EXECUTE FUNCTION plaid_items_keep_stalest_success();--> statement-breakpoint
UPDATE "plaid_items" i SET "stalest_success_at" = plaid_item_stalest_success(i.id, plaid_item_listed_products(i));
