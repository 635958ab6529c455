CREATE TABLE "zns_recipients" (
	"contact_id" integer PRIMARY KEY NOT NULL,
	"phone" text NOT NULL,
	"consented_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zns_tokens" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"access_token" text NOT NULL,
	"refresh_token" text NOT NULL,
	"access_expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "zns_tokens_one_row_ck" CHECK ("zns_tokens"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "zns_recipients" ADD CONSTRAINT "zns_recipients_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;