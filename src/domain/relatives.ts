import { and, eq, sql } from 'drizzle-orm';
import { rows } from '../db/client.js';
import { dependents, journeys } from '../db/schema.js';
import { cancelByPrefix } from '../outbox/enqueue.js';
import type { Appointment, BookingDesk, Dependent } from './bookings.js';
import { recordConsent } from './consent.js';
import { journeyPrefix, type JourneyDesk } from './journeys.js';
import type { PersonPort } from './port.js';
import { PROGRAMMES, type Programme } from '../core/programmes.js';
import { activeSubscriptions, endFor, subscribe } from './subscriptions.js';

/** A relative the person looks after, with the programmes they get reminders of for them. */
export type Relative = Dependent & { programmes: Programme[] };

/**
 * The elderly parents and grandparents a person looks after (issue #4): their
 * subscriptions, in their own ward, whose invitations and reminders go to the
 * person and name the relative; and their removal. Adding one is
 * BookingDesk.addDependent (shared with the booking flow).
 */
export class RelativesDesk {
  constructor(
    private readonly p: PersonPort,
    private readonly bookings: () => BookingDesk,
    private readonly journeys: () => JourneyDesk,
    /** A stopped person who subscribes a relative gets messages again (Person clears its opt-out). */
    private readonly clearOptOut: () => Promise<void>,
  ) {}

  async list(): Promise<Relative[]> {
    const c = this.p.contact();
    if (!c) return [];
    const [deps, subs] = await Promise.all([this.bookings().dependents(), activeSubscriptions(this.p.read, c.id)]);
    return deps.map((d) => ({ ...d, programmes: subs.filter((s) => s.dependentId === d.id).map((s) => s.programme as Programme) }));
  }

  async get(id: number): Promise<Relative | null> {
    return (await this.list()).find((d) => d.id === id) ?? null;
  }

  /** The person accepts the notice again on the relative's behalf (after a stop withdrew their consent). */
  async consentOnBehalf(id: number): Promise<boolean> {
    const d = await this.bookings().dependent(id);
    if (!d) return false;
    await recordConsent(this.p.write(), d.contactId, true, this.p.now, 'dependent', `dependent:${d.id}`);
    return true;
  }

  /**
   * Reminders and session invitations for the relative, in their ward. The
   * caller has the person's consent (the notice names the relative's data).
   */
  async subscribe(id: number, programmes: readonly Programme[]): Promise<'ok' | 'no-ward' | null> {
    const d = await this.bookings().dependent(id);
    if (!d) return null;
    if (!d.wardCode) return 'no-ward';
    const c = await this.p.ensure();
    await subscribe(this.p.write(), c.id, programmes, d.wardCode, this.p.now, d.id);
    await this.clearOptOut();
    await this.p.audit('dependent.subscribe', `dependent:${d.id}`, { programmes, wardCode: d.wardCode });
    return 'ok';
  }

  /** No more reminders for the relative: the subscription and their yearly-checkup journey end. */
  async unsubscribe(id: number, programmes: readonly Programme[]): Promise<number | null> {
    const d = await this.bookings().dependent(id);
    if (!d) return null;
    const c = await this.p.ensure();
    const ended = await endFor(this.p.write(), c.id, d.id, programmes, this.p.now);
    if (programmes.includes('elderly')) {
      // 'unsubscribed', not 'stopped': subscribing them again brings the yearly journey back.
      for (const j of await this.journeys().live()) if (j.dependentId === d.id) await this.journeys().stop(j.id, 'unsubscribed');
    }
    await this.p.audit('dependent.unsubscribe', `dependent:${d.id}`, { programmes });
    return ended;
  }

  /**
   * Removes a relative: their upcoming bookings are cancelled (places given
   * back, reminders dropped), pending messages about them withdrawn, the
   * withdrawal of the consent given on their behalf recorded, the removal
   * audited; then their row goes, and with it their name, subscriptions,
   * journeys and past bookings. Returns the bookings that were cancelled.
   */
  async remove(id: number): Promise<Appointment[] | null> {
    const d = await this.bookings().dependent(id);
    if (!d) return null;
    const c = await this.p.ensure();
    const w = this.p.write();
    const upcoming = (await this.bookings().upcoming()).filter((a) => a.dependentId === d.id);
    const cancelled: Appointment[] = [];
    for (const a of upcoming) if (await this.bookings().cancel(a.bookingId)) cancelled.push(a);
    const theirs = await w.select({ id: journeys.id }).from(journeys).where(eq(journeys.dependentId, d.id));
    for (const j of theirs) await cancelByPrefix(w, journeyPrefix(j.id));
    await rows(
      w,
      sql`update outbox set status = 'cancelled'
          where contact_id = ${c.id} and status = 'pending' and kind = 'invite' and dedupe_key like ${`inv:%:d${d.id}`}
          returning id`,
    );
    await recordConsent(w, c.id, false, this.p.now, 'dependent', `dependent:${d.id}`);
    // Ended before the row goes, so the figures count them as stopped (src/domain/tallies.ts).
    await endFor(w, c.id, d.id, PROGRAMMES, this.p.now);
    await this.p.audit('dependent.remove', `dependent:${d.id}`, { cancelledBookings: cancelled.length });
    await w.delete(dependents).where(and(eq(dependents.id, d.id), eq(dependents.contactId, c.id)));
    return cancelled;
  }
}
