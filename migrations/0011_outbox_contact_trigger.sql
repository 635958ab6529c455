ALTER TABLE "outbox" DROP CONSTRAINT "outbox_contact_id_contacts_id_fk";
--> statement-breakpoint
-- Hand-added (drizzle-kit does not model triggers): what ON DELETE CASCADE did for the
-- outbox, now that it has no foreign key to contacts (schema.ts says why). Row by row,
-- as the cascade was, so each erased person's rows are found by outbox_contact_idx.
CREATE FUNCTION "outbox_forget_contact"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "outbox" WHERE "contact_id" = OLD."id";
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "contacts_forget_outbox" AFTER DELETE ON "contacts" FOR EACH ROW EXECUTE FUNCTION "outbox_forget_contact"();
