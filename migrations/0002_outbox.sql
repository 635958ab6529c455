CREATE TABLE "channel_pause" (
	"channel" text PRIMARY KEY NOT NULL,
	"paused_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"job" text NOT NULL,
	"slot" text NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	CONSTRAINT "job_runs_job_slot_pk" PRIMARY KEY("job","slot")
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"contact_id" integer NOT NULL,
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"kind" text NOT NULL,
	"payload" jsonb NOT NULL,
	"priority" smallint DEFAULT 5 NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_dedupe_key_uq" UNIQUE("dedupe_key"),
	CONSTRAINT "outbox_status_ck" CHECK (status in ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')),
	CONSTRAINT "outbox_priority_ck" CHECK (priority between 0 and 9)
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outbox_claim_idx" ON "outbox" USING btree ("channel","priority","due_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_inflight_idx" ON "outbox" USING btree ("channel","claimed_at") WHERE status = 'sending';--> statement-breakpoint
CREATE INDEX "outbox_pending_key_idx" ON "outbox" USING btree ("dedupe_key" text_pattern_ops) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_contact_idx" ON "outbox" USING btree ("contact_id");--> statement-breakpoint
-- Hand-added (drizzle-kit does not model storage parameters): the outbox is a queue, so
-- finished rows leave dead entries at the head of outbox_claim_idx that every claim walks
-- past until vacuum. Vacuum it every 10,000 dead rows instead of every 20% of the table.
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
