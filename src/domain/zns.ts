import { eq } from 'drizzle-orm';
import { znsRecipients } from '../db/schema.js';
import { recordConsent } from './consent.js';
import { isMobilePhone } from '../core/phone.js';
import type { PersonPort } from './port.js';

/**
 * Reminders by ZNS (Zalo Notification Service: an approved template sent by the
 * health department's Official Account to the Zalo account of a phone number)
 * reach a person the bot itself cannot. They need the person's number and their
 * explicit consent to get reminders at it: both are kept in `zns_recipients`
 * (the consent also in `consents`, purpose 'zns'), and only while that consent
 * stands. The booking flow asks, once, right after the person typed or shared
 * a number; a refusal, /huy and /xoa remove the number.
 */

/** One person's ZNS consent, for one update (Person.zns). */
export class ZnsConsentDesk {
  constructor(private readonly p: PersonPort) {}

  /** The number they agreed to get ZNS reminders at, if any. */
  async phone(): Promise<string | null> {
    const c = this.p.contact();
    if (!c) return null;
    const [row] = await this.p.read.select({ phone: znsRecipients.phone }).from(znsRecipients).where(eq(znsRecipients.contactId, c.id));
    return row?.phone ?? null;
  }

  /** Ask about this number? Only when ZNS is on, it is a mobile number (ZNS needs one) and not the one already agreed to. */
  async shouldAsk(phone: string): Promise<boolean> {
    if (!this.p.settings.znsOffered || !isMobilePhone(phone)) return false;
    return (await this.phone()) !== phone;
  }

  /** Yes: this number replaces any earlier one. */
  async agree(phone: string): Promise<void> {
    if (!isMobilePhone(phone)) throw new Error('ZNS needs a mobile number');
    const c = await this.p.ensure();
    const w = this.p.write();
    await w
      .insert(znsRecipients)
      .values({ contactId: c.id, phone, consentedAt: this.p.now })
      .onConflictDoUpdate({ target: znsRecipients.contactId, set: { phone, consentedAt: this.p.now } });
    await recordConsent(w, c.id, true, this.p.now, 'zns');
  }

  /** No: recorded as a refusal, and an earlier number goes. */
  async decline(): Promise<void> {
    const c = await this.p.ensure();
    const w = this.p.write();
    await w.delete(znsRecipients).where(eq(znsRecipients.contactId, c.id));
    await recordConsent(w, c.id, false, this.p.now, 'zns');
  }

  /** Stop (/huy): the number goes with the consent; a later booking asks again. */
  async withdraw(): Promise<void> {
    const c = this.p.contact();
    if (!c) return;
    const w = this.p.write();
    const gone = await w.delete(znsRecipients).where(eq(znsRecipients.contactId, c.id)).returning({ id: znsRecipients.contactId });
    if (gone.length) await recordConsent(w, c.id, false, this.p.now, 'zns');
  }
}
