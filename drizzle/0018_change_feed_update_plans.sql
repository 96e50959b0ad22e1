-- The update triggers of 0012 join a statement's old and new transition tables. plpgsql keeps a
-- statement's plan for the connection's life, made for the transition tables' sizes of its first
-- call: a nested loop chosen for a one-row update then compared every pair of rows of a 10,000-row
-- merge (tens of seconds instead of milliseconds). EXECUTE plans each call for the rows it has.
CREATE OR REPLACE FUNCTION "change_feed_transactions_updated"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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
  EXECUTE $q$
  INSERT INTO change_feed (user_id, item_id, kind, entity_id, account_id)
  SELECT i.user_id, n.item_id, 'liability.updated', n.account_id::text, n.account_id
  FROM new_rows n JOIN old_rows o ON o.account_id = n.account_id JOIN plaid_items i ON i.id = n.item_id
  WHERE (n.kind, n.detail) IS DISTINCT FROM (o.kind, o.detail)
  $q$;
  RETURN NULL;
END
$$;
