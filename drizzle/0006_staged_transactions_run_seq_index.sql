DROP INDEX "sync_staged_transactions_run_idx";--> statement-breakpoint
CREATE INDEX "sync_staged_transactions_run_seq_idx" ON "sync_staged_transactions" USING btree ("run_id","seq");