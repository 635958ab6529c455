import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
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

/** Opt-ins to a programme's news and reminders, per ward. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: serial('id').primaryKey(),
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    programme: text('programme').notNull(),
    wardCode: text('ward_code').references(() => wards.code),
    createdAt: ts('created_at').notNull().defaultNow(),
    endedAt: ts('ended_at'),
  },
  (t) => [
    uniqueIndex('subscriptions_contact_programme_uq').on(t.contactId, t.programme),
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
 * kept for content work with no trace of who asked (digits masked), counted per week.
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
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.week, t.kind, t.topic, t.question] })],
);
