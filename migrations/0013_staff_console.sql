CREATE TABLE "console_sessions" (
	"hash" text PRIMARY KEY NOT NULL,
	"contact_id" integer NOT NULL,
	"grant_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "console_tokens" (
	"hash" text PRIMARY KEY NOT NULL,
	"contact_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tallies" (
	"day" date NOT NULL,
	"ward_code" text DEFAULT '' NOT NULL,
	"programme" text NOT NULL,
	"metric" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "tallies_day_ward_code_programme_metric_pk" PRIMARY KEY("day","ward_code","programme","metric")
);
--> statement-breakpoint
CREATE TABLE "walk_ins" (
	"id" serial PRIMARY KEY NOT NULL,
	"session_id" integer NOT NULL,
	"name" text NOT NULL,
	"birth_year" integer,
	"created_by" integer,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ward_denominators" (
	"ward_code" text NOT NULL,
	"year" integer NOT NULL,
	"kind" text NOT NULL,
	"value" integer NOT NULL,
	"updated_by" integer,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ward_denominators_ward_code_year_kind_pk" PRIMARY KEY("ward_code","year","kind"),
	CONSTRAINT "ward_denominators_kind_ck" CHECK (kind in ('marriages', 'births', 'elderly')),
	CONSTRAINT "ward_denominators_value_ck" CHECK (value >= 0)
);
--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_grant_id_staff_roles_id_fk" FOREIGN KEY ("grant_id") REFERENCES "public"."staff_roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_tokens" ADD CONSTRAINT "console_tokens_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "walk_ins" ADD CONSTRAINT "walk_ins_session_id_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "walk_ins" ADD CONSTRAINT "walk_ins_created_by_contacts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ward_denominators" ADD CONSTRAINT "ward_denominators_ward_code_wards_code_fk" FOREIGN KEY ("ward_code") REFERENCES "public"."wards"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ward_denominators" ADD CONSTRAINT "ward_denominators_updated_by_contacts_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_sessions_contact_idx" ON "console_sessions" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "console_tokens_contact_idx" ON "console_tokens" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "walk_ins_session_idx" ON "walk_ins" USING btree ("session_id");--> statement-breakpoint
-- Hand-added: the figures of what happened before the tallies existed (src/domain/tallies.ts
-- keeps them from now on): subscriptions started and stopped, bookings, attendance, the
-- invitations still in the outbox, and the journeys' "Đã làm" marks. Days are Hải Phòng days.
INSERT INTO "tallies" ("day", "ward_code", "programme", "metric", "count")
SELECT ("created_at" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, coalesce("ward_code", ''), "programme", 'subscribers.started', count(*)
FROM "subscriptions" GROUP BY 1, 2, 3
UNION ALL
SELECT ("ended_at" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, coalesce("ward_code", ''), "programme", 'subscribers.stopped', count(*)
FROM "subscriptions" WHERE "ended_at" IS NOT NULL GROUP BY 1, 2, 3
UNION ALL
SELECT (s."starts_at" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, s."ward_code", s."programme", m."metric", count(*)
FROM "bookings" b JOIN "sessions" s ON s."id" = b."session_id"
CROSS JOIN LATERAL (VALUES ('bookings'), (CASE b."status" WHEN 'cancelled' THEN 'bookings.cancelled' WHEN 'attended' THEN 'attended' WHEN 'no_show' THEN 'no_show' END)) m("metric")
WHERE m."metric" IS NOT NULL GROUP BY 1, 2, 3, 4
UNION ALL
SELECT (s."created_at" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, s."ward_code", s."programme", 'invitations', count(*)
FROM "outbox" o JOIN "sessions" s ON s."id" = split_part(o."dedupe_key", ':', 2)::int
WHERE o."kind" = 'invite' AND o."dedupe_key" LIKE 'inv:%' GROUP BY 1, 2, 3
UNION ALL
SELECT "day", "ward_code", "programme", "metric", count(*) FROM (
  SELECT DISTINCT ON (j."id", m."metric") (m."at" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS "day", coalesce(j."ward_code", '') AS "ward_code",
    CASE WHEN j."kind" IN ('premarital', 'elderly', 'newborn') THEN j."kind" WHEN m."metric" IN ('milestone.nbs', 'milestone.born') THEN 'newborn' ELSE 'prenatal' END AS "programme",
    m."metric"
  FROM "journeys" j CROSS JOIN LATERAL (
    SELECT 'milestone.' || CASE WHEN j."kind" = 'newborn' AND e."key" IN ('heel', 'check') THEN 'heel' ELSE e."key" END AS "metric", e."value"::timestamptz AS "at"
    FROM jsonb_each_text(j."marks") e WHERE e."key" IN ('thal', 'nt', 'tri2', 'morph', 'gdm', 'nbs', 'heel', 'check', 'pm', 'checkup')
  ) m
  ORDER BY j."id", m."metric", m."at"
) x GROUP BY 1, 2, 3, 4;
