import { fromLocal, localParts } from '../core/time.js';
import { Denied } from '../core/actor.js';
import type { Authority } from '../domain/authority.js';
import type { PersonPort } from '../domain/port.js';
import type { PhotoRef } from '../core/messages.js';
import { deferQuietHours, isQuietHour } from '../outbox/quiet-hours.js';
import {
  countAudience,
  countSince,
  createBroadcast,
  getBroadcast,
  listBroadcasts,
  progressOf,
  resumePending,
  setStatus,
  stopPending,
  type Audience,
  type AudienceCount,
  type Broadcast,
  type BroadcastStatus,
  type Progress,
} from './store.js';

/** The longest text the desk accepts whatever the channel (the wizard checks each channel's own limit). */
export const HARD_MAX_TEXT = 4000;

/** A photo reference as the channels produce it: a Telegram file_id and/or an http(s) URL, nothing else stored. */
function validPhoto(p: PhotoRef): PhotoRef | null {
  const fileId = p.fileId && /^[\w-]{10,200}$/.test(p.fileId) ? p.fileId : undefined;
  const url = p.url && p.url.length <= 2000 && /^https?:\/\/\S+$/.test(p.url) ? p.url : undefined;
  if ((p.fileId && !fileId) || (p.url && !url) || (!fileId && !url)) return null;
  return { ...(fileId ? { fileId } : {}), ...(url ? { url } : {}) };
}

/**
 * One person's broadcast desk for one update: every method checks the role,
 * the wards and the daily cap first (the edge), audits what it did or refused,
 * then calls the SQL in store.ts.
 */
export class BroadcastDesk {
  constructor(
    private readonly p: PersonPort,
    private readonly authority: Authority,
  ) {}

  /** May this person broadcast at all today? Their wards (null = city-wide allowed). */
  async begin(): Promise<{ wards: string[] | null } | Denied> {
    const denied = await this.authority.check('broadcast.send', undefined, 'broadcast:new');
    if (denied) return denied;
    const capped = await this.checkCap();
    if (capped) return capped;
    return { wards: await this.authority.wards() };
  }

  private async checkCap(): Promise<Denied | null> {
    const grant = await this.authority.grant();
    if (grant?.role === 'admin') return null;
    const me = this.p.contact();
    if (!me) return null;
    const { y, m, d } = localParts(this.p.now);
    const used = await countSince(this.p.read, me.id, fromLocal(y, m, d));
    const cap = this.p.settings.broadcastDailyCap;
    if (used < cap) return null;
    await this.p.audit('staff.denied', 'broadcast:new', { action: 'broadcast.send', reason: 'cap', used, cap });
    return new Denied('cap');
  }

  /** The audience must lie in the person's wards; city-wide is an administrator's. Refusals audited. */
  private async checkAudience(a: Audience, target: string): Promise<Denied | null> {
    if (a.wardCodes === null) return this.authority.check('broadcast.citywide', undefined, target);
    if (a.wardCodes.length === 0) return (await this.authority.check('broadcast.send', undefined, target)) ?? new Denied('wards');
    for (const w of a.wardCodes) {
      const denied = await this.authority.check('broadcast.send', w, target);
      if (denied) return denied;
    }
    return null;
  }

  /** How many people an audience reaches (for the preview). */
  async audience(a: Audience): Promise<AudienceCount | Denied> {
    const denied = await this.checkAudience(a, 'broadcast:new');
    if (denied) return denied;
    return countAudience(this.p.read, a);
  }

