-- Notifications to the app (docs/api.md, "Notifications"). What to notify is written by triggers in
-- the transaction that wrote the change feed (a signal) or the item's status (a notice), so it can
-- never be lost once the data commits; a dispatcher folds signals into one pending changes.available
-- notice per user and queues a delivery job for each pending notice not yet queued.
CREATE TABLE "app_notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event" text NOT NULL,
	"user_id" uuid NOT NULL,
	"item_ids" uuid[] DEFAULT '{}' NOT NULL,
	"products" text[] DEFAULT '{}' NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"queued" boolean DEFAULT false NOT NULL,
	-- Asked from the admin page: the dispatcher queues one more delivery, whatever the status.
	"redeliver_requested" boolean DEFAULT false NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"last_attempt_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "app_notifications_event_check" CHECK ("event" in ('changes.available', 'item.status_changed')),
	CONSTRAINT "app_notifications_status_check" CHECK ("status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
-- Coalescing: a user has at most one undelivered changes.available notice; later changes merge into it.
CREATE UNIQUE INDEX "app_notifications_one_pending_per_user" ON "app_notifications" USING btree ("user_id") WHERE "event" = 'changes.available' AND "status" = 'pending';--> statement-breakpoint
CREATE INDEX "app_notifications_unqueued_idx" ON "app_notifications" USING btree ("created_at") WHERE ("status" = 'pending' AND NOT "queued") OR "redeliver_requested";--> statement-breakpoint
CREATE INDEX "app_notifications_updated_at_idx" ON "app_notifications" USING btree ("updated_at" DESC);--> statement-breakpoint
CREATE TABLE "app_notification_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "app_notification_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"notification_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"outcome" text NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_notification_attempts_notification_fk" FOREIGN KEY ("notification_id") REFERENCES "app_notifications"("id") ON DELETE CASCADE,
	CONSTRAINT "app_notification_attempts_outcome_check" CHECK ("outcome" in ('delivered', 'http_error', 'timeout', 'network_error'))
);
--> statement-breakpoint
CREATE INDEX "app_notification_attempts_notification_idx" ON "app_notification_attempts" USING btree ("notification_id", "attempted_at");--> statement-breakpoint
-- What a data transaction leaves for the dispatcher: one row per user per statement that wrote the
-- change feed. Append-only, so a long sync never holds a lock another user's (or the same user's)
-- sync needs; the dispatcher folds these into the coalesced notices in a short transaction of its own.
CREATE TABLE "app_notification_signals" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "app_notification_signals_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 100),
	"user_id" uuid NOT NULL,
	"item_ids" uuid[] DEFAULT '{}' NOT NULL,
	"products" text[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE FUNCTION "app_notification_signals_from_change_feed"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app_notification_signals (user_id, item_ids, products)
  SELECT r.user_id,
    coalesce(array_agg(DISTINCT r.item_id) FILTER (WHERE r.item_id IS NOT NULL), '{}'),
    coalesce(array_agg(DISTINCT r.product) FILTER (WHERE r.product IS NOT NULL), '{}')
  FROM (
    SELECT n.user_id, n.item_id,
      CASE split_part(n.kind, '.', 1)
        WHEN 'transaction' THEN 'transactions'
        WHEN 'holding' THEN 'investments'
        WHEN 'security' THEN 'investments'
        WHEN 'investment_transaction' THEN 'investments'
        WHEN 'liability' THEN 'liabilities'
      END AS product
    FROM new_rows n
  ) r
  GROUP BY r.user_id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "app_notification_signals_from_change_feed" AFTER INSERT ON "change_feed" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "app_notification_signals_from_change_feed"();--> statement-breakpoint
CREATE FUNCTION "app_notifications_from_item_status"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO app_notifications (event, user_id, item_ids, detail)
  SELECT 'item.status_changed', n.user_id, ARRAY[n.id], jsonb_build_object('old_status', o.status, 'new_status', n.status)
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE n.status IS DISTINCT FROM o.status;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "app_notifications_from_item_status" AFTER UPDATE ON "plaid_items" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "app_notifications_from_item_status"();
