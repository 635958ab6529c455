import type { Hono } from 'hono';
import { Denied, isDenied } from '../../core/actor.js';
import { displayPhone } from '../../core/phone.js';
import { SCREENING_PROGRAMMES } from '../../core/programmes.js';
import { fromLocal, localDate, localParts } from '../../core/time.js';
import { authorize } from '../../domain/authority.js';
import type { BookingRow } from '../../domain/reports.js';
import type { NewSession, Session } from '../../domain/sessions.js';
import type { WalkIn } from '../../domain/walkins.js';
import type { Translate } from '../../i18n/index.js';
import type { ConsoleEnv, Staff } from '../auth.js';
import { csvHeaders, toCsv } from '../csv.js';
import { csrfField, type Html, html, num, options, pageOf, pager, raw, stamp, when } from '../html.js';
import type { ConsoleDeps } from '../index.js';
import { backTo, denied, field, idParam, intField, noticeOf, render, wantsJson } from '../respond.js';

/** The programmes a session can be for: the chat's session flow's list (the screening programmes and family planning). */
export const SESSION_PROGRAMMES = SCREENING_PROGRAMMES;
type SessionProgramme = (typeof SESSION_PROGRAMMES)[number];
const isSessionProgramme = (v: string): v is SessionProgramme => (SESSION_PROGRAMMES as readonly string[]).includes(v);

/** The bounds the chat's session flow applies (flows/session-new.ts, flows/common.ts typedPlace). */
export const LIMITS = { place: 200, placeName: 100, placeAddress: 150, minPart: 3, note: 300, capacity: 2000, durationMin: 15, durationMax: 720 } as const;

const NOTICES = {
  created: 'console.session.created',
  changed: 'console.session.changed',
  capacity: 'console.session.capacitySet',
  unchanged: 'console.session.nothingChanged',
  cancelled: 'console.session.cancelled',
  rest: 'console.bookings.restMarked',
  walkin: 'console.bookings.walkInAdded',
  walkinRemoved: 'console.bookings.walkInRemoved',
};

const wardName = (deps: ConsoleDeps, code: string) => deps.wards.get(code)?.name ?? code;
const programmeName = (t: Translate, p: string) => t(`console.programme.${p}`);

/** Who is coming: a relative by name and birth year (with who booked them), else the booker's name. */
function attendee(t: Translate, b: BookingRow): string {
  if (b.dependent) return b.name ? t('console.bookings.relative', { name: b.dependent, year: b.birthYear ?? '', by: b.name }) : t('console.bookings.relativeNoBy', { name: b.dependent, year: b.birthYear ?? '' });
  return b.name ?? t('console.bookings.anonymous');
}

interface SessionForm {
  programme: string;
  wardCode: string;
  placeName: string;
  placeAddress: string;
  date: string;
  time: string;
  durationMin: string;
  capacity: string;
  note: string;
  needsPhone: boolean;
}
type Errors = Partial<Record<keyof SessionForm | 'past' | 'belowBooked', string>>;

