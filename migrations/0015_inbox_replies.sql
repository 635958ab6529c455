DROP INDEX "inbox_unhandled_idx";--> statement-breakpoint
ALTER TABLE "inbox" ADD COLUMN "replies" jsonb;--> statement-breakpoint
ALTER TABLE "inbox" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "inbox_unsent_idx" ON "inbox" USING btree ("channel","received_at") WHERE sent_at is null;