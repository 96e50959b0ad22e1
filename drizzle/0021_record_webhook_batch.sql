-- The webhook intake's whole write for a group-commit batch, as one autocommit statement: one round
-- trip, and its COMMIT is the acknowledgement (postgres.js resolves a statement at ReadyForQuery,
-- after the implicit transaction committed).
--
-- Two copies of one delivery in different batches must not both see "no earlier copy": the body
-- locks are taken first (in one order, so two batches cannot deadlock), and the deciding insert is a
-- later statement of this VOLATILE function, so under READ COMMITTED it runs with a snapshot taken
-- after the locks and sees a copy committed by whoever held a lock before. Then each item id's lock,
-- shared: an exchange storing that item takes it exclusively before it commits, so a delivery
-- recorded `orphan` here is committed before the exchange looks for orphans to adopt (see
-- src/webhooks/orphan-adoption.ts).
--
-- The insert's plan is kept (generic) for the connection: planned anew for every batch, its planning
-- took longer than running it. A plan kept since the table was small (or analyzed empty) would keep
-- a join reading the whole table while it grows, so the lookup of earlier copies is a lateral probe
-- per delivery that only webhook_events_dedupe_idx can serve, with sequential scans off while the
-- function runs.
--
-- Rows that ask for a job (a processed sync webhook, a received item webhook) also get their
-- webhook_dispatch row, from which the dispatcher makes the jobs after the commit.
CREATE OR REPLACE FUNCTION "record_webhook_batch"(
  p_ids uuid[], p_types text[], p_codes text[], p_plaid_item_ids text[], p_body_sha256 text[],
  p_verification_sha256 text[], p_bodies text[], p_actions text[], p_products text[], p_first boolean[],
  p_window_seconds double precision, p_item_lock_class integer
) RETURNS TABLE ("id" uuid, "status" text, "item_id" uuid)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
  PERFORM pg_advisory_xact_lock(locks.key)
  FROM (SELECT DISTINCT hashtextextended(sha, 0) AS key FROM unnest(p_body_sha256) AS sha ORDER BY 1) AS locks;
  PERFORM pg_advisory_xact_lock_shared(p_item_lock_class, hashtext(items.plaid_item_id))
  FROM (SELECT DISTINCT plaid_item_id FROM unnest(p_plaid_item_ids) AS plaid_item_id WHERE plaid_item_id IS NOT NULL) AS items;

  RETURN QUERY
  WITH input AS (
    SELECT * FROM unnest(p_ids, p_types, p_codes, p_plaid_item_ids, p_body_sha256, p_verification_sha256, p_bodies, p_actions, p_products, p_first)
      WITH ORDINALITY AS input(id, webhook_type, webhook_code, plaid_item_id, body_sha256, verification_sha256, body, action, product, first, ordinal)
  ),
  decided AS (
    SELECT input.*, item.id AS item_id,
      CASE
        WHEN NOT input.first THEN 'duplicate'
        -- The very same signed delivery again (a redelivery, a replay inside the token's lifetime).
        WHEN earlier.same_delivery THEN 'duplicate'
        -- Another delivery of the same body (same_delivery is null only when there is none): for an
        -- item webhook, the same event.
        WHEN input.action <> 'sync' AND earlier.same_delivery IS NOT NULL THEN 'duplicate'
        -- A sync webhook's body is the same for every change, so another delivery of it may announce
        -- a change nothing has fetched yet: it is processed, and the queue absorbs its job while one
        -- for the same item and product is still waiting.
        WHEN input.action = 'none' THEN 'ignored'
        WHEN item.id IS NULL THEN 'orphan'
        WHEN item.status = 'disconnected' THEN 'ignored'
        WHEN input.action = 'sync' THEN 'processed'
        ELSE 'received'
      END AS status
    FROM input LEFT JOIN plaid_items item ON item.plaid_item_id = input.plaid_item_id
    CROSS JOIN LATERAL (
      SELECT bool_or(earlier.verification_sha256 = input.verification_sha256) AS same_delivery
      FROM webhook_events earlier
      WHERE earlier.plaid_item_id = input.plaid_item_id AND earlier.webhook_type = input.webhook_type
        AND earlier.webhook_code = input.webhook_code AND earlier.body_sha256 = input.body_sha256
        -- Given the equalities, this is received_at > now() - window; as a row comparison in the
        -- index's column order, no other index of the table can serve it.
        AND (earlier.plaid_item_id, earlier.webhook_type, earlier.webhook_code, earlier.body_sha256, earlier.received_at)
          > (input.plaid_item_id, input.webhook_type, input.webhook_code, input.body_sha256, now() - make_interval(secs => p_window_seconds))
    ) AS earlier
  ),
  recorded AS (
    INSERT INTO webhook_events (id, webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, verification_sha256, status, processed_at)
    SELECT decided.id, decided.webhook_type, decided.webhook_code, decided.plaid_item_id, decided.item_id, decided.body::jsonb,
      decided.body_sha256, decided.verification_sha256, decided.status,
      CASE WHEN decided.status = 'received' THEN NULL ELSE now() END
    FROM decided
    RETURNING webhook_events.id, webhook_events.status, webhook_events.item_id
  ),
  -- Inserted in the batch's order, so the dispatcher's order (the identity) is the order of arrival.
  queued AS (
    INSERT INTO webhook_dispatch (event_id, item_id, job)
    SELECT decided.id, decided.item_id, CASE WHEN decided.status = 'processed' THEN decided.product ELSE 'item' END
    FROM decided
    WHERE decided.status IN ('processed', 'received')
    ORDER BY decided.ordinal
  )
  SELECT recorded.id, recorded.status, recorded.item_id FROM recorded;
END
$$;