/** Checks a posted session form as the chat flow would; the instant in Hải Phòng time. */
function parseSessionForm(s: Staff, f: SessionForm, o: { create: boolean }): { value: Omit<NewSession, 'programme'> & { programme: SessionProgramme }; errors: null } | { value: null; errors: Errors } {
  const errors: Errors = {};
  const t = s.t;
  const e = (k: keyof Errors, key: string) => (errors[k] = t(`console.form.invalid.${key}`));
  if (o.create && !isSessionProgramme(f.programme)) e('programme', 'programme');
  if (o.create && !/^\d{5}$/.test(f.wardCode)) e('wardCode', 'wardCode');
  const placeName = f.placeName.normalize('NFC').replace(/\s+/g, ' ').trim();
  const placeAddress = f.placeAddress.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (placeName.length < LIMITS.minPart || placeName.length > LIMITS.placeName) e('placeName', 'placeName');
  if (placeAddress.length < LIMITS.minPart || placeAddress.length > LIMITS.placeAddress || placeName.length + placeAddress.length + 2 > LIMITS.place) e('placeAddress', 'placeAddress');
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(f.date);
  const tm = /^(\d{1,2}):(\d{2})$/.exec(f.time);
  if (!d) e('date', 'date');
  if (!tm || Number(tm[1]) > 23 || Number(tm[2]) > 59) e('time', 'time');
  let startsAt: Date | null = null;
  if (d && tm) {
    startsAt = fromLocal(Number(d[1]), Number(d[2]), Number(d[3]), Number(tm[1]), Number(tm[2]));
    if (localDate(startsAt) !== f.date) e('date', 'date');
    else if (startsAt <= s.now) e('past', 'past');
  }
  const duration = Number(f.durationMin);
  if (o.create && (!Number.isInteger(duration) || duration < LIMITS.durationMin || duration > LIMITS.durationMax)) e('durationMin', 'durationMin');
  const capacity = Number(f.capacity);
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > LIMITS.capacity) e('capacity', 'capacity');
  const note = f.note.normalize('NFC').trim();
  if (note.length > LIMITS.note) e('note', 'note');
  if (Object.keys(errors).length) return { value: null, errors };
  return {
    value: {
      programme: f.programme as SessionProgramme,
      wardCode: f.wardCode,
      placeName,
      placeAddress,
      startsAt: startsAt!,
      durationMin: duration,
      capacity,
      note: note || null,
      needsPhone: f.needsPhone,
    },
    errors: null,
  };
}

const formOf = (body: Record<string, unknown>): SessionForm => ({
  programme: field(body, 'programme'),
  wardCode: field(body, 'wardCode'),
  placeName: field(body, 'placeName'),
  placeAddress: field(body, 'placeAddress'),
  date: field(body, 'date'),
  time: field(body, 'time'),
  durationMin: field(body, 'durationMin'),
  capacity: field(body, 'capacity'),
  note: field(body, 'note'),
  needsPhone: field(body, 'needsPhone') === 'on' || field(body, 'needsPhone') === '1',
});

const fieldError = (errors: Errors, k: keyof Errors) => (errors[k] ? html`<p class="field-error">${errors[k]}</p>` : '');

function input(label: string, name: string, value: string, o: { type?: string; hint?: string; errors: Errors; key?: keyof Errors; attrs?: string } ) {
  const id = `f-${name}`;
  return html`<label for="${id}">${label}</label>
    <input id="${id}" name="${name}" type="${o.type ?? 'text'}" value="${value}"${o.hint ? html` placeholder="${o.hint}"` : ''}${raw(o.attrs ? ` ${o.attrs}` : '')}>
    ${fieldError(o.errors, o.key ?? (name as keyof Errors))}${o.key === 'date' ? fieldError(o.errors, 'past') : ''}`;
}

/** The new-session form (staff and administrators): the same questions as /canbo → Tạo buổi khám. */
function newSessionForm(s: Staff, deps: ConsoleDeps, f: SessionForm, errors: Errors, allowed: string[] | null): Html {
  const t = s.t;
  const wards = (allowed ?? deps.wards.list.map((w) => w.code)).map((c) => ({ value: c, label: wardName(deps, c) }));
  return html`<h1>${t('console.form.newTitle')}</h1>
  <form method="post" action="/staff/sessions" class="card">
    ${csrfField(s.csrf)}
    <label for="f-programme">${t('console.form.programme')}</label>
    <select id="f-programme" name="programme" required>${options(SESSION_PROGRAMMES.map((p) => ({ value: p, label: programmeName(t, p) })), f.programme)}</select>
    ${fieldError(errors, 'programme')}
    <label for="f-wardCode">${t('console.form.ward')}</label>
    <select id="f-wardCode" name="wardCode" required>${options(wards, f.wardCode)}</select>
    ${fieldError(errors, 'wardCode')}
    ${input(t('console.form.placeName'), 'placeName', f.placeName, { hint: t('console.form.placeNameHint'), errors, attrs: `required maxlength="${LIMITS.placeName}"` })}
    ${input(t('console.form.placeAddress'), 'placeAddress', f.placeAddress, { hint: t('console.form.placeAddressHint'), errors, attrs: `required maxlength="${LIMITS.placeAddress}"` })}
    ${input(t('console.form.date'), 'date', f.date, { type: 'date', errors, key: 'date', attrs: 'required' })}
    ${input(t('console.form.time'), 'time', f.time, { type: 'time', errors, attrs: 'required' })}
    ${input(t('console.form.duration'), 'durationMin', f.durationMin, { type: 'number', errors, attrs: `required min="${LIMITS.durationMin}" max="${LIMITS.durationMax}" step="15"` })}
    ${input(t('console.form.capacity'), 'capacity', f.capacity, { type: 'number', errors, attrs: `required min="1" max="${LIMITS.capacity}"` })}
    <label for="f-note">${t('console.form.note')}</label>
    <textarea id="f-note" name="note" rows="2" maxlength="${LIMITS.note}" placeholder="${t('console.form.noteHint')}">${f.note}</textarea>
    ${fieldError(errors, 'note')}
    <label class="check"><input type="checkbox" name="needsPhone" value="1"${f.needsPhone ? raw(' checked') : ''}> ${t('console.form.needsPhone')}</label>
    <p><button type="submit" class="primary">${t('console.form.create')}</button></p>
  </form>`;
}

