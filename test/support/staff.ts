import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { rows } from '../../src/db/client.js';
import { bootstrapAdmins } from '../../src/domain/staff.js';
import type { OutboundMessage } from '../../src/core/messages.js';
import { i18nRender } from '../../src/outbox/render.js';
import type { ClaimedMessage } from '../../src/outbox/types.js';
import { testApp, type TestApp } from './app.js';

export const ADMIN = '9000';
export const LE_CHAN = '11383';
export const NGO_QUYEN = '11329';
export const who = (id: string) => ({ userId: id, chatId: id });

/** A test app whose administrator (Telegram id 9000) comes from ADMIN_TELEGRAM_IDS. */
export async function staffApp(now?: Date): Promise<TestApp> {
  const app = await testApp(now ? { now } : {});
  await bootstrapAdmins(app.database.db, [ADMIN], app.clock.now());
  return app;
}

export const sql$ = <T = Record<string, unknown>>(app: TestApp, query: ReturnType<typeof sql>) => rows<T>(app.database.db, query);

const last = (replies: OutboundMessage[]) => replies.at(-1)!;
export const buttonValue = (replies: OutboundMessage[], prefix: string) =>
  replies.flatMap((r) => r.choices ?? []).find((c) => c.value.startsWith(prefix))?.value;

/** The administrator makes an invite in chat; the person redeems it with /moi CODE (on Telegram, or on `channel`). */
/** A counsellor with no ward answers the whole city (the roles flow's "Toàn thành phố"). */
export async function grantRole(app: TestApp, userId: string, role: 'staff' | 'collaborator' | 'admin' | 'counsellor', wards: string[] = [LE_CHAN], channel: 'telegram' | 'zalo' = 'telegram') {
  const admin = who(ADMIN);
  await app.press('a:roles:invite', admin);
  let replies = await app.press(`f:roles:role:${role}`, admin);
  for (const code of role === 'admin' ? [] : wards) {
    const name = app.wards.get(code)!.short;
    await app.say(name, admin);
    replies = await app.press(`f:roles:wards:${code}`, admin);
  }
  if (role === 'counsellor' && wards.length === 0) replies = await app.press('f:roles:wards:city', admin);
  else if (role !== 'admin') replies = await app.press('f:roles:wards:done', admin);
  const invite = /Mã mời: ([A-Z0-9]{8})/.exec(replies[0]!.text)?.[1];
  expect(invite, replies[0]!.text).toBeDefined();
  const welcome = await app.say(`/moi ${invite}`, { ...who(userId), channel });
  expect(welcome[0]!.text).toContain('Chào mừng');
  return invite!;
}

export interface SessionOpts {
  programme?: 'premarital' | 'prenatal' | 'newborn' | 'elderly';
  ward?: string;
  when?: string;
  capacity?: number;
  needsPhone?: boolean;
}

/** A staff member creates a session through the chat flow; returns its id. */
export async function createSessionInChat(app: TestApp, userId: string, o: SessionOpts = {}): Promise<number> {
  const me = who(userId);
  const menu = await app.say('/canbo', me);
  expect(buttonValue(menu, 'a:snew'), menu[0]!.text).toBeDefined();
  let replies = await app.press('a:snew', me);
  replies = await app.press(`f:session-new:programme:${o.programme ?? 'elderly'}`, me);
  if (last(replies).text.includes('xã/phường nào')) {
    const ward = o.ward ?? LE_CHAN;
    if (!buttonValue(replies, `f:session-new:ward:${ward}`)) await app.say(app.wards.get(ward)!.short, me);
    replies = await app.press(`f:session-new:ward:${ward}`, me);
  }
  expect(last(replies).text).toContain('Địa điểm');
  await app.say('Trạm Y tế phường Lê Chân, 12 Hai Bà Trưng', me);
  replies = await app.say(o.when ?? '10/12 7h30', me);
  expect(last(replies).text).toContain('kéo dài');
  await app.press('f:session-new:duration:120', me);
  await app.say(String(o.capacity ?? 30), me);
  await app.say('Nhớ mang CCCD và thẻ BHYT; nhịn ăn sáng.', me);
  replies = await app.press(`f:session-new:phone:${o.needsPhone ? 'yes' : 'no'}`, me);
  expect(last(replies).text).toContain('Xem lại');
  replies = await app.press('f:session-new:confirm:yes', me);
  const id = Number(buttonValue(replies, 'a:ses:')?.split(':')[2]);
  expect(id, replies[0]!.text).toBeGreaterThan(0);
  return id;
}

/** A person books a place for themselves from the invitation's button, consenting when asked. */
export async function bookInChat(app: TestApp, userId: string, sessionId: number): Promise<OutboundMessage[]> {
  const me = who(userId);
  let replies = await app.press(`a:book:${sessionId}`, me);
  if (buttonValue(replies, 'f:book:who:self')) replies = await app.press('f:book:who:self', me);
  if (buttonValue(replies, 'f:book:notice:yes')) replies = await app.press('f:book:notice:yes', me);
  return replies;
}

export interface OutboxRow {
  dedupe_key: string;
  status: string;
  due_at: Date;
  contact_id: number;
  priority: number;
  payload: { key: string; params?: Record<string, string | number>; choices?: { key: string; value: string }[] };
}

export const outboxRows = async (app: TestApp, like = '%') =>
  (await sql$<OutboxRow>(app, sql`select dedupe_key, status, due_at, contact_id, priority, payload from outbox where dedupe_key like ${like} order by due_at, dedupe_key`)).map(
    (r) => ({ ...r, due_at: new Date(r.due_at), payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload }),
  );

export const pending = async (app: TestApp, like = 'appt:%') => (await outboxRows(app, like)).filter((r) => r.status === 'pending');

/** An outbox row rendered as the dispatcher would, in a language. */
export function rendered(app: TestApp, row: OutboxRow, locale = 'vi'): OutboundMessage {
  return i18nRender(app.i18n)({ payload: row.payload } as ClaimedMessage, locale);
}
