import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Communes, wards and special zones of Hải Phòng (loaded from content/geo at start). */
export const wards = pgTable('wards', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  short: text('short').notNull(),
  type: text('type').notNull(),
  /** Lowercase name without diacritics, for "type part of its name" search. */
  folded: text('folded').notNull(),
});

/** One person on one channel. Personal fields are erased by /xoa (the row goes). */
export const contacts = pgTable(
  'contacts',
  {
    id: serial('id').primaryKey(),
    channel: text('channel').notNull(),
    platformUserId: text('platform_user_id').notNull(),
    chatId: text('chat_id').notNull(),
    displayName: text('display_name'),
    locale: text('locale').notNull().default('vi'),
    role: text('role').notNull().default('user'),
    wardCode: text('ward_code').references(() => wards.code),
    blockedAt: ts('blocked_at'),
    optedOutAt: ts('opted_out_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('contacts_channel_user_uq').on(t.channel, t.platformUserId)],
);

/** Every consent decision, with the notice version read: granted or withdrawn. */
export const consents = pgTable(
  'consents',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    noticeVersion: text('notice_version').notNull(),
    purpose: text('purpose').notNull(),
    granted: boolean('granted').notNull(),
    /** Set when a relative consents on behalf of a dependent. */
    onBehalfOf: text('on_behalf_of'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('consents_contact_idx').on(t.contactId)],
);

/**
 * Opt-ins to a programme's news and reminders, per ward: the contact's own, or
 * (dependent_id set) for a relative they look after, in the relative's ward;
 * the contact receives both. One row per contact, programme and subject.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    dependentId: integer('dependent_id').references(() => dependents.id, { onDelete: 'cascade' }),
    programme: text('programme').notNull(),
    wardCode: text('ward_code').references(() => wards.code),
    createdAt: ts('created_at').notNull().defaultNow(),
    endedAt: ts('ended_at'),
  },
  (t) => [
    uniqueIndex('subscriptions_subject_programme_uq').on(t.contactId, t.programme, sql`coalesce(${t.dependentId}, 0)`),
    // Removing a relative (or erasing the person) cascades here by dependent: no scan of every subscription.
    index('subscriptions_dependent_idx').on(t.dependentId).where(sql`${t.dependentId} is not null`),
    index('subscriptions_programme_ward_idx').on(t.programme, t.wardCode).where(sql`${t.endedAt} is null`),
  ],
);

/** Where a person is in a flow; expires after a day of silence. */
export const conversationState = pgTable('conversation_state', {
  contactId: integer('contact_id')
    .primaryKey()
    .references(() => contacts.id, { onDelete: 'cascade' }),
  flow: text('flow'),
  step: text('step'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  /** The numbered choices last shown outside a flow (terminal and Zalo have no buttons). */
  menu: jsonb('menu').$type<{ label: string; value: string }[]>(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  expiresAt: ts('expires_at').notNull(),
});

/** Who did what, when: every staff action and every grant. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: serial('id').primaryKey(),
    actorContactId: integer('actor_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    target: text('target'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('audit_log_at_idx').on(t.at)],
);

/** Anonymous tallies that survive erasure (e.g. how many people deleted their data, per day). */
export const anonymousCounts = pgTable(
  'anonymous_counts',
  {
    metric: text('metric').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.metric, t.day] })],
);

/**
 * Questions the bot could not answer, or whose answer was marked "Chưa đúng",
 * kept for content work (digits masked), counted per week. For 30 days a row
 * keeps a keyed hash of who asked (`asker`), so /xoa erases what they typed;
 * then a daily job folds it into the anonymous count (asker '').
 */
export const faqGaps = pgTable(
  'faq_gaps',
  {
    /** Monday of the week, Hải Phòng time. */
    week: date('week', { mode: 'string' }).notNull(),
    kind: text('kind').notNull(),
    /** The topic that was answered (for "Chưa đúng"); '' when none. */
    topic: text('topic').notNull().default(''),
    question: text('question').notNull(),
    /** HMAC of the asker's channel and platform id (src/domain/gap-recorder.ts); '' once anonymised. */
    asker: text('asker').notNull().default(''),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.week, t.kind, t.topic, t.question, t.asker] })],
);

