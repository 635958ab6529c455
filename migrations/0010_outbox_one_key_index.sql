ALTER TABLE "outbox" DROP CONSTRAINT "outbox_dedupe_key_uq";--> statement-breakpoint
DROP INDEX "outbox_pending_key_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_dedupe_key_uq" ON "outbox" USING btree ("dedupe_key" text_pattern_ops);