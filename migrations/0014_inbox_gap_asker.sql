CREATE TABLE "app_secrets" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"key" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"chat" text NOT NULL,
	"body" jsonb,
	"received_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"handled_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "faq_gaps" DROP CONSTRAINT "faq_gaps_week_kind_topic_question_pk";--> statement-breakpoint
ALTER TABLE "faq_gaps" ADD COLUMN "asker" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "faq_gaps" ADD CONSTRAINT "faq_gaps_week_kind_topic_question_asker_pk" PRIMARY KEY("week","kind","topic","question","asker");--> statement-breakpoint
CREATE INDEX "inbox_unhandled_idx" ON "inbox" USING btree ("channel","received_at") WHERE handled_at is null;--> statement-breakpoint
CREATE INDEX "inbox_received_idx" ON "inbox" USING btree ("received_at");