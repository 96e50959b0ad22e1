CREATE TABLE "sync_staged_records" (
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_staged_transactions" (
	"run_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"kind" smallint NOT NULL,
	"transaction_id" text NOT NULL,
	"account_id" text NOT NULL,
	"amount" numeric,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"date" date,
	"authorized_date" date,
	"name" text,
	"merchant_name" text,
	"pending" boolean,
	"pending_transaction_id" text,
	"category_primary" text,
	"category_detailed" text,
	"payment_channel" text
);
--> statement-breakpoint
CREATE TABLE "sync_state" (
	"item_id" uuid NOT NULL,
	"product" text NOT NULL,
	"follow_up_requested" boolean DEFAULT false NOT NULL,
	"follow_up_trigger" text,
	"synced_through" date,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_state_pkey" PRIMARY KEY("item_id","product"),
	CONSTRAINT "sync_state_product_check" CHECK ("sync_state"."product" in ('transactions', 'investments', 'liabilities'))
);
--> statement-breakpoint
ALTER TABLE "sync_state" ADD CONSTRAINT "sync_state_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sync_staged_records_run_idx" ON "sync_staged_records" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "sync_staged_transactions_run_idx" ON "sync_staged_transactions" USING btree ("run_id");