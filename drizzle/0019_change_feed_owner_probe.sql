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
