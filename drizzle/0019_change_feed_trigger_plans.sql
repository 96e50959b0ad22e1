-- The insert and delete triggers of 0012 look up each row's owner by joining the statement's
-- transition table with plaid_items. plpgsql keeps a statement's plan for the connection's life, made
-- at the first call: with a page of 200 rows and a few thousand items the planner hashes the whole of
-- plaid_items (cheaper in its eyes than 200 probes), and that plan stays while the table grows (a
-- sequential scan of every item for each page written). A statement's rows nearly always belong to
-- one item, so the owner is now looked up once per distinct item, by primary key (a lateral
-- subquery kept apart from the join by OFFSET 0, with sequential scans off for the function), whatever
-- the statistics were when the plan was made.
CREATE OR REPLACE FUNCTION "change_feed_transactions_inserted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'transaction.added', n.plaid_transaction_id, n.account_id
  FROM new_rows n JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM new_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = n.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_transactions_deleted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'transaction.removed', o.plaid_transaction_id, o.account_id
  FROM old_rows o JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM old_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = o.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_holdings_inserted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'holding.added', n.security_id, n.account_id
  FROM new_rows n JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM new_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = n.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_holdings_deleted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'holding.removed', o.security_id, o.account_id
  FROM old_rows o JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM old_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = o.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_investment_transactions_inserted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'investment_transaction.added', n.plaid_investment_transaction_id, n.account_id
  FROM new_rows n JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM new_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = n.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_investment_transactions_deleted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'investment_transaction.removed', o.plaid_investment_transaction_id, o.account_id
  FROM old_rows o JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM old_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = o.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_liabilities_inserted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'liability.updated', n.account_id::text, n.account_id
  FROM new_rows n JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM new_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = n.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_liabilities_deleted"() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, o.item_id, 'liability.removed', o.account_id::text, o.account_id
  FROM old_rows o JOIN (
    SELECT d.item_id, owner.user_id FROM (SELECT DISTINCT item_id FROM old_rows) d
    CROSS JOIN LATERAL (SELECT p.user_id FROM plaid_items p WHERE p.id = d.item_id OFFSET 0) owner
  ) i ON i.item_id = o.item_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The update triggers of 0018 plan their join anew at every firing (EXECUTE). An upsert fires them
-- even when it updated nothing (an INSERT ... ON CONFLICT DO UPDATE fires the UPDATE statement
-- triggers too, with empty transition tables), so every first sync of a page planned a join for no
-- rows: 0.3-0.45 ms a statement. They now return at once when nothing was updated.
CREATE OR REPLACE FUNCTION "change_feed_transactions_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'transaction.modified', n.plaid_transaction_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.plaid_transaction_id = n.plaid_transaction_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.account_id, n.amount::text, n.iso_currency_code, n.unofficial_currency_code, n.date, n.authorized_date, n.name, n.merchant_name, n.pending, n.pending_transaction_id, n.category_primary, n.category_detailed, n.payment_channel) IS DISTINCT FROM (o.account_id, o.amount::text, o.iso_currency_code, o.unofficial_currency_code, o.date, o.authorized_date, o.name, o.merchant_name, o.pending, o.pending_transaction_id, o.category_primary, o.category_detailed, o.payment_channel)
  $q$;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_holdings_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'holding.modified', n.security_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.account_id = n.account_id AND o.security_id = n.security_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.quantity::text, n.institution_price::text, n.institution_price_as_of, n.institution_value::text, n.cost_basis::text, n.iso_currency_code, n.unofficial_currency_code) IS DISTINCT FROM (o.quantity::text, o.institution_price::text, o.institution_price_as_of, o.institution_value::text, o.cost_basis::text, o.iso_currency_code, o.unofficial_currency_code)
  $q$;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_securities_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
  -- A security is nobody's own: its change goes to every user holding it, once per user.
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT DISTINCT i.user_id, NULL::uuid, 'security.updated', n.security_id, NULL::uuid
  FROM new_rows n JOIN old_rows o ON o.security_id = n.security_id
  JOIN investment_holdings h ON h.security_id = n.security_id JOIN plaid_items i ON i.id = h.item_id
  WHERE (n.name, n.ticker_symbol, n.type, n.subtype, n.close_price::text, n.close_price_as_of, n.iso_currency_code, n.unofficial_currency_code, n.cusip, n.isin, n.is_cash_equivalent) IS DISTINCT FROM (o.name, o.ticker_symbol, o.type, o.subtype, o.close_price::text, o.close_price_as_of, o.iso_currency_code, o.unofficial_currency_code, o.cusip, o.isin, o.is_cash_equivalent)
  $q$;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_investment_transactions_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'investment_transaction.modified', n.plaid_investment_transaction_id, n.account_id
  FROM new_rows n JOIN old_rows o ON o.plaid_investment_transaction_id = n.plaid_investment_transaction_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.account_id, n.security_id, n.date, n.name, n.quantity::text, n.amount::text, n.price::text, n.fees::text, n.type, n.subtype, n.iso_currency_code, n.unofficial_currency_code) IS DISTINCT FROM (o.account_id, o.security_id, o.date, o.name, o.quantity::text, o.amount::text, o.price::text, o.fees::text, o.type, o.subtype, o.iso_currency_code, o.unofficial_currency_code)
  $q$;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "change_feed_liabilities_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN RETURN NULL; END IF;
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'liability.updated', n.account_id::text, n.account_id
  FROM new_rows n JOIN old_rows o ON o.account_id = n.account_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.kind, n.detail) IS DISTINCT FROM (o.kind, o.detail)
  $q$;
  RETURN NULL;
END
$$;
