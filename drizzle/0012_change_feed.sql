-- The change feed (docs/adr/0006-change-feed-ordering.md): statement-level triggers write one feed row per
-- real change, set-based, in the transaction that made it. The triggers are named change_feed_* (the
-- sync benchmark turns them off by name to price the feed).
CREATE TABLE "change_feed" (
	"xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "change_feed_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1000),
	"user_id" uuid NOT NULL,
	"item_id" uuid,
	"kind" text NOT NULL,
	"entity_id" text NOT NULL,
	"account_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_feed_horizon" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"xid" "xid8" NOT NULL,
	"seq" bigint NOT NULL,
	"pruned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "change_feed_user_position_idx" ON "change_feed" USING btree ("user_id","xid","seq");--> statement-breakpoint
CREATE INDEX "change_feed_created_at_idx" ON "change_feed" USING brin ("created_at");--> statement-breakpoint
CREATE INDEX "investment_holdings_security_id_idx" ON "investment_holdings" USING btree ("security_id");
--> statement-breakpoint
CREATE FUNCTION "change_feed_transactions_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'transaction.added', n.plaid_transaction_id, n.account_id
  FROM new_rows n JOIN plaid_items i ON i.id = n.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_transactions_inserted" AFTER INSERT ON "plaid_transactions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_transactions_inserted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_transactions_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'transaction.modified', n.plaid_transaction_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.plaid_transaction_id = n.plaid_transaction_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.account_id, n.amount::text, n.iso_currency_code, n.unofficial_currency_code, n.date, n.authorized_date, n.name, n.merchant_name, n.pending, n.pending_transaction_id, n.category_primary, n.category_detailed, n.payment_channel) IS DISTINCT FROM (o.account_id, o.amount::text, o.iso_currency_code, o.unofficial_currency_code, o.date, o.authorized_date, o.name, o.merchant_name, o.pending, o.pending_transaction_id, o.category_primary, o.category_detailed, o.payment_channel);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_transactions_updated" AFTER UPDATE ON "plaid_transactions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_transactions_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_transactions_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'transaction.removed', o.plaid_transaction_id, o.account_id
  FROM old_rows o JOIN plaid_items i ON i.id = o.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_transactions_deleted" AFTER DELETE ON "plaid_transactions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_transactions_deleted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_holdings_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'holding.added', n.security_id, n.account_id
  FROM new_rows n JOIN plaid_items i ON i.id = n.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_holdings_inserted" AFTER INSERT ON "investment_holdings" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_holdings_inserted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_holdings_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'holding.modified', n.security_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.account_id = n.account_id AND o.security_id = n.security_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.quantity::text, n.institution_price::text, n.institution_price_as_of, n.institution_value::text, n.cost_basis::text, n.iso_currency_code, n.unofficial_currency_code) IS DISTINCT FROM (o.quantity::text, o.institution_price::text, o.institution_price_as_of, o.institution_value::text, o.cost_basis::text, o.iso_currency_code, o.unofficial_currency_code);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_holdings_updated" AFTER UPDATE ON "investment_holdings" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_holdings_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_holdings_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'holding.removed', o.security_id, o.account_id
  FROM old_rows o JOIN plaid_items i ON i.id = o.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_holdings_deleted" AFTER DELETE ON "investment_holdings" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_holdings_deleted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_securities_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- A security is nobody's own: its change goes to every user holding it, once per user.
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT DISTINCT i.user_id, NULL::uuid, 'security.updated', n.security_id, NULL::uuid
  FROM new_rows n JOIN old_rows o ON o.security_id = n.security_id
  JOIN investment_holdings h ON h.security_id = n.security_id JOIN plaid_items i ON i.id = h.item_id
  WHERE (n.name, n.ticker_symbol, n.type, n.subtype, n.close_price::text, n.close_price_as_of, n.iso_currency_code, n.unofficial_currency_code, n.cusip, n.isin, n.is_cash_equivalent) IS DISTINCT FROM (o.name, o.ticker_symbol, o.type, o.subtype, o.close_price::text, o.close_price_as_of, o.iso_currency_code, o.unofficial_currency_code, o.cusip, o.isin, o.is_cash_equivalent);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_securities_updated" AFTER UPDATE ON "securities" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_securities_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_investment_transactions_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'investment_transaction.added', n.plaid_investment_transaction_id, n.account_id
  FROM new_rows n JOIN plaid_items i ON i.id = n.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_investment_transactions_inserted" AFTER INSERT ON "investment_transactions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_investment_transactions_inserted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_investment_transactions_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'investment_transaction.modified', n.plaid_investment_transaction_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.plaid_investment_transaction_id = n.plaid_investment_transaction_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.account_id, n.security_id, n.date, n.name, n.quantity::text, n.amount::text, n.price::text, n.fees::text, n.type, n.subtype, n.iso_currency_code, n.unofficial_currency_code) IS DISTINCT FROM (o.account_id, o.security_id, o.date, o.name, o.quantity::text, o.amount::text, o.price::text, o.fees::text, o.type, o.subtype, o.iso_currency_code, o.unofficial_currency_code);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_investment_transactions_updated" AFTER UPDATE ON "investment_transactions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_investment_transactions_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_investment_transactions_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'investment_transaction.removed', o.plaid_investment_transaction_id, o.account_id
  FROM old_rows o JOIN plaid_items i ON i.id = o.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_investment_transactions_deleted" AFTER DELETE ON "investment_transactions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_investment_transactions_deleted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_liabilities_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'liability.updated', n.account_id::text, n.account_id
  FROM new_rows n JOIN plaid_items i ON i.id = n.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_liabilities_inserted" AFTER INSERT ON "liabilities" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_liabilities_inserted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_liabilities_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'liability.updated', n.account_id::text, n.account_id
  FROM new_rows n JOIN old_rows o ON o.account_id = n.account_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.kind, n.detail) IS DISTINCT FROM (o.kind, o.detail);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_liabilities_updated" AFTER UPDATE ON "liabilities" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_liabilities_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_liabilities_deleted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'liability.removed', o.account_id::text, o.account_id
  FROM old_rows o JOIN plaid_items i ON i.id = o.item_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_liabilities_deleted" AFTER DELETE ON "liabilities" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_liabilities_deleted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_accounts_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT n.user_id, n.item_id, 'account.added', n.id::text, n.id FROM new_rows n;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_accounts_inserted" AFTER INSERT ON "plaid_accounts" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_accounts_inserted"();--> statement-breakpoint
