CREATE TABLE "outbox_claims" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"ids" bigint[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "queued" boolean DEFAULT true NOT NULL;--> statement-breakpoint
-- Hand-added: rows already out of the queue leave it; rows in flight get a claim, so crash recovery still finds them.
UPDATE "outbox" SET "queued" = false WHERE "status" NOT IN ('pending', 'sending');--> statement-breakpoint
INSERT INTO "outbox_claims" ("channel", "claimed_at", "ids")
  SELECT "channel", min(coalesce("claimed_at", now())), array_agg("id") FROM "outbox" WHERE "status" = 'sending' GROUP BY "channel";--> statement-breakpoint
DROP INDEX "outbox_inflight_idx";--> statement-breakpoint
DROP INDEX "outbox_claim_idx";--> statement-breakpoint
CREATE INDEX "outbox_claim_idx" ON "outbox" USING btree ("channel","priority","due_at") WHERE queued;--> statement-breakpoint
-- Hand-added (drizzle-kit models neither triggers nor storage parameters):
-- queued follows status for writers that set only status (a cancel, a resume);
-- the outbox's own code sets both, so the function runs only when they disagree.
CREATE FUNCTION "outbox_queued"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."queued" := NEW."status" IN ('pending', 'sending');
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "outbox_queued" BEFORE INSERT OR UPDATE OF "status", "queued" ON "outbox" FOR EACH ROW
  WHEN (NEW."queued" IS DISTINCT FROM (NEW."status" IN ('pending', 'sending'))) EXECUTE FUNCTION "outbox_queued"();--> statement-breakpoint
-- Half of each new page left free: a claim's new row versions fit beside the old ones (HOT).
ALTER TABLE "outbox" SET (fillfactor = 50);--> statement-breakpoint
-- An erasure waits for a bulk enqueue in flight (enqueueToContacts holds this lock
-- shared instead of locking each of a million contacts FOR KEY SHARE), then deletes
-- what that enqueue committed too. Key 72021002: the outbox's erasure lock.
CREATE OR REPLACE FUNCTION "outbox_forget_contact"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(72021002);
  DELETE FROM "outbox" WHERE "contact_id" = OLD."id";
  RETURN NULL;
END
$$;
