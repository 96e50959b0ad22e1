-- plaid_items.products holds the products the service syncs that Plaid lists on the item, sorted
-- (src/plaid/item-products.ts). The exchange and update mode stored Plaid's whole list as it came
-- (other products such as auth included, in Plaid's order) until the hourly status check replaced it,
-- so the item API's `products` changed an hour after a link with no change at Plaid, and the app's
-- change feed read it as a change of the item. Rows stored that way are put in the same form now
-- (each one changed is an `item.updated` in the feed, once).
UPDATE "plaid_items" i
SET "products" = n.products
FROM (
  SELECT id, ARRAY(
    SELECT DISTINCT p FROM unnest(products) AS p
    WHERE p IN ('transactions', 'investments', 'liabilities')
    ORDER BY p
  ) AS products
  FROM "plaid_items"
) n
WHERE n.id = i.id AND i."products" IS DISTINCT FROM n.products;