function sessionSummary(s: Staff, deps: ConsoleDeps, x: Session): Html {
  const t = s.t;
  return html`<dl class="card">
    <dt>${t('console.sessions.programme')}</dt><dd>${programmeName(t, x.programme)}</dd>
    <dt>${t('console.sessions.ward')}</dt><dd>${wardName(deps, x.wardCode)}</dd>
    <dt>${t('console.sessions.when')}</dt><dd>${when(t, x.startsAt)} · ${t('console.session.duration', { minutes: x.durationMin })}</dd>
    <dt>${t('console.sessions.place')}</dt><dd>${x.placeName}, ${x.placeAddress}</dd>
    <dt>${t('console.sessions.booked')}</dt><dd>${num(s.locale, x.booked)} / ${num(s.locale, x.capacity)}</dd>
    ${x.note ? html`<dt>${t('console.session.note')}</dt><dd>${x.note}</dd>` : ''}
    ${x.needsPhone ? html`<dt>${t('console.session.needsPhone')}</dt><dd>${t('console.yes')}</dd>` : ''}
    <dt>${t('console.sessions.status')}</dt><dd>${t(`console.status.${x.status}`)}</dd>
  </dl>`;
}

function editForm(s: Staff, x: Session, f: Pick<SessionForm, 'placeName' | 'placeAddress' | 'date' | 'time' | 'capacity'>, errors: Errors): Html {
  const t = s.t;
  return html`<h2>${t('console.session.edit')}</h2>
  <form method="post" action="/staff/sessions/${x.id}" class="card">
    ${csrfField(s.csrf)}
    <p class="muted">${t('console.session.editHelp')}</p>
    ${input(t('console.form.date'), 'date', f.date, { type: 'date', errors, key: 'date', attrs: 'required' })}
    ${input(t('console.form.time'), 'time', f.time, { type: 'time', errors, attrs: 'required' })}
    ${input(t('console.form.placeName'), 'placeName', f.placeName, { errors, attrs: `required maxlength="${LIMITS.placeName}"` })}
    ${input(t('console.form.placeAddress'), 'placeAddress', f.placeAddress, { errors, attrs: `required maxlength="${LIMITS.placeAddress}"` })}
    ${input(t('console.form.capacity'), 'capacity', f.capacity, { type: 'number', errors, attrs: `required min="1" max="${LIMITS.capacity}"` })}
    ${fieldError(errors, 'belowBooked')}
    <p><button type="submit" class="primary">${t('console.save')}</button></p>
  </form>`;
}

const hhmm = (at: Date) => {
  const p = localParts(at);
  return `${String(p.h).padStart(2, '0')}:${String(p.mi).padStart(2, '0')}`;
};
const editValues = (x: Session) => ({ placeName: x.placeName, placeAddress: x.placeAddress, date: localDate(x.startsAt), time: hhmm(x.startsAt), capacity: String(x.capacity) });

