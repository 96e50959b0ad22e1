CREATE TABLE "webhook_dispatch" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_dispatch_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"job" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
