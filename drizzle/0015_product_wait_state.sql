ALTER TABLE "sync_state" ADD COLUMN "state" text;--> statement-breakpoint
ALTER TABLE "sync_state" ADD COLUMN "state_code" text;--> statement-breakpoint
ALTER TABLE "sync_state" ADD COLUMN "state_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sync_state" ADD CONSTRAINT "sync_state_state_check" CHECK ("sync_state"."state" in ('no_accounts', 'consent_required', 'not_ready'));