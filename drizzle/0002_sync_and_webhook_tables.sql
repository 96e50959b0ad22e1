CREATE TABLE "investment_holdings" (
	"account_id" uuid NOT NULL,
	"security_id" text NOT NULL,
	"item_id" uuid NOT NULL,
	"quantity" numeric NOT NULL,
	"institution_price" numeric NOT NULL,
	"institution_price_as_of" date,
	"institution_value" numeric NOT NULL,
	"cost_basis" numeric,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "investment_holdings_pkey" PRIMARY KEY("account_id","security_id")
);
--> statement-breakpoint
CREATE TABLE "investment_transactions" (
	"plaid_investment_transaction_id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"security_id" text,
	"date" date NOT NULL,
	"name" text NOT NULL,
	"quantity" numeric NOT NULL,
	"amount" numeric NOT NULL,
	"price" numeric NOT NULL,
	"fees" numeric,
	"type" text NOT NULL,
	"subtype" text,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "securities" (
	"security_id" text PRIMARY KEY NOT NULL,
	"name" text,
	"ticker_symbol" text,
	"type" text,
	"subtype" text,
	"close_price" numeric,
	"close_price_as_of" date,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"cusip" text,
	"isin" text,
	"is_cash_equivalent" boolean,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "liabilities" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"detail" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "liabilities_kind_check" CHECK ("liabilities"."kind" in ('credit', 'mortgage', 'student'))
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"product" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"owner" text,
	"pages" integer DEFAULT 0 NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"modified" integer DEFAULT 0 NOT NULL,
	"removed" integer DEFAULT 0 NOT NULL,
	"error_code" text,
	"error_message" text,
	CONSTRAINT "sync_runs_status_check" CHECK ("sync_runs"."status" in ('running', 'succeeded', 'failed', 'abandoned')),
	CONSTRAINT "sync_runs_product_check" CHECK ("sync_runs"."product" in ('transactions', 'investments', 'liabilities'))
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"webhook_type" text NOT NULL,
	"webhook_code" text NOT NULL,
	"plaid_item_id" text,
	"item_id" uuid,
	"body" jsonb NOT NULL,
	"body_sha256" text NOT NULL,
	"status" text DEFAULT 'received' NOT NULL,
	"error" text,
	"processed_at" timestamp with time zone,
	CONSTRAINT "webhook_events_status_check" CHECK ("webhook_events"."status" in ('received', 'processed', 'ignored', 'orphan', 'duplicate', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "investment_holdings" ADD CONSTRAINT "investment_holdings_account_id_plaid_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investment_holdings" ADD CONSTRAINT "investment_holdings_security_id_securities_security_id_fk" FOREIGN KEY ("security_id") REFERENCES "public"."securities"("security_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investment_holdings" ADD CONSTRAINT "investment_holdings_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investment_transactions" ADD CONSTRAINT "investment_transactions_account_id_plaid_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investment_transactions" ADD CONSTRAINT "investment_transactions_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "liabilities" ADD CONSTRAINT "liabilities_account_id_plaid_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "liabilities" ADD CONSTRAINT "liabilities_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "investment_holdings_item_id_idx" ON "investment_holdings" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "investment_transactions_account_date_idx" ON "investment_transactions" USING btree ("account_id","date");--> statement-breakpoint
CREATE INDEX "investment_transactions_item_id_idx" ON "investment_transactions" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "liabilities_item_id_idx" ON "liabilities" USING btree ("item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_runs_one_running_key" ON "sync_runs" USING btree ("item_id","product") WHERE "sync_runs"."status" = 'running';--> statement-breakpoint
CREATE INDEX "sync_runs_item_product_started_idx" ON "sync_runs" USING btree ("item_id","product","started_at" desc);--> statement-breakpoint
CREATE INDEX "sync_runs_started_at_idx" ON "sync_runs" USING btree ("started_at" desc);--> statement-breakpoint
CREATE INDEX "webhook_events_dedupe_idx" ON "webhook_events" USING btree ("plaid_item_id","webhook_type","webhook_code","body_sha256","received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_received_at_idx" ON "webhook_events" USING btree ("received_at" desc);--> statement-breakpoint
CREATE INDEX "webhook_events_item_id_idx" ON "webhook_events" USING btree ("item_id","received_at" desc);