CREATE FUNCTION "change_feed_accounts_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- balances_updated_at and updated_at move on every fetch: only the data itself is a change.
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT n.user_id, n.item_id,
    CASE WHEN (n.status, n.replaced_by) IS DISTINCT FROM (o.status, o.replaced_by) THEN 'account.status_changed' ELSE 'account.updated' END,
    n.id::text, n.id
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE (n.status, n.replaced_by, n.product, n.name, n.official_name, n.mask, n.type, n.subtype, n.balance_available::text, n.balance_current::text, n.balance_limit::text, n.iso_currency_code, n.unofficial_currency_code, n.persistent_account_id) IS DISTINCT FROM (o.status, o.replaced_by, o.product, o.name, o.official_name, o.mask, o.type, o.subtype, o.balance_available::text, o.balance_current::text, o.balance_limit::text, o.iso_currency_code, o.unofficial_currency_code, o.persistent_account_id);
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_accounts_updated" AFTER UPDATE ON "plaid_accounts" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_accounts_updated"();--> statement-breakpoint
CREATE FUNCTION "change_feed_items_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT n.user_id, n.id, 'item.status_changed', n.id::text, NULL::uuid
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE n.status IS DISTINCT FROM o.status;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "change_feed_items_updated" AFTER UPDATE ON "plaid_items" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "change_feed_items_updated"();
