DROP INDEX "subscriptions_contact_programme_uq";--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "dependent_id" integer;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_dependent_id_dependents_id_fk" FOREIGN KEY ("dependent_id") REFERENCES "public"."dependents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "subscriptions_subject_programme_uq" ON "subscriptions" USING btree ("contact_id","programme",coalesce("dependent_id", 0));