function sessionsTable(s: Staff, deps: ConsoleDeps, list: Session[]): Html {
  const t = s.t;
  if (!list.length) return html`<p>${t('console.sessions.none')}</p>`;
  return html`<div class="table-wrap"><table>
    <thead><tr><th>#</th><th>${t('console.sessions.when')}</th><th>${t('console.sessions.programme')}</th><th>${t('console.sessions.ward')}</th><th>${t('console.sessions.place')}</th><th class="n">${t('console.sessions.booked')}</th><th>${t('console.sessions.status')}</th></tr></thead>
    <tbody>${list.map(
      (x) => html`<tr>
        <td><a href="/staff/sessions/${x.id}">#${x.id}</a></td>
        <td>${when(t, x.startsAt)}</td>
        <td>${programmeName(t, x.programme)}</td>
        <td>${wardName(deps, x.wardCode)}</td>
        <td>${x.placeName}</td>
        <td class="n"><a href="/staff/sessions/${x.id}/bookings">${num(s.locale, x.booked)}/${num(s.locale, x.capacity)}</a></td>
        <td>${t(`console.status.${x.status}`)}</td>
      </tr>`,
    )}</tbody></table></div>`;
}

export { sessionsTable };

/** Sessions: the list, a new one, one's page (edit, cancel), its bookings and attendance, walk-ins, CSV. */
export function sessionPages(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  app.get('/sessions', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const whenQ = c.req.query('when') === 'past' ? 'past' : 'upcoming';
    const pageNo = pageOf(c.req.query('page'));
    const r = await s.person.staff.sessionList(whenQ, (pageNo - 1) * 50, 50);
    if (isDenied(r)) return denied(c, s, r);
    const canCreate = authorize(s.grant, 'session.create') === null;
    return render(
      c,
      t('console.sessions.title'),
      html`<h1>${t('console.sessions.title')}</h1>
      <div class="actions">
        <a class="button${whenQ === 'upcoming' ? ' primary' : ''}" href="/staff/sessions">${t('console.sessions.upcoming')}</a>
        <a class="button${whenQ === 'past' ? ' primary' : ''}" href="/staff/sessions?when=past">${t('console.sessions.past')}</a>
        ${canCreate ? html`<a class="button" href="/staff/sessions/new">${t('console.sessions.new')}</a>` : ''}
        <a class="button" href="/staff/sessions.csv?when=${whenQ}">${t('console.csv')}</a>
      </div>
      ${sessionsTable(s, deps, r.list)}
      ${pager(t, '/staff/sessions', { when: whenQ === 'past' ? 'past' : undefined }, pageNo, r.total, 50)}`,
      { notice: noticeOf(c, NOTICES) },
    );
  });

  app.get('/sessions.csv', async (c) => {
    const s = c.get('staff');
    const whenQ = c.req.query('when') === 'past' ? 'past' : 'upcoming';
    const r = await s.person.staff.sessionList(whenQ, 0, 5000);
    if (isDenied(r)) return denied(c, s, r);
    await s.person.audit('console.export', 'sessions', { when: whenQ, rows: r.list.length });
    const body = r.list.map((x) => [x.id, stamp(x.startsAt), x.durationMin, x.programme, x.wardCode, wardName(deps, x.wardCode), x.placeName, x.placeAddress, x.capacity, x.booked, x.status, x.note ?? '']);
    return c.body(
      toCsv(['session_id', 'starts_at', 'duration_min', 'programme', 'ward_code', 'ward_name', 'place_name', 'place_address', 'capacity', 'booked', 'status', 'note'], body),
      200,
      csvHeaders(`sessions-${whenQ}-${localDate(s.now)}.csv`),
    );
  });

  const blank = (s: Staff, allowed: string[] | null): SessionForm => {
    const tomorrow = new Date(s.now.getTime() + 86_400_000);
    return { programme: 'elderly', wardCode: allowed?.[0] ?? '', placeName: '', placeAddress: '', date: localDate(tomorrow), time: '07:30', durationMin: '120', capacity: '30', note: '', needsPhone: false };
  };

  app.get('/sessions/new', async (c) => {
    const s = c.get('staff');
    const d = await s.person.staff.check('session.create', undefined, 'session:new');
    if (d) return denied(c, s, d);
    const allowed = await s.person.staff.wards();
    return render(c, s.t('console.form.newTitle'), newSessionForm(s, deps, blank(s, allowed), {}, allowed));
  });

  app.post('/sessions', async (c) => {
    const s = c.get('staff');
    const allowed = await s.person.staff.wards();
    const f = formOf(await c.req.parseBody());
    const parsed = parseSessionForm(s, f, { create: true });
    if (!parsed.value) return render(c, s.t('console.form.newTitle'), newSessionForm(s, deps, f, parsed.errors, allowed), { error: s.t('console.errors.form'), status: 422 });
    if (!deps.wards.get(parsed.value.wardCode)) {
      return render(c, s.t('console.form.newTitle'), newSessionForm(s, deps, f, { wardCode: s.t('console.form.invalid.wardCode') }, allowed), { error: s.t('console.errors.form'), status: 422 });
    }
    // The same call as the chat's "Tạo buổi khám": the role and ward checked, invitations enqueued, audited.
    const created = await s.person.staff.createSession(parsed.value);
    if (isDenied(created)) return denied(c, s, created);
    return backTo(c, `/staff/sessions/${created.session.id}`, { ok: 'created', id: created.session.id, n: created.invited });
  });

  app.get('/sessions/:id{[0-9]+}', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'));
    if (id === null) return denied(c, s, new Denied('not-found'));
    const x = await s.person.staff.session(id, 'session.bookings');
    if (isDenied(x)) return denied(c, s, x);
    return render(c, s.t('console.session.title', { id }), sessionPage(s, deps, x, editValues(x), {}), { notice: noticeOf(c, NOTICES) });
  });

  app.post('/sessions/:id{[0-9]+}', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const x = await s.person.staff.session(id, 'session.edit');
    if (isDenied(x)) return denied(c, s, x);
    const body = await c.req.parseBody();
    const f = { ...formOf(body), programme: x.programme, wardCode: x.wardCode, durationMin: String(x.durationMin), note: x.note ?? '', needsPhone: x.needsPhone };
    const parsed = parseSessionForm(s, f, { create: false });
    const again = (errors: Errors) => render(c, s.t('console.session.title', { id }), sessionPage(s, deps, x, f, errors), { error: s.t('console.errors.form'), status: 422 });
    if (!parsed.value) return again(parsed.errors);
    const v = parsed.value;
    let note: Record<string, string | number> = { ok: 'unchanged' };
    if (v.capacity !== x.capacity) {
      const r = await s.person.staff.setCapacity(id, v.capacity);
      if (isDenied(r)) return r.reason === 'below-booked' ? again({ belowBooked: s.t('console.form.invalid.belowBooked') }) : denied(c, s, r);
      note = { ok: 'capacity', capacity: v.capacity };
    }
    const change: { startsAt?: Date; placeName?: string; placeAddress?: string } = {};
    if (v.startsAt.getTime() !== x.startsAt.getTime()) change.startsAt = v.startsAt;
    if (v.placeName !== x.placeName || v.placeAddress !== x.placeAddress) Object.assign(change, { placeName: v.placeName, placeAddress: v.placeAddress });
    if (Object.keys(change).length) {
      // The same call as the chat: reminders re-planned, the booked told, audited.
      const r = await s.person.staff.changeSession(id, change);
      if (isDenied(r)) return denied(c, s, r);
      note = { ok: 'changed', n: r.told };
    }
    return backTo(c, `/staff/sessions/${id}`, note);
  });

  app.get('/sessions/:id{[0-9]+}/cancel', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const x = await s.person.staff.session(id, 'session.cancel');
    if (isDenied(x)) return denied(c, s, x);
    const t = s.t;
    return render(
      c,
      t('console.session.cancel'),
      html`<h1>${t('console.session.cancel')}</h1>
      ${sessionSummary(s, deps, x)}
      <form method="post" action="/staff/sessions/${id}/cancel" class="card">
        ${csrfField(s.csrf)}
        <p>${t('console.session.cancelConfirm', { n: x.booked })}</p>
        <button type="submit" class="danger">${t('console.session.cancelYes')}</button>
        <a href="/staff/sessions/${id}">${t('console.back')}</a>
      </form>`,
    );
  });

  app.post('/sessions/:id{[0-9]+}/cancel', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const r = await s.person.staff.cancelSession(id);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, `/staff/sessions/${id}`, { ok: 'cancelled', n: r.told });
  });

  // ---- bookings and attendance ----

  app.get('/sessions/:id{[0-9]+}/bookings', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const q = (c.req.query('q') ?? '').slice(0, 80).trim();
    const print = c.req.query('print') === '1';
    const pageNo = pageOf(c.req.query('page'));
    const size = print ? 10_000 : 50;
    const r = await s.person.staff.bookingPage(id, { ...(q ? { search: q } : {}), offset: print ? 0 : (pageNo - 1) * size, limit: size });
    if (isDenied(r)) return denied(c, s, r);
    return render(c, s.t('console.bookings.title', { id }), bookingsPage(s, deps, r, { q, pageNo, size, print }), { notice: noticeOf(c, NOTICES) });
  });

  app.get('/sessions/:id{[0-9]+}/bookings.csv', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const r = await s.person.staff.bookingPage(id, { offset: 0, limit: 100_000 });
    if (isDenied(r)) return denied(c, s, r);
    await s.person.audit('console.export', `session:${id}`, { what: 'bookings', rows: r.list.length + r.walkIns.length });
    const body = [
      ...r.list.map((b) => ['booking', b.id, b.dependent ?? b.name ?? '', b.dependent ? b.birthYear : '', b.dependent ? (b.name ?? '') : '', b.phone ? displayPhone(b.phone) : '', b.status, stamp(b.createdAt)]),
      ...r.walkIns.map((w) => ['walk_in', w.id, w.name, w.birthYear ?? '', '', '', 'attended', stamp(w.createdAt)]),
    ];
    return c.body(toCsv(['kind', 'id', 'name', 'birth_year', 'booked_by', 'phone', 'status', 'created_at'], body), 200, csvHeaders(`session-${id}-bookings.csv`));
  });

  app.post('/sessions/:id{[0-9]+}/attendance', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const body = await c.req.parseBody();
    const booking = idParam(field(body, 'booking'));
    const attended = field(body, 'attended') === '1';
    if (booking === null) return denied(c, s, new Denied('not-found'));
    // The same call as the chat's attendance page: role and ward checked, reminders dropped, counted, audited.
    const r = await s.person.staff.markAttendance(id, booking, attended);
    if (isDenied(r)) return wantsJson(c) ? c.json({ error: r.reason }, r.reason === 'not-found' ? 404 : 403) : denied(c, s, r);
    if (wantsJson(c)) {
      const counts = await s.person.staff.attendanceCounts(id);
      const status = attended ? 'attended' : 'no_show';
      return c.json({ status, label: s.t(`console.status.${status}`), counts: isDenied(counts) ? {} : counts });
    }
    return c.redirect(`/staff/sessions/${id}/bookings${backQuery(field(body, 'back'))}#b${booking}`, 303);
  });

  app.post('/sessions/:id{[0-9]+}/noshow', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const r = await s.person.staff.markRestNoShow(id);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, `/staff/sessions/${id}/bookings`, { ok: 'rest', n: r });
  });

  app.post('/sessions/:id{[0-9]+}/walkins', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const body = await c.req.parseBody();
    const name = field(body, 'name').normalize('NFC').replace(/\s+/g, ' ').trim();
    const year = intField(body, 'birthYear');
    const thisYear = localParts(s.now).y;
    const errors: string[] = [];
    if (name.length < 2 || name.length > 80) errors.push(s.t('console.form.invalid.name'));
    if (year !== null && (!Number.isInteger(year) || year < thisYear - 120 || year > thisYear)) errors.push(s.t('console.form.invalid.birthYear'));
    if (errors.length) {
      const r = await s.person.staff.bookingPage(id, { offset: 0, limit: 50 });
      if (isDenied(r)) return denied(c, s, r);
      return render(c, s.t('console.bookings.title', { id }), bookingsPage(s, deps, r, { q: '', pageNo: 1, size: 50, print: false, walkIn: { name, year: field(body, 'birthYear') } }), { error: errors.join(' '), status: 422 });
    }
    const r = await s.person.staff.addWalkIn(id, { name, birthYear: year });
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, `/staff/sessions/${id}/bookings`, { ok: 'walkin' });
  });

  app.post('/sessions/:id{[0-9]+}/walkins/:wid{[0-9]+}/remove', async (c) => {
    const s = c.get('staff');
    const id = idParam(c.req.param('id'))!;
    const wid = idParam(c.req.param('wid'));
    if (wid === null) return denied(c, s, new Denied('not-found'));
    const r = await s.person.staff.removeWalkIn(id, wid);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, `/staff/sessions/${id}/bookings`, { ok: 'walkinRemoved' });
  });
}

