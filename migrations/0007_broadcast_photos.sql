CREATE TABLE "broadcast_media" (
	"token" text PRIMARY KEY NOT NULL,
	"telegram_file_id" text NOT NULL,
	"bytes" "bytea",
	"content_type" text,
	"created_at" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "photo" jsonb;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "progress_milestone" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "broadcasts" ADD COLUMN "progress_posted_at" timestamp with time zone;