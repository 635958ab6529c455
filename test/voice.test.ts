import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceAfterOptIn } from '../src/domain/person.js';
import { addressAsElder, VI_ELDER } from '../src/i18n/index.js';
import type { TestApp } from './support/app.js';
import { claimBatch } from '../src/outbox/store.js';
import { i18nRender } from '../src/outbox/render.js';
import { createSessionInChat, grantRole, LE_CHAN, sql$, staffApp, who } from './support/staff.js';

// "bác" when the person says they are elderly, "bạn" to everyone else (#13).

describe('the elder voice', () => {
  it('turns the reader’s "bạn" into "bác", and leaves a friend, a partner or "that person" alone', () => {
    expect(addressAsElder('Bạn muốn nhận nhắc lịch không? Mình nhắc bạn trước 1 ngày.')).toBe('Bác muốn nhận nhắc lịch không? Mình nhắc bác trước 1 ngày.');
    expect(addressAsElder('Nếu bạn đồng ý, bạn tình của bạn cũng nên xét nghiệm.')).toBe('Nếu bác đồng ý, bạn tình của bác cũng nên xét nghiệm.');
    expect(addressAsElder('bạn bè, bạn đời, bạn ấy, kết bạn, một người bạn')).toBe('bạn bè, bạn đời, bạn ấy, kết bạn, một người bạn');
    expect(addressAsElder('(bạn) bạn.')).toBe('(bác) bác.');
    expect(addressAsElder('Bạn')).toBe('Bác');
  });

  it('is chosen by subscribing to elderly checkups for oneself, and left by a programme of the young', () => {
    expect(voiceAfterOptIn('vi', ['elderly', 'campaigns'])).toBe(VI_ELDER);
    expect(voiceAfterOptIn('vi', ['elderly', 'newborn'])).toBe('vi'); // a grandparent? not sure: neutral
    expect(voiceAfterOptIn('en', ['elderly'])).toBe('en');
    expect(voiceAfterOptIn(VI_ELDER, ['newborn'])).toBe(VI_ELDER);
    expect(voiceAfterOptIn(VI_ELDER, ['prenatal'])).toBe('vi');
    expect(voiceAfterOptIn(VI_ELDER, ['familyplanning', 'campaigns'])).toBe('vi');
  });
});

describe('an elderly person subscribing for themselves', () => {
  let app: TestApp;
  const ELDER = '7501';
  const YOUNG = '7502';
  const STAFF = '7503';

  beforeAll(async () => {
    app = await staffApp();
    await grantRole(app, STAFF, 'staff', [LE_CHAN]);
    for (const [id, self] of [
      [ELDER, true],
      [YOUNG, false],
    ] as const) {
      await app.press('a:sub:elderly', who(id));
      if (self) await app.press('f:subscribe:who:self', who(id));
      else await app.press('a:sub:premarital', who(id)); // another person's path: a young programme instead
      await app.say('le chan', who(id));
      await app.press(`f:subscribe:ward:${LE_CHAN}`, who(id));
      await app.press('f:subscribe:notice:yes', who(id));
    }
  });
  afterAll(() => app.close());

  it('is addressed as "bác" from then on, in chat and in FAQ answers; a young person still as "bạn"', async () => {
    const [c] = await sql$<{ locale: string }>(app, sql`select locale from contacts where platform_user_id = ${ELDER}`);
    expect(c!.locale).toBe(VI_ELDER);
    const menu = await app.say('/menu', who(ELDER));
    const young = await app.say('/menu', who(YOUNG));
    expect(young.map((r) => r.text).join('\n')).toMatch(/\bbạn\b|Bạn/);
    expect(menu.map((r) => r.text).join('\n')).not.toMatch(/(^|[^\p{L}])[Bb]ạn([^\p{L}]|$)/u);
    const answer = await app.say('kham tien hon nhan co bat buoc ko', who(ELDER));
    expect(answer[0]!.text).toContain('Không bắt buộc bác nhé');
  });

  it('reads what the outbox sends in the same voice: the row is claimed with the contact’s voice and rendered in it', async () => {
    await createSessionInChat(app, STAFF, { programme: 'elderly' });
    const claimed = await claimBatch(app.database.db, { channel: 'telegram', now: app.clock.now(), limit: 100, maxPriority: 9 });
    const [elder] = await sql$<{ id: number }>(app, sql`select id from contacts where platform_user_id = ${ELDER}`);
    const invitation = claimed.find((m) => m.contactId === elder!.id && m.payload.key === 'invites.session');
    expect(invitation?.locale).toBe(VI_ELDER);
    const render = i18nRender(app.i18n);
    // October's yearly-checkup message, as this person would get it (its text addresses the reader).
    const october = { ...invitation!, payload: { key: 'journeys.msg.elderly.october', params: { ward: 'Lê Chân' } } };
    expect(render(october, VI_ELDER).text).toContain('Nếu bác chưa khám sức khỏe định kỳ năm nay');
    expect(render(october, 'vi').text).toContain('Nếu bạn chưa khám sức khỏe định kỳ năm nay');
  });

  it('choosing Vietnamese again in /ngonngu keeps the voice', async () => {
    await app.say('/ngonngu', who(ELDER));
    await app.press('f:language:choose:vi', who(ELDER));
    const [c] = await sql$<{ locale: string }>(app, sql`select locale from contacts where platform_user_id = ${ELDER}`);
    expect(c!.locale).toBe(VI_ELDER);
  });
});