/** The list's search and page, carried through a form post (only those two, re-encoded). */
function backQuery(raw: string): string {
  const p = new URLSearchParams(raw);
  const out = new URLSearchParams();
  const q = p.get('q');
  const page = p.get('page');
  if (q) out.set('q', q.slice(0, 80));
  if (page && /^\d{1,6}$/.test(page)) out.set('page', page);
  const s = out.toString();
  return s ? `?${s}` : '';
}

function sessionPage(s: Staff, deps: ConsoleDeps, x: Session, f: Pick<SessionForm, 'placeName' | 'placeAddress' | 'date' | 'time' | 'capacity'>, errors: Errors): Html {
  const t = s.t;
  const canEdit = x.status === 'scheduled' && authorize(s.grant, 'session.edit', x.wardCode) === null;
  const canCancel = x.status === 'scheduled' && authorize(s.grant, 'session.cancel', x.wardCode) === null;
  return html`<h1>${t('console.session.title', { id: x.id })}</h1>
    ${x.status === 'cancelled' ? html`<p class="error">${t('console.session.isCancelled')}</p>` : ''}
    ${sessionSummary(s, deps, x)}
    <div class="actions">
      <a class="button primary" href="/staff/sessions/${x.id}/bookings">${t('console.session.bookings')}</a>
      ${canCancel ? html`<a class="button danger" href="/staff/sessions/${x.id}/cancel">${t('console.session.cancel')}</a>` : ''}
    </div>
    ${canEdit ? editForm(s, x, f, errors) : ''}`;
}

