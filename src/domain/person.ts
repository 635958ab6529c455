import type { Actor, Grant } from '../core/actor.js';
import type { ChannelName } from '../core/messages.js';
import type { Programme } from '../core/programmes.js';
import { VI_ELDER } from '../i18n/voice.js';
import type { Queryable } from '../db/client.js';
import { BroadcastDesk } from '../broadcasts/desk.js';
import { audit } from './audit.js';
import { Authority } from './authority.js';
import { latestConsent, recordConsent } from './consent.js';
import { createContact, eraseContact, updateContact, type Contact } from './contacts.js';
import { countAnonymously } from './counts.js';
import { activeSubscriptions, endAll, endedSince, resumeEndedSince, subscribe, type SubscriptionChange } from './subscriptions.js';
import { type Appointment, BookingDesk } from './bookings.js';
import { JourneyDesk, type LiveJourney } from './journeys.js';
import { type UpcomingReminder, upcomingReminders } from './upcoming.js';
import { DEFAULT_SETTINGS, type PersonPort, type PersonServices, type Settings } from './port.js';
import { RelativesDesk } from './relatives.js';
import { liveGrant, StaffDesk } from './staff.js';
import { CounselDesk } from './tickets.js';
import { ZnsConsentDesk } from './zns.js';

/** What a stop changed: the subscriptions and journeys that ended, the bookings kept (their reminders stop too). */
export interface StopReport {
  subscriptions: SubscriptionChange[];
  journeys: LiveJourney[];
  /** Upcoming appointments, still booked: a stop sends nothing, so they are no longer reminded. */
  bookings: Appointment[];
}

/** What a resume brings back (or brought back): the subscriptions and journeys the last stop ended. */
export interface ResumeReport {
  subscriptions: SubscriptionChange[];
  journeys: LiveJourney[];
}

/** A write was needed where only reads are allowed: do it again under the person's lock. */
export class NeedsLockError extends Error {
  constructor() {
    super('this update needs the person lock to write');
  }
}

/**
 * The person behind one conversation, and the rules about their data:
 * consent before anything personal is kept, stop ends every proactive message
 * at once, delete erases. Bound to the update's transaction.
 */
export class Person {
  private erased = false;
  private wrote = false;
  private staffDesk?: StaffDesk;
  private broadcastDesk?: BroadcastDesk;
  private authorityOf?: Authority;
  /** The live staff role, read once per update (undefined: not read yet). */
  private grantOf: Grant | null | undefined;
  private bookingDesk?: BookingDesk;
  private journeyDesk?: JourneyDesk;
  private znsDesk?: ZnsConsentDesk;
  private relativesDesk?: RelativesDesk;
  private counselDesk?: CounselDesk;

  constructor(
    private readonly q: Queryable,
    /** `displayName`: the platform's name for the person, stored only once they book or hold a role (see rememberName). */
    private readonly identity: { channel: ChannelName; userId: string; chatId: string; displayName?: string | undefined },
    private current: Contact | null,
    private readonly now: Date,
    public locale: string,
    private readonly settings: Settings = DEFAULT_SETTINGS,
    /** Read-only mode (the engine's fast path): any write throws NeedsLockError instead. */
    private readonly readOnly = false,
    private readonly services: PersonServices = {},
  ) {}

  /** The connection for a write; remembers that this update wrote something. */
  private get w(): Queryable {
    if (this.readOnly) throw new NeedsLockError();
    this.wrote = true;
    return this.q;
  }

  /** Whether this update changed anything of the person's (the engine's read-only fast path checks it). */
  get hasWritten(): boolean {
    return this.wrote;
  }

  /** Identifies the person in this process's memory only (never written with their questions). */
  get key(): string {
    return `${this.identity.channel}:${this.identity.userId}`;
  }

  get contact(): Contact | null {
    return this.current;
  }

  get isErased(): boolean {
    return this.erased;
  }

  get hasOptedOut(): boolean {
    return Boolean(this.current?.optedOutAt);
  }

  /** The contact row, created on first need (it holds only the platform id until consent). */
  async ensure(): Promise<Contact> {
    if (this.erased) throw new Error('this person erased their data in this update');
    if (!this.current) {
      this.current = await createContact(this.w, {
        channel: this.identity.channel,
        platformUserId: this.identity.userId,
        chatId: this.identity.chatId,
        locale: this.locale,
      });
    }
    return this.current;
  }

  async setLocale(chosen: string): Promise<void> {
    // Choosing Vietnamese again keeps the voice they are addressed in.
    await this.writeLocale(chosen === 'vi' && this.current?.locale === VI_ELDER ? VI_ELDER : chosen);
  }

  private async writeLocale(locale: string): Promise<void> {
    const c = await this.ensure();
    await updateContact(this.w, c.id, { locale });
    this.current = { ...c, locale };
    this.locale = locale;
  }

