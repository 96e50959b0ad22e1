-- Backfill legacy accounts: the product their item was linked for when that is a known product,
-- otherwise 'transactions' (the only product the legacy app linked).
UPDATE "plaid_accounts" AS a
SET "product" = CASE
    WHEN i."product" IN ('transactions', 'investments', 'liabilities') THEN i."product"
    ELSE 'transactions'
  END
FROM "plaid_items" AS i
WHERE a."item_id" = i."id" AND a."product" IS NULL;--> statement-breakpoint
ALTER TABLE "plaid_accounts" ALTER COLUMN "product" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "plaid_accounts" ADD CONSTRAINT "accounts_product_check" CHECK ("plaid_accounts"."product" in ('transactions', 'investments', 'liabilities'));
