-- A first pull of a long history commits in checkpoints (data and a mid-pagination cursor together):
-- the item says when its stored cursor is such a checkpoint, and a run says while it waits for
-- Plaid's per-item rate limit.
ALTER TABLE "plaid_items" ADD COLUMN "transactions_cursor_partial" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "rate_limited_until" timestamp with time zone;