  /** Records explicit consent and the opt-ins it covers. */
  async optIn(programmes: readonly Programme[], wardCode: string | null): Promise<void> {
    const c = await this.ensure();
    const locale = voiceAfterOptIn(c.locale, programmes);
    await recordConsent(this.w, c.id, true, this.now);
    await subscribe(this.w, c.id, programmes, wardCode, this.now);
    await updateContact(this.w, c.id, { wardCode, optedOutAt: null, ...(locale === c.locale ? {} : { locale }) });
    this.current = { ...c, wardCode, optedOutAt: null, locale };
    this.locale = locale;
  }

  /** A refusal is recorded too: silence or "no" is never consent. */
  async declineConsent(): Promise<void> {
    const c = await this.ensure();
    await recordConsent(this.w, c.id, false, this.now);
  }

  /** The person's own live subscriptions (their relatives' are in `relatives`). */
  async subscriptions(): Promise<Programme[]> {
    if (!this.current) return [];
    const rows = await activeSubscriptions(this.q, this.current.id);
    return rows.filter((r) => r.dependentId === null).map((r) => r.programme as Programme);
  }

  /** Every live subscription, the relatives' too: what a stop would end. */
  async liveSubscriptions(): Promise<SubscriptionChange[]> {
    if (!this.current) return [];
    return (await activeSubscriptions(this.q, this.current.id)).map((r) => ({ programme: r.programme as Programme, wardCode: r.wardCode, dependentId: r.dependentId }));
  }

  /**
   * Keeps the platform's display name, so staff lists show someone they can
   * call by name. Only for people who book or hold a role: a question asked
   * anonymously never stores a name. Writes only when it changed.
   */
  async rememberName(): Promise<void> {
    const name = this.identity.displayName?.normalize('NFC').replace(/\s+/g, ' ').trim().slice(0, 64) || null;
    if (!name || !this.current || this.current.displayName === name) return;
    await updateContact(this.w, this.current.id, { displayName: name });
    this.current = { ...this.current, displayName: name };
  }

  /** A stopped person who opts in again (for themselves or a relative) gets messages again. */
  private async clearOptOut(): Promise<void> {
    const c = await this.ensure();
    if (!c.optedOutAt) return;
    await updateContact(this.w, c.id, { optedOutAt: null });
    this.current = { ...c, optedOutAt: null };
  }

  /**
   * Stop: every subscription and journey ends now, consent is withdrawn, the
   * opt-out is kept on record. Bookings stay (the person may still go), but
   * nothing is sent while stopped, their reminders included: the report names
   * them so the person can be told, and asked whether to cancel them.
   */
  async stopAll(): Promise<StopReport> {
    const c = await this.ensure();
    const subscriptions = await endAll(this.w, c.id, this.now);
    const journeys = await this.journeys.endAll('optout');
    await this.counsel.closeOpen('stop');
    await this.zns.withdraw();
    await recordConsent(this.w, c.id, false, this.now);
    await updateContact(this.w, c.id, { optedOutAt: this.now });
    this.current = { ...c, optedOutAt: this.now };
    return { subscriptions, journeys, bookings: await this.bookings.upcoming() };
  }

  /** What /batlai would bring back: what the last stop ended (nothing when not stopped). */
  async resumable(): Promise<ResumeReport> {
    const stoppedAt = this.current?.optedOutAt;
    if (!this.current || !stoppedAt) return { subscriptions: [], journeys: [] };
    return { subscriptions: await endedSince(this.q, this.current.id, stoppedAt), journeys: await this.journeys.endedSince(stoppedAt) };
  }

  /** Resume after a fresh consent: what the last stop ended comes back. Returns what came back. */
  async resume(): Promise<ResumeReport> {
    const c = await this.ensure();
    await recordConsent(this.w, c.id, true, this.now);
    const stoppedAt = c.optedOutAt;
    await updateContact(this.w, c.id, { optedOutAt: null });
    this.current = { ...c, optedOutAt: null };
    if (!stoppedAt) return { subscriptions: [], journeys: [] };
    const subscriptions = await resumeEndedSince(this.w, c.id, stoppedAt, this.now);
    const journeys = await this.journeys.resumeEndedSince(stoppedAt);
    return { subscriptions, journeys };
  }

  /** The reminders still to be sent to this person, soonest first (appointments' and journeys'). */
  async upcomingReminders(): Promise<UpcomingReminder[]> {
    return this.current ? upcomingReminders(this.q, this.current.id) : [];
  }

  async hasConsented(): Promise<boolean> {
    if (!this.current) return false;
    return (await latestConsent(this.q, this.current.id))?.granted === true;
  }