interface BookingsView {
  session: Session;
  list: BookingRow[];
  total: number;
  counts: { booked: number; attended: number; noShow: number; walkIns: number; total: number; cancelled: number };
  walkIns: WalkIn[];
}

function bookingsPage(s: Staff, deps: ConsoleDeps, r: BookingsView, o: { q: string; pageNo: number; size: number; print: boolean; walkIn?: { name: string; year: string } }): Html {
  const t = s.t;
  const x = r.session;
  const canMark = authorize(s.grant, 'session.attendance', x.wardCode) === null && x.status === 'scheduled';
  const started = x.startsAt <= s.now;
  const back = new URLSearchParams(Object.entries({ q: o.q, page: o.pageNo > 1 ? String(o.pageNo) : '' }).filter(([, v]) => v)).toString();
  const count = (key: keyof BookingsView['counts']) => html`<span>${t(`console.bookings.count.${key}`)}: <b data-count="${key}">${r.counts[key]}</b></span>`;
  const rows = r.list.map((b) => {
    const status = b.status;
    return html`<tr id="b${b.id}" data-booking="${b.id}" data-status="${status}">
      <td>${b.id}</td>
      <td>${attendee(t, b)}</td>
      <td>${b.phone ? displayPhone(b.phone) : ''}</td>
      <td data-status-cell class="status-${status}">${t(`console.status.${status}`)}</td>
      ${
        canMark && !o.print
          ? html`<td><form method="post" action="/staff/sessions/${x.id}/attendance" data-attend class="attend">
              ${csrfField(s.csrf)}<input type="hidden" name="booking" value="${b.id}"><input type="hidden" name="back" value="${back}">
              <button type="submit" name="attended" value="1" class="came" aria-pressed="${String(status === 'attended')}">${t('console.bookings.came')}</button>
              <button type="submit" name="attended" value="0" class="absent" aria-pressed="${String(status === 'no_show')}">${t('console.bookings.absent')}</button>
            </form></td>`
          : o.print
            ? ''
            : html`<td></td>`
      }
    </tr>`;
  });
  const empty = r.total === 0 ? html`<p>${o.q ? t('console.bookings.noMatch', { q: o.q }) : t('console.bookings.none')}</p>` : '';
  return html`<h1>${t('console.bookings.title', { id: x.id })}</h1>
    <p class="print-only">${t('console.bookings.printTitle', { id: x.id })} · ${t('console.bookings.printed', { at: stamp(s.now) })}</p>
    <p><a href="/staff/sessions/${x.id}" class="no-print">#${x.id}</a> ${t('console.sessions.line', { programme: t(`console.programme.${x.programme}`), when: when(t, x.startsAt), place: `${x.placeName}, ${x.placeAddress}` })} · ${wardName(deps, x.wardCode)}</p>
    <p class="counts" aria-live="polite">${count('total')} ${count('attended')} ${count('noShow')} ${count('booked')} ${count('walkIns')} ${count('cancelled')}</p>
    ${
      o.print
        ? ''
        : html`<form method="get" action="/staff/sessions/${x.id}/bookings" class="filters" role="search">
            <label for="q">${t('console.bookings.searchLabel')}</label>
            <input id="q" name="q" type="search" value="${o.q}" maxlength="80">
            <button type="submit">${t('console.search')}</button>
            ${o.q ? html`<a href="/staff/sessions/${x.id}/bookings">${t('console.clear')}</a>` : ''}
          </form>
          <div class="actions">
            <a class="button" href="/staff/sessions/${x.id}/bookings.csv">${t('console.csv')}</a>
            <a class="button" href="/staff/sessions/${x.id}/bookings?print=1">${t('console.print')}</a>
          </div>`
    }
    ${empty}
    ${
      r.total
        ? html`<div class="table-wrap"><table>
            <thead><tr><th>${t('console.bookings.number')}</th><th>${t('console.bookings.name')}</th><th>${t('console.bookings.phone')}</th><th>${t('console.bookings.status')}</th>${o.print ? '' : html`<th>${t('console.bookings.attendance')}</th>`}</tr></thead>
            <tbody>${rows}</tbody></table></div>`
        : ''
    }
    ${o.print ? html`<p class="no-print"><button type="button" data-print hidden>${t('console.print')}</button> <a href="/staff/sessions/${x.id}/bookings">${t('console.back')}</a></p>` : pager(t, `/staff/sessions/${x.id}/bookings`, { q: o.q || undefined }, o.pageNo, r.total, o.size)}
    ${
      canMark && started && r.counts.booked > 0 && !o.print
        ? html`<form method="post" action="/staff/sessions/${x.id}/noshow" class="actions">${csrfField(s.csrf)}<button type="submit">${t('console.bookings.restNoShow')}</button></form>`
        : ''
    }
    <h2>${t('console.bookings.walkIns')} (${r.walkIns.length})</h2>
    ${
      r.walkIns.length
        ? html`<ul>${r.walkIns.map(
            (w) => html`<li>${w.name}${w.birthYear ? ` (${w.birthYear})` : ''}
              ${canMark && !o.print ? html`<form method="post" action="/staff/sessions/${x.id}/walkins/${w.id}/remove" class="inline">${csrfField(s.csrf)}<button type="submit" class="link">${t('console.bookings.walkInRemove')}</button></form>` : ''}</li>`,
          )}</ul>`
        : ''
    }
    ${
      canMark && !o.print
        ? html`<form method="post" action="/staff/sessions/${x.id}/walkins" class="card">
            ${csrfField(s.csrf)}
            <p class="muted">${t('console.bookings.walkInHelp')}</p>
            <label for="w-name">${t('console.bookings.walkInName')}</label>
            <input id="w-name" name="name" required maxlength="80" value="${o.walkIn?.name ?? ''}">
            <label for="w-year">${t('console.bookings.walkInYear')}</label>
            <input id="w-year" name="birthYear" inputmode="numeric" pattern="[0-9]{4}" maxlength="4" value="${o.walkIn?.year ?? ''}">
            <p><button type="submit" class="primary">${t('console.bookings.walkInAdd')}</button></p>
          </form>`
        : ''
    }`;
}
