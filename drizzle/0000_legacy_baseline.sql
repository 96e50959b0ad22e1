CREATE TABLE "plaid_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"plaid_item_id" text NOT NULL,
	"institution_id" text,
	"institution_name" text,
	"access_token_ciphertext" text NOT NULL,
	"access_token_key_id" text NOT NULL,
	"product" text,
	"products" text[] DEFAULT '{}'::text[] NOT NULL,
	"unsupported_products" text[] DEFAULT '{}'::text[] NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"error_code" text,
	"error_message" text,
	"consent_expires_at" timestamp with time zone,
	"pending_disconnect_at" timestamp with time zone,
	"new_accounts_available" boolean DEFAULT false NOT NULL,
	"transactions_cursor" text,
	"last_status_check_at" timestamp with time zone,
	"disconnected_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plaid_items_plaid_item_id_key" UNIQUE("plaid_item_id"),
	CONSTRAINT "plaid_items_status_check" CHECK ("plaid_items"."status" in ('active', 'needs_reauth', 'disconnected'))
);
--> statement-breakpoint
CREATE TABLE "account_extended" (
	"account_id" uuid PRIMARY KEY NOT NULL,
	"nickname" text,
	"notes" text,
	"payment_status" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plaid_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"plaid_account_id" text NOT NULL,
	"product" text,
	"status" text DEFAULT 'active' NOT NULL,
	"replaced_by" uuid,
	"name" text NOT NULL,
	"official_name" text,
	"mask" text,
	"type" text NOT NULL,
	"subtype" text,
	"balance_available" numeric,
	"balance_current" numeric,
	"balance_limit" numeric,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"persistent_account_id" text,
	"balances_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plaid_accounts_plaid_account_id_key" UNIQUE("plaid_account_id"),
	CONSTRAINT "plaid_accounts_status_check" CHECK ("plaid_accounts"."status" in ('active', 'inactive', 'replaced'))
);
--> statement-breakpoint
CREATE TABLE "plaid_transactions" (
	"plaid_transaction_id" text PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"amount" numeric NOT NULL,
	"iso_currency_code" text,
	"unofficial_currency_code" text,
	"date" date NOT NULL,
	"authorized_date" date,
	"name" text NOT NULL,
	"merchant_name" text,
	"pending" boolean DEFAULT false NOT NULL,
	"pending_transaction_id" text,
	"category_primary" text,
	"category_detailed" text,
	"payment_channel" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_extended" ADD CONSTRAINT "account_extended_account_id_plaid_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_accounts" ADD CONSTRAINT "plaid_accounts_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_accounts" ADD CONSTRAINT "plaid_accounts_replaced_by_plaid_accounts_id_fk" FOREIGN KEY ("replaced_by") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_transactions" ADD CONSTRAINT "plaid_transactions_account_id_plaid_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."plaid_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_transactions" ADD CONSTRAINT "plaid_transactions_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_items_user_institution_live_key" ON "plaid_items" USING btree ("user_id","institution_id") WHERE "plaid_items"."status" <> 'disconnected';--> statement-breakpoint
CREATE INDEX "plaid_items_user_id_idx" ON "plaid_items" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "plaid_items_status_idx" ON "plaid_items" USING btree ("status");--> statement-breakpoint
CREATE INDEX "plaid_accounts_item_id_idx" ON "plaid_accounts" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "plaid_accounts_user_id_idx" ON "plaid_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "plaid_transactions_account_date_idx" ON "plaid_transactions" USING btree ("account_id","date" desc,"plaid_transaction_id" desc);--> statement-breakpoint
CREATE INDEX "plaid_transactions_item_id_idx" ON "plaid_transactions" USING btree ("item_id");