  /**
   * Delete: the contact and everything personal go; one anonymous tally
   * remains. Upcoming bookings are cancelled first, each as a cancellation
   * (places given back, reminders dropped, audited); returns them, so the
   * person is told which.
   */
  async erase(): Promise<{ cancelled: Appointment[] }> {
    const cancelled: Appointment[] = [];
    if (this.current) {
      for (const a of await this.bookings.upcoming()) if (await this.bookings.cancel(a.bookingId)) cancelled.push(a);
      await this.bookings.releaseAll();
      // A conversation with a counsellor closes; what was said goes, the anonymous row stays for the figures.
      await this.counsel.erase();
      // Ended first, so the figures count them as stopped (src/domain/tallies.ts); then the rows go.
      await endAll(this.w, this.current.id, this.now);
      await eraseContact(this.w, this.current.id);
    }
    // What they typed that the FAQ kept for content work goes too (anonymous askers included).
    await this.services.forgetQuestions?.(this.w, this.key);
    await countAnonymously(this.w, 'contacts.erased', this.now);
    this.current = null;
    this.erased = true;
    return { cancelled };
  }

  /** /xoa from someone the bot keeps no contact for: only the questions they typed, kept for content work, go. */
  async forgetQuestions(): Promise<void> {
    await this.services.forgetQuestions?.(this.w, this.key);
  }

  /** Explicit consent to keep what a booking needs (the notice was read and accepted). */
  async consent(): Promise<void> {
    const c = await this.ensure();
    await recordConsent(this.w, c.id, true, this.now);
  }

  /** What domain services may use of this person for this update (writes refuse on the read-only path). */
  private get port(): PersonPort {
    return {
      read: this.q,
      write: () => this.w,
      now: this.now,
      settings: this.settings,
      contact: () => this.current,
      ensure: () => this.ensure(),
      audit: (action, target, details) => this.audit(action, target, details),
      rememberName: () => this.rememberName(),
      actor: () => this.actor(),
      granted: (grant) => {
        this.grantOf = grant;
      },
    };
  }

  /** The person as an actor: their contact and the staff role they hold now (role holders' names are kept current). */
  async actor(): Promise<Actor> {
    if (this.grantOf === undefined) {
      this.grantOf = this.current ? await liveGrant(this.q, this.current.id) : null;
      if (this.grantOf) await this.rememberName();
    }
    return { contactId: this.current?.id ?? null, grant: this.grantOf };
  }

  /** The edge of every staff action: this person's role checked, refusals audited. */
  private get authority(): Authority {
    return (this.authorityOf ??= new Authority(
      () => this.actor(),
      // Trying /canbo is not signing up: someone without a contact is audited by channel, and no contact is made.
      (action, target, details) => this.audit(action, target, this.current ? details : { ...details, channel: this.identity.channel }),
    ));
  }

  /** Staff actions: roles, invites, sessions; each checked and audited at its edge. */
  get staff(): StaffDesk {
    return (this.staffDesk ??= new StaffDesk(this.port, this.authority));
  }

  /** Broadcast campaigns to wards' subscribers: the same role and ward checks, and a daily cap. */
  get broadcasts(): BroadcastDesk {
    return (this.broadcastDesk ??= new BroadcastDesk(this.port, this.authority));
  }

  /** Bookings and dependents. */
  get bookings(): BookingDesk {
    return (this.bookingDesk ??= new BookingDesk(this.port));
  }

  /** Journeys that follow a life event (pregnancy, newborn, wedding, yearly checkup). */
  get journeys(): JourneyDesk {
    return (this.journeyDesk ??= new JourneyDesk(this.port, () => this.bookings));
  }

  /** The elderly relatives the person looks after: their subscriptions, bookings, removal. */
  get relatives(): RelativesDesk {
    return (this.relativesDesk ??= new RelativesDesk(this.port, () => this.bookings, () => this.journeys, () => this.clearOptOut()));
  }

  /** Conversations with a counsellor: asking (anonymously), and, for counsellors, answering. */
  get counsel(): CounselDesk {
    return (this.counselDesk ??= new CounselDesk(this.port, this.authority));
  }

  /** The phone number and consent for reminders by ZNS. */
  get zns(): ZnsConsentDesk {
    return (this.znsDesk ??= new ZnsConsentDesk(this.port));
  }

  async audit(action: string, target?: string, details?: Record<string, unknown>): Promise<void> {
    await audit(this.w, { actorContactId: this.current?.id ?? null, action, at: this.now, ...(target === undefined ? {} : { target }), ...(details === undefined ? {} : { details }) });
  }
}

/**
 * Someone who subscribes to elderly checkups for themselves (and to nothing
 * else of their own) is addressed as "bác"; one who subscribes for themselves
 * to a premarital, pregnancy or family-planning programme, as "bạn" again.
 */
export function voiceAfterOptIn(locale: string, programmes: readonly Programme[]): string {
  const own = programmes.filter((p) => p !== 'campaigns');
  if (locale === 'vi' && own.length > 0 && own.every((p) => p === 'elderly')) return VI_ELDER;
  if (locale === VI_ELDER && own.some((p) => p === 'premarital' || p === 'prenatal' || p === 'familyplanning')) return 'vi';
  return locale;
}
