CREATE TABLE "ticket_messages" (
	"id" serial PRIMARY KEY NOT NULL,
	"ticket_id" integer NOT NULL,
	"sender" text NOT NULL,
	"author_contact_id" integer,
	"text" text NOT NULL,
	"flagged" boolean DEFAULT false NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "ticket_messages_sender_ck" CHECK (sender in ('person', 'counsellor'))
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"contact_id" integer,
	"pseudonym" text NOT NULL,
	"ward_code" text,
	"pool" text NOT NULL,
	"programme" text,
	"topic" text,
	"status" text DEFAULT 'open' NOT NULL,
	"owner_contact_id" integer,
	"opened_at" timestamp with time zone NOT NULL,
	"first_message_at" timestamp with time zone,
	"claimed_at" timestamp with time zone,
	"first_response_at" timestamp with time zone,
	"last_message_at" timestamp with time zone,
	"flagged_at" timestamp with time zone,
	"alerted_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"closed_by" text,
	"rating" smallint,
	CONSTRAINT "tickets_status_ck" CHECK (status in ('open', 'closed')),
	CONSTRAINT "tickets_rating_ck" CHECK (rating in (-1, 1))
);
--> statement-breakpoint
ALTER TABLE "journeys" DROP CONSTRAINT "journeys_kind_ck";--> statement-breakpoint
ALTER TABLE "staff_roles" DROP CONSTRAINT "staff_roles_role_ck";--> statement-breakpoint
ALTER TABLE "journeys" ADD COLUMN "plan" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_author_contact_id_contacts_id_fk" FOREIGN KEY ("author_contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_ward_code_wards_code_fk" FOREIGN KEY ("ward_code") REFERENCES "public"."wards"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_owner_contact_id_contacts_id_fk" FOREIGN KEY ("owner_contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ticket_messages_ticket_idx" ON "ticket_messages" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_open_contact_uq" ON "tickets" USING btree ("contact_id") WHERE status = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_open_pseudonym_uq" ON "tickets" USING btree ("pseudonym") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "tickets_open_owner_idx" ON "tickets" USING btree ("owner_contact_id") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "tickets_opened_idx" ON "tickets" USING btree ("opened_at");--> statement-breakpoint
ALTER TABLE "journeys" ADD CONSTRAINT "journeys_kind_ck" CHECK (kind in ('pregnancy', 'newborn', 'premarital', 'elderly', 'contraception'));--> statement-breakpoint
ALTER TABLE "staff_roles" ADD CONSTRAINT "staff_roles_role_ck" CHECK (role in ('admin', 'staff', 'collaborator', 'counsellor'));