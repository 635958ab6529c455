CREATE TABLE "journeys" (
	"id" serial PRIMARY KEY NOT NULL,
	"contact_id" integer NOT NULL,
	"dependent_id" integer,
	"kind" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"anchor_at" timestamp with time zone,
	"ward_code" text,
	"marks" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"end_reason" text,
	CONSTRAINT "journeys_kind_ck" CHECK (kind in ('pregnancy', 'newborn', 'premarital', 'elderly')),
	CONSTRAINT "journeys_status_ck" CHECK (status in ('active', 'paused', 'ended'))
);
--> statement-breakpoint
ALTER TABLE "journeys" ADD CONSTRAINT "journeys_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journeys" ADD CONSTRAINT "journeys_dependent_id_dependents_id_fk" FOREIGN KEY ("dependent_id") REFERENCES "public"."dependents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "journeys" ADD CONSTRAINT "journeys_ward_code_wards_code_fk" FOREIGN KEY ("ward_code") REFERENCES "public"."wards"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "journeys_live_uq" ON "journeys" USING btree ("contact_id","kind",coalesce("dependent_id", 0)) WHERE status in ('active', 'paused');--> statement-breakpoint
CREATE INDEX "journeys_contact_idx" ON "journeys" USING btree ("contact_id");