  /** Stores and enqueues a broadcast, now or at `at` (never in quiet hours), with an optional photo. */
  async create(input: { audience: Audience; text: string; photo?: PhotoRef | null; campaign: string | null; at: Date | null }): Promise<Broadcast | Denied> {
    // The audience's own check covers the role (per ward, or city-wide), so a refusal is audited once.
    const denied = (await this.checkAudience(input.audience, 'broadcast:new')) ?? (await this.checkCap());
    if (denied) return denied;
    const text = input.text.trim();
    if (!text || text.length > HARD_MAX_TEXT) return new Denied('not-found');
    const photo = input.photo ? validPhoto(input.photo) : null;
    if (input.photo && !photo) return new Denied('not-found');
    const at = input.at && input.at > this.p.now ? input.at : this.p.now;
    if (isQuietHour(at)) {
      await this.p.audit('staff.denied', 'broadcast:new', { action: 'broadcast.send', reason: 'quiet', at: at.toISOString(), next: deferQuietHours(at).toISOString() });
      return new Denied('quiet');
    }
    const me = await this.p.ensure();
    const b = await createBroadcast(
      this.p.write(),
      { audience: input.audience, text, photo, campaign: input.campaign, scheduledAt: at, progressChannel: me.channel, progressChat: me.chatId },
      me.id,
      this.p.now,
    );
    await this.p.audit('broadcast.create', `broadcast:${b.id}`, {
      audience: input.audience,
      campaign: input.campaign,
      scheduledAt: at.toISOString(),
      recipients: b.recipients,
      skipped: b.skippedAtStart,
      length: text.length,
      photo: photo ? (photo.fileId ? 'telegram' : 'url') : null,
    });
    return b;
  }

  /** A broadcast this person may control: its author, or an administrator. */
  private async own(id: number, action: string): Promise<Broadcast | Denied> {
    const b = await getBroadcast(this.p.read, id);
    const grant = await this.authority.grant();
    const me = this.p.contact();
    if (b && grant && (grant.role === 'admin' || (me && b.authorContactId === me.id))) return b;
    await this.p.ensure();
    await this.p.audit('staff.denied', `broadcast:${id}`, { action, reason: b ? 'no-role' : 'not-found' });
    return new Denied(b ? 'no-role' : 'not-found');
  }

  /** The broadcasts this person may control, newest first, with their progress: their own, or all of them for an administrator. */
  async list(limit = 20): Promise<{ broadcast: Broadcast; progress: Progress }[] | Denied> {
    const denied = await this.authority.check('broadcast.send', undefined, 'broadcasts');
    if (denied) return denied;
    const grant = await this.authority.grant();
    const mine = grant?.role === 'admin' ? null : (this.p.contact()?.id ?? -1);
    const out: { broadcast: Broadcast; progress: Progress }[] = [];
    for (const b of await listBroadcasts(this.p.read, mine, limit)) out.push({ broadcast: b, progress: await progressOf(this.p.read, b) });
    return out;
  }

  async progress(id: number): Promise<{ broadcast: Broadcast; progress: Progress } | Denied> {
    const b = await this.own(id, 'broadcast.progress');
    if (b instanceof Denied) return b;
    return { broadcast: b, progress: await progressOf(this.p.read, b) };
  }

  /** Pause: the pending rows are cancelled (in-flight ones finish); resume brings them back. */
  async pause(id: number) {
    return this.change(id, 'broadcast.pause', ['scheduled', 'sending'], 'paused', (w, b) => stopPending(w, b));
  }

  async resume(id: number) {
    const now = this.p.now;
    return this.change(id, 'broadcast.resume', ['paused'], 'sending', (w, b) => resumePending(w, b, isQuietHour(now) ? deferQuietHours(now) : now));
  }

  async cancel(id: number) {
    return this.change(id, 'broadcast.cancel', ['scheduled', 'sending', 'paused'], 'cancelled', (w, b) => stopPending(w, b));
  }

  private async change(
    id: number,
    action: string,
    from: BroadcastStatus[],
    to: BroadcastStatus,
    rowsOp: (w: ReturnType<PersonPort['write']>, b: Broadcast) => Promise<number>,
  ): Promise<{ broadcast: Broadcast; progress: Progress; rows: number } | Denied> {
    const b = await this.own(id, action);
    if (b instanceof Denied) return b;
    const w = this.p.write();
    const extra = to === 'sending' ? { startedAt: b.startedAt ?? this.p.now } : {};
    const changed = await setStatus(w, id, from, to, extra);
    if (!changed) return new Denied('not-found');
    const n = await rowsOp(w, changed);
    const progress = await progressOf(w, changed);
    await this.p.audit(action, `broadcast:${id}`, { rows: n, from: b.status, progress });
    return { broadcast: changed, progress, rows: n };
  }
}
