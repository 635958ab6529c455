CREATE TABLE "broadcasts" (
	"id" serial PRIMARY KEY NOT NULL,
	"author_contact_id" integer,
	"audience" jsonb NOT NULL,
	"text" text NOT NULL,
	"campaign" text,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"recipients" integer DEFAULT 0 NOT NULL,
	"skipped_at_start" integer DEFAULT 0 NOT NULL,
	"outbox_from" bigint DEFAULT 0 NOT NULL,
	"outbox_to" bigint DEFAULT 0 NOT NULL,
	"progress_channel" text NOT NULL,
	"progress_chat" text NOT NULL,
	"progress_message_id" text,
	"progress_at" timestamp with time zone,
	"progress_text" text,
	"created_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"reported_at" timestamp with time zone,
	CONSTRAINT "broadcasts_status_ck" CHECK (status in ('scheduled', 'sending', 'paused', 'cancelled', 'done'))
);
--> statement-breakpoint
ALTER TABLE "broadcasts" ADD CONSTRAINT "broadcasts_author_contact_id_contacts_id_fk" FOREIGN KEY ("author_contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "broadcasts_author_created_idx" ON "broadcasts" USING btree ("author_contact_id","created_at");--> statement-breakpoint
CREATE INDEX "broadcasts_live_idx" ON "broadcasts" USING btree ("status") WHERE reported_at is null;