/** Keys this installation made for itself (e.g. the gaps' asker hash): random, made once, kept in the one database replicas share. */
export const appSecrets = pgTable('app_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/**
 * Every webhook event, written before it is acknowledged (src/inbox): the
 * platform's redeliveries meet the key and are not handled twice, on any
 * replica; an event whose handler died is handled from here by another
 * replica or at the next start. The body goes once handled; the key stays a
 * few days, for redeliveries.
 */
export const inbox = pgTable(
  'inbox',
  {
    /** `telegram:<update_id>`, `zalo:<event_name>:<message_id>`. */
    key: text('key').primaryKey(),
    channel: text('channel').notNull(),
    /** Events of one chat are handled in the order received. */
    chat: text('chat').notNull(),
    body: jsonb('body'),
    receivedAt: ts('received_at').notNull(),
    claimedAt: ts('claimed_at'),
    /** The engine handled it: its replies are kept here, in the same transaction, until sent. */
    handledAt: ts('handled_at'),
    replies: jsonb('replies'),
    /** The replies went out (or there were none): done. */
    sentAt: ts('sent_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [index('inbox_unsent_idx').on(t.channel, t.receivedAt).where(sql`sent_at is null`), index('inbox_received_idx').on(t.receivedAt)],
);

/** What an outbox row says, as i18n keys: rendered in the recipient's language when it is sent. */
export interface OutboxPayload {
  key: string;
  params?: Record<string, string | number>;
  /** Buttons: a label key and a short value (Telegram callback data ≤ 64 bytes). */
  choices?: { key: string; value: string; params?: Record<string, string | number> }[];
  /** A photo sent with the text (a Telegram file_id and/or a public URL; each channel takes what it can use). */
  photo?: { fileId?: string; url?: string };
}

/**
 * The outbox: one row per recipient and proactive message. The dedupe key makes
 * enqueueing idempotent (`appt:123:d-1`); the dispatcher moves a row
 * pending → sending → sent | failed | skipped, or a producer cancels it while pending.
 * Channel and chat are copied from the contact at enqueue time.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dedupeKey: text('dedupe_key').notNull(),
    // No foreign key: its check of every inserted row was a third of the time of a
    // million-row broadcast. Enqueues join the contact and lock it FOR KEY SHARE, as
    // that check did; a trigger on contacts deletes an erased person's rows, as ON
    // DELETE CASCADE did (migration 0011_outbox_contact_trigger).
    contactId: integer('contact_id').notNull(),
    channel: text('channel').notNull(),
    chatId: text('chat_id').notNull(),
    kind: text('kind').notNull(),
    /** What to render at send time, in the recipient's language: an i18n key, its params, choices. */
    payload: jsonb('payload').$type<OutboxPayload>().notNull(),
    /** 0 = urgent (ignores quiet hours), higher = bulk; 0..9. */
    priority: smallint('priority').notNull().default(5),
    dueAt: ts('due_at').notNull(),
    status: text('status').notNull().default('pending'),
    /**
     * Still to go: status 'pending' or 'sending'. The claim index is on this, not
     * on status, so a claim (pending → sending) changes no indexed column and
     * the server rewrites the row in place (a HOT update, in the free half the
     * fillfactor leaves in each page) without touching an index; only leaving
     * the queue (sent, failed, skipped, cancelled) takes the row out of it.
     * Writers that set only status are kept in step by the outbox_queued trigger
     * (migration 0012_outbox_hot_claim).
     */
    queued: boolean('queued').notNull().default(true),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    claimedAt: ts('claimed_at'),
    sentAt: ts('sent_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    // The claim walks this per priority: due rows first, future rows never touched.
    // Rows in flight stay in it (the claim skips them by status); crash recovery
    // finds them through outbox_claims, not an index on status.
    index('outbox_claim_idx').on(t.channel, t.priority, t.dueAt).where(sql`queued`),
    // One row per key (enqueue's ON CONFLICT), and with text_pattern_ops also cancelByPrefix's
    // 'appt:123:%' whatever the database's collation: one index to write per enqueued row
    // where a unique key plus a pattern index were two (a million-row broadcast felt it).
    uniqueIndex('outbox_dedupe_key_uq').on(t.dedupeKey.op('text_pattern_ops')),
    // Erasing a contact (the trigger) finds its rows without scanning the outbox.
    index('outbox_contact_idx').on(t.contactId),
    check('outbox_status_ck', sql`status in ('pending', 'sending', 'sent', 'failed', 'cancelled', 'skipped')`),
    check('outbox_priority_ck', sql`priority between 0 and 9`),
  ],
);

/**
 * The outbox's claims in flight: one row per batch a dispatcher claimed, with
 * the ids it took, written by the claim's own statement and deleted in the
 * transaction that records the batch. Crash recovery puts back what the rows
 * older than the lease still hold in flight. A handful of rows at any time.
 */
export const outboxClaims = pgTable('outbox_claims', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  channel: text('channel').notNull(),
  claimedAt: ts('claimed_at').notNull(),
  ids: bigint('ids', { mode: 'number' }).array().notNull(),
});

/** A platform's 429 pauses the whole bot: every replica's dispatcher waits until then. */
export const channelPause = pgTable('channel_pause', {
  channel: text('channel').primaryKey(),
  pausedUntil: ts('paused_until').notNull(),
});

/** One row per periodic job and fire (e.g. `outbox.cleanup`, `2026-11-24`): a fire runs once per cluster. */
export const jobRuns = pgTable(
  'job_runs',
  {
    job: text('job').notNull(),
    slot: text('slot').notNull(),
    ranAt: ts('ran_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.slot] })],
);

/**
 * Staff roles: an administrator, a health station's staff, a population
 * collaborator; staff and collaborators act only in their wards. One live row
 * per contact (a change revokes the old row and adds a new one, so history stays).
 * `source` is 'env' for administrators bootstrapped from ADMIN_TELEGRAM_IDS.
 */
export const staffRoles = pgTable(
  'staff_roles',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    wardCodes: text('ward_codes').array().notNull().default(sql`'{}'::text[]`),
    source: text('source').notNull().default('invite'),
    grantedBy: integer('granted_by').references(() => contacts.id, { onDelete: 'set null' }),
    grantedAt: ts('granted_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    uniqueIndex('staff_roles_live_uq').on(t.contactId).where(sql`${t.revokedAt} is null`),
    check('staff_roles_role_ck', sql`role in ('admin', 'staff', 'collaborator', 'counsellor')`),
  ],
);

/** Single-use invite codes an administrator makes for a role and ward(s); they expire. */
export const inviteCodes = pgTable('invite_codes', {
  code: text('code').primaryKey(),
  role: text('role').notNull(),
  wardCodes: text('ward_codes').array().notNull().default(sql`'{}'::text[]`),
  createdBy: integer('created_by').references(() => contacts.id, { onDelete: 'set null' }),
  createdAt: ts('created_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  redeemedBy: integer('redeemed_by').references(() => contacts.id, { onDelete: 'set null' }),
  redeemedAt: ts('redeemed_at'),
  revokedAt: ts('revoked_at'),
});

/** A screening session a ward's health station holds. `version` goes up when its time changes. */
export const sessions = pgTable(
  'sessions',
  {
    id: serial('id').primaryKey(),
    programme: text('programme').notNull(),
    wardCode: text('ward_code')
      .notNull()
      .references(() => wards.code),
    placeName: text('place_name').notNull(),
    placeAddress: text('place_address').notNull(),
    startsAt: ts('starts_at').notNull(),
    durationMin: integer('duration_min').notNull(),
    capacity: integer('capacity').notNull(),
    booked: integer('booked').notNull().default(0),
    note: text('note'),
    /** The station needs each booking's phone number. */
    needsPhone: boolean('needs_phone').notNull().default(false),
    status: text('status').notNull().default('scheduled'),
    version: integer('version').notNull().default(1),
    createdBy: integer('created_by').references(() => contacts.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull(),
    cancelledAt: ts('cancelled_at'),
  },
  (t) => [
    index('sessions_programme_starts_idx').on(t.programme, t.startsAt).where(sql`status = 'scheduled'`),
    index('sessions_ward_starts_idx').on(t.wardCode, t.startsAt),
    check('sessions_status_ck', sql`status in ('scheduled', 'cancelled')`),
    check('sessions_booked_ck', sql`booked >= 0 and booked <= capacity`),
  ],
);

/** An elderly parent or grandparent a relative books and subscribes for. */
export const dependents = pgTable(
  'dependents',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    birthYear: integer('birth_year').notNull(),
    relationship: text('relationship').$type<'mother' | 'father' | 'grandmother' | 'grandfather' | 'other'>().notNull(),
    wardCode: text('ward_code').references(() => wards.code),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('dependents_contact_idx').on(t.contactId)],
);

/**
 * A place in a session, for the contact or one of their dependents. The contact
 * gets the reminders. One live booking per attendee and session.
 */
export const bookings = pgTable(
  'bookings',
  {
    id: serial('id').primaryKey(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    dependentId: integer('dependent_id').references(() => dependents.id, { onDelete: 'cascade' }),
    phone: text('phone'),
    status: text('status').notNull().default('booked'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at'),
  },
  (t) => [
    uniqueIndex('bookings_attendee_uq')
      .on(t.sessionId, t.contactId, sql`coalesce(${t.dependentId}, 0)`)
      .where(sql`status <> 'cancelled'`),
    index('bookings_contact_idx').on(t.contactId),
    index('bookings_dependent_idx').on(t.dependentId).where(sql`${t.dependentId} is not null`),
    check('bookings_status_ck', sql`status in ('booked', 'cancelled', 'attended', 'no_show')`),
  ],
);

/**
 * A life-event journey (src/domain/journeys.ts): a pregnancy by its due date, a
 * newborn's first days by the birth time, the run-up to a wedding by its month,
 * an elderly person's yearly checkup. Its reminders are outbox rows keyed
 * `j:<id>:<window>:v<version>:<slot>`; `version` goes up when the date changes.
 * One live (active or paused) journey per contact, kind and subject.
 */
export const journeys = pgTable(
  'journeys',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    /** The elderly person the yearly checkup is for, when it is a relative. */
    dependentId: integer('dependent_id').references(() => dependents.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<'pregnancy' | 'newborn' | 'premarital' | 'elderly' | 'contraception'>().notNull(),
    status: text('status').notNull().default('active'),
    /** Due date (pregnancy), birth time (newborn), wedding month's first day (premarital), the last injection, pack start or insertion (contraception); null when none. */
    anchorAt: ts('anchor_at'),
    wardCode: text('ward_code').references(() => wards.code),
    /**
     * What happened, by name → when (ISO): windows marked "Đã làm" ('nt'), and
     * yearly reminders already queued ('y2026:due'), so a cleaned-up outbox row
     * never makes one go out twice.
     */
    marks: jsonb('marks').$type<Record<string, string>>().notNull().default({}),
    /**
     * A journey's own settings: for contraception the method, a pill pack's
     * days, a device's years and whether its reminders are discreet
     * (src/domain/contraception.ts). Empty for the other kinds.
     */
    plan: jsonb('plan').$type<Record<string, string | number | boolean>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    endedAt: ts('ended_at'),
    /** Why it ended: 'stopped', 'optout', 'loss', 'born', 'completed'. */
    endReason: text('end_reason'),
  },
  (t) => [
    uniqueIndex('journeys_live_uq')
      .on(t.contactId, t.kind, sql`coalesce(${t.dependentId}, 0)`)
      .where(sql`status in ('active', 'paused')`),
    index('journeys_contact_idx').on(t.contactId),
    index('journeys_dependent_idx').on(t.dependentId).where(sql`${t.dependentId} is not null`),
    check('journeys_kind_ck', sql`kind in ('pregnancy', 'newborn', 'premarital', 'elderly', 'contraception')`),
    check('journeys_status_ck', sql`status in ('active', 'paused', 'ended')`),
  ],
);

/**
 * A collaborator's broadcast campaign (src/broadcasts/): the text is stored
 * once here; each recipient's outbox row is keyed `bc:<id>:<contact>` and its
 * payload carries only the id, rendered at send time (text + stop footer).
 * Rows of one broadcast have ids in (outbox_from, outbox_to] (one INSERT …
 * SELECT), so progress is a primary-key range scan, never a scan of the outbox.
 */
export const broadcasts = pgTable(
  'broadcasts',
  {
    id: serial('id').primaryKey(),
    authorContactId: integer('author_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    /** { programmes, wardCodes (null = city-wide), relatives } */
    audience: jsonb('audience').$type<{ programmes: string[]; wardCodes: string[] | null; relatives: boolean }>().notNull(),
    text: text('text').notNull(),
    /** The optional photo: the author's Telegram file_id and/or a public URL, and the token of our hosted copy (broadcast_media). */
    photo: jsonb('photo').$type<BroadcastPhoto>(),
    /** The awareness-day template it started from (content/campaigns), if any. */
    campaign: text('campaign'),
    status: text('status').notNull().default('scheduled'),
    scheduledAt: ts('scheduled_at').notNull(),
    /** Rows enqueued; and people of the audience left out at enqueue (stopped, blocked, already had it). */
    recipients: integer('recipients').notNull().default(0),
    skippedAtStart: integer('skipped_at_start').notNull().default(0),
    outboxFrom: bigint('outbox_from', { mode: 'number' }).notNull().default(0),
    outboxTo: bigint('outbox_to', { mode: 'number' }).notNull().default(0),
    /** Where the live status message goes: the author's channel and chat, and its message id once posted. */
    progressChannel: text('progress_channel').notNull(),
    progressChat: text('progress_chat').notNull(),
    progressMessageId: text('progress_message_id'),
    /** Last time the status message was posted or edited (the edit-rate guard, shared by replicas). */
    progressAt: ts('progress_at'),
    progressText: text('progress_text'),
    /** Channels that cannot edit (Zalo): the last percentage (25/50/75) reported to the author, and when. */
    progressMilestone: smallint('progress_milestone').notNull().default(0),
    progressPostedAt: ts('progress_posted_at'),
    createdAt: ts('created_at').notNull(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    reportedAt: ts('reported_at'),
  },
  (t) => [
    index('broadcasts_author_created_idx').on(t.authorContactId, t.createdAt),
    index('broadcasts_live_idx').on(t.status).where(sql`reported_at is null`),
    check('broadcasts_status_ck', sql`status in ('scheduled', 'sending', 'paused', 'cancelled', 'done')`),
  ],
);

/**
 * The Official Account's ZNS token pair (src/outbox/zns-sender.ts): one row,
 * locked while a refresh runs and replaced in the same transaction, because
 * Zalo's refresh token is single-use. Seeded from ZNS_* only while missing.
 */
export const znsTokens = pgTable(
  'zns_tokens',
  {
    id: smallint('id').primaryKey().default(1),
    accessToken: text('access_token').notNull(),
    refreshToken: text('refresh_token').notNull(),
    accessExpiresAt: ts('access_expires_at').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [check('zns_tokens_one_row_ck', sql`${t.id} = 1`)],
);

/**
 * The mobile number a person agreed to get reminders at through ZNS (consent
 * purpose 'zns', asked after a booking's phone step). The row lives only while
 * that consent stands: a refusal, /huy or /xoa (cascade) removes it.
 */
export const znsRecipients = pgTable('zns_recipients', {
  contactId: integer('contact_id')
    .primaryKey()
    .references(() => contacts.id, { onDelete: 'cascade' }),
  /** +84… (src/domain/phone.ts). */
  phone: text('phone').notNull(),
  consentedAt: ts('consented_at').notNull(),
});

export interface BroadcastPhoto {
  fileId?: string | undefined;
  url?: string | undefined;
  /** Token of the hosted copy (`GET /media/<token>`), for channels that need a URL. */
  media?: string;
}

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * A Telegram author's broadcast photo, served to Zalo (which takes only a
 * public URL) at `GET /media/<token>` (an unguessable token): fetched once from
 * Telegram's getFile on the first request, then served from here (size-capped).
 */
export const broadcastMedia = pgTable('broadcast_media', {
  token: text('token').primaryKey(),
  telegramFileId: text('telegram_file_id').notNull(),
  bytes: bytea('bytes'),
  contentType: text('content_type'),
  createdAt: ts('created_at').notNull(),
  fetchedAt: ts('fetched_at'),
});

// ---- the staff console (src/console) and its figures (src/domain/tallies.ts, reports.ts) ----

/**
 * Anonymous counts per local day, ward, programme and metric ('attended',
 * 'bookings', 'subscribers.started', 'milestone.nt'…): upserted in the same
 * transaction as the event they count and never joined to a person, so
 * erasing someone (/xoa) leaves the station's figures whole. `ward_code` ''
 * when the ward is not known. Metrics recomputed from the outbox
 * ('reminders.*', 'broadcast.reach') only ever grow (greatest), so rows
 * cleaned up or erased later never lower them.
 */
export const tallies = pgTable(
  'tallies',
  {
    day: date('day', { mode: 'string' }).notNull(),
    wardCode: text('ward_code').notNull().default(''),
    programme: text('programme').notNull(),
    metric: text('metric').notNull(),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.day, t.wardCode, t.programme, t.metric] })],
);

/**
 * A ward's yearly denominators, entered by its station (or an administrator):
 * couples registering marriage, births, residents aged 60 and over. Coverage
 * against the city's targets (content/targets) is shown where one exists.
 */
export const wardDenominators = pgTable(
  'ward_denominators',
  {
    wardCode: text('ward_code')
      .notNull()
      .references(() => wards.code),
    year: integer('year').notNull(),
    /** 'marriages' | 'births' | 'elderly' */
    kind: text('kind').notNull(),
    value: integer('value').notNull(),
    updatedBy: integer('updated_by').references(() => contacts.id, { onDelete: 'set null' }),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.wardCode, t.year, t.kind] }),
    check('ward_denominators_kind_ck', sql`kind in ('marriages', 'births', 'elderly')`),
    check('ward_denominators_value_ck', sql`value >= 0`),
  ],
);

/** Someone examined at a session without a booking (added on the day by staff): a name, maybe a birth year, no contact. */
export const walkIns = pgTable(
  'walk_ins',
  {
    id: serial('id').primaryKey(),
    sessionId: integer('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    birthYear: integer('birth_year'),
    createdBy: integer('created_by').references(() => contacts.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('walk_ins_session_idx').on(t.sessionId)],
);

/** Single-use sign-in links to the console (`/web` in chat): only the token's sha256 is kept; valid 10 minutes. */
export const consoleTokens = pgTable(
  'console_tokens',
  {
    hash: text('hash').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [index('console_tokens_contact_idx').on(t.contactId)],
);

/**
 * A signed-in console session (the cookie's sha256): 12 hours at most, and
 * only while the staff role it was opened under is live (revoking or changing
 * the role ends it).
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    hash: text('hash').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    grantId: integer('grant_id')
      .notNull()
      .references(() => staffRoles.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('console_sessions_contact_idx').on(t.contactId)],
);

// ---- conversations with a counsellor (src/domain/tickets.ts, flows/counsel.ts) ----

/**
 * A person's conversation with a counsellor ("Hỏi cán bộ tư vấn"). Counsellors
 * know it only by its pseudonym (#T4821), its ward and its programme; the
 * contact is what replies are relayed to. /xoa erases its messages and sets
 * contact_id to null: the row stays, anonymous, for the figures (opened,
 * answered, first response). One open ticket per contact.
 */
export const tickets = pgTable(
  'tickets',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    /** Four digits, shown as #T4821; unique among open tickets. */
    pseudonym: text('pseudonym').notNull(),
    /** The person's ward when known (the figures' ward). */
    wardCode: text('ward_code').references(() => wards.code),
    /** Who answers: a ward's counsellors (its code), or 'city', the city-wide pool. */
    pool: text('pool').notNull(),
    /** What the person was reading when they asked: a programme id and an FAQ topic or 'loss'. */
    programme: text('programme'),
    topic: text('topic'),
    status: text('status').notNull().default('open'),
    /** The counsellor who claimed it (or was handed it). */
    ownerContactId: integer('owner_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    openedAt: ts('opened_at').notNull(),
    firstMessageAt: ts('first_message_at'),
    claimedAt: ts('claimed_at'),
    firstResponseAt: ts('first_response_at'),
    lastMessageAt: ts('last_message_at'),
    /** A danger sign in one of the person's messages. */
    flaggedAt: ts('flagged_at'),
    /** Administrators were told it waits unclaimed. */
    alertedAt: ts('alerted_at'),
    closedAt: ts('closed_at'),
    /** 'person' | 'counsellor' | 'stop' | 'erase' | 'empty' */
    closedBy: text('closed_by'),
    /** The person's 👍 (1) or 👎 (-1) after it closed. */
    rating: smallint('rating'),
  },
  (t) => [
    uniqueIndex('tickets_open_contact_uq').on(t.contactId).where(sql`status = 'open'`),
    uniqueIndex('tickets_open_pseudonym_uq').on(t.pseudonym).where(sql`status = 'open'`),
    index('tickets_open_owner_idx').on(t.ownerContactId).where(sql`status = 'open'`),
    index('tickets_opened_idx').on(t.openedAt),
    check('tickets_status_ck', sql`status in ('open', 'closed')`),
    check('tickets_rating_ck', sql`rating in (-1, 1)`),
  ],
);

/** What was said in a ticket, either way; erased with the person (/xoa). */
export const ticketMessages = pgTable(
  'ticket_messages',
  {
    id: serial('id').primaryKey(),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    /** 'person' | 'counsellor' */
    sender: text('sender').notNull(),
    /** The counsellor who wrote it (null for the person's own). */
    authorContactId: integer('author_contact_id').references(() => contacts.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    /** The safety check found a danger sign in it. */
    flagged: boolean('flagged').notNull().default(false),
    at: ts('at').notNull(),
  },
  (t) => [index('ticket_messages_ticket_idx').on(t.ticketId, t.id), check('ticket_messages_sender_ck', sql`sender in ('person', 'counsellor')`)],
);
