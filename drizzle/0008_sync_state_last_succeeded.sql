ALTER TABLE "sync_state" ADD COLUMN "last_succeeded_at" timestamp with time zone;--> statement-breakpoint
-- Filled from the run history: the finish time of each (item, product)'s newest succeeded run, the
-- run the admin list shows as its last successful sync. Runs that succeed from now on write it
-- themselves, in their commit.
INSERT INTO "sync_state" ("item_id", "product", "last_succeeded_at")
SELECT DISTINCT ON ("item_id", "product") "item_id", "product", "finished_at"
FROM "sync_runs"
WHERE "status" = 'succeeded'
ORDER BY "item_id", "product", "started_at" DESC
ON CONFLICT ("item_id", "product") DO UPDATE SET "last_succeeded_at" = EXCLUDED."last_succeeded_at";
