import type { i18n, TFunction } from 'i18next';
import type { Queryable } from '../db/client.js';
import { clearState, lastPromptSent, saveState, type SavedState } from '../domain/conversations.js';
import type { Contact, ConversationRow } from '../domain/contacts.js';
import { Person } from '../domain/person.js';
import type { WardDirectory } from '../domain/wards.js';
import { DEFAULT_LOCALE, translator } from '../i18n/index.js';
import type { CapsOf, ChannelCaps } from '../core/caps.js';
import type { ChannelName, Choice } from '../core/messages.js';
import type { PersonServices, Settings } from '../domain/port.js';
import type { FlowContext } from './flow.js';

const EMPTY: SavedState = { flow: null, step: null, data: {}, menu: null };

/**
 * One update's view of a person: who they are, where they are in a flow, and
 * what must be written back. State is written only when it changed, so a plain
 * FAQ answer stays a read-only transaction.
 */
export class Conversation {
  readonly person: Person;
  state: SavedState;
  private readonly loaded: string;
  private readonly hadRow: boolean;
  /** A flow step ran: keep the state's day-long lease fresh even if nothing else changed. */
  private touched = false;

  readonly channel: ChannelName;
  readonly caps: ChannelCaps;
  /** When the state (and the numbered menu in it) was last written; null when there is none. */
  readonly menuShownAt: Date | null;
  readonly now: Date;
  private readonly q: Queryable;
  private readonly i18n: i18n;
  private readonly context: Omit<FlowContext, 't' | 'locale'>;
  private ctx: FlowContext | undefined;

  constructor(o: {
    q: Queryable;
    i18n: i18n;
    channel: ChannelName;
    caps: ChannelCaps;
    capsOf: CapsOf;
    identity: { userId: string; chatId: string; displayName?: string | undefined };
    contact: Contact | null;
    row: ConversationRow | null;
    now: Date;
    wards: WardDirectory;
    settings: Settings;
    services: PersonServices;
    /** The engine's read-only fast path: any write refuses (NeedsLockError). */
    readOnly: boolean;
  }) {
    this.q = o.q;
    this.i18n = o.i18n;
    this.channel = o.channel;
    this.caps = o.caps;
    this.now = o.now;
    const { contact, row, now } = o;
    this.person = new Person(o.q, { channel: o.channel, ...o.identity }, contact, now, contact?.locale ?? DEFAULT_LOCALE, o.settings, o.readOnly, o.services);
    this.context = { now, channel: o.channel, caps: o.caps, capsOf: o.capsOf, person: this.person, wards: o.wards, settings: o.settings };
    const live = row && row.expiresAt > now ? row : null;
    this.state = live
      ? { flow: live.flow, step: live.step, data: live.data ?? {}, menu: live.menu ?? null }
      : { ...EMPTY };
    this.menuShownAt = live ? live.updatedAt : null;
    this.hadRow = row !== null;
    this.loaded = JSON.stringify(this.state);
  }

  get t(): TFunction {
    return translator(this.i18n, this.person.locale);
  }

  /** Made once: the engine reads it several times an update. */
  get flowContext(): FlowContext {
    this.ctx ??= new ConversationContext(this, this.context);
    return this.ctx;
  }

  /** The choices of a proactive message sent to this person since the state was written (see lastPromptSent). */
  async promptSentSince() {
    const contact = this.person.contact;
    if (!contact) return null;
    return lastPromptSent(this.q, { contactId: contact.id, channel: this.channel, after: this.menuShownAt, now: this.now });
  }

  enterFlow(flow: string, step: string, data: unknown): void {
    this.state = { flow, step, data: data as Record<string, unknown>, menu: null };
    this.touched = true;
  }

  leaveFlow(): void {
    this.state = { ...EMPTY };
  }

  setMenu(menu: Choice[] | null): void {
    this.state = { ...this.state, menu };
  }

  private get stateChanged(): boolean {
    return this.touched || JSON.stringify(this.state) !== this.loaded;
  }

  /** Whether handling this update wrote, or must write, anything. */
  get wantsWrite(): boolean {
    return this.person.hasWritten || this.stateChanged;
  }

  async persist(): Promise<void> {
    if (this.person.isErased) return;
    if (!this.stateChanged) return;
    const empty = this.state.flow === null && this.state.menu === null;
    if (empty) {
      if (this.hadRow && this.person.contact) await clearState(this.q, this.person.contact.id);
      return;
    }
    const contact = await this.person.ensure();
    await saveState(this.q, contact.id, this.state, this.now);
  }
}

/**
 * A conversation's context as its handlers see it. A class, so that every
 * update's context has one shape: an object literal with getters of its own
 * gave each update new hidden classes (about 3 KB of garbage apiece, the
 * largest single allocation of an update, measured with the sampling heap
 * profiler). `t` and `locale` follow the person's language even if a step
 * changes it mid-way.
 */
class ConversationContext implements FlowContext {
  readonly now: Date;
  readonly channel: ChannelName;
  readonly caps: ChannelCaps;
  readonly capsOf: CapsOf;
  readonly person: Person;
  readonly wards: WardDirectory;
  readonly settings: Settings;

  constructor(
    private readonly conversation: Conversation,
    c: Omit<FlowContext, 't' | 'locale'>,
  ) {
    this.now = c.now;
    this.channel = c.channel;
    this.caps = c.caps;
    this.capsOf = c.capsOf;
    this.person = c.person;
    this.wards = c.wards;
    this.settings = c.settings;
  }

  get t(): TFunction {
    return this.conversation.t;
  }

  get locale(): string {
    return this.conversation.person.locale;
  }
}
