import type { Hono } from 'hono';
import { Denied, isDenied } from '../../core/actor.js';
import { localParts } from '../../core/time.js';
import { authorize } from '../../domain/authority.js';
import { monthsBegun, type Shown } from '../../domain/reports.js';
import { type ShownTicketRow, TICKET_COUNTS, type TicketCount, ticketYear } from '../../domain/ticket-figures.js';
import type { CounselRefusal, TicketView, TranscriptLine } from '../../domain/tickets.js';
import { translate } from '../../i18n/index.js';
import type { ConsoleEnv, Staff } from '../auth.js';
import { csvHeaders, toCsv } from '../csv.js';
import { csrfField, type Html, html, num, options, raw, stamp } from '../html.js';
import type { ConsoleDeps } from '../index.js';
import { backTo, type Ctx, denied, field, idParam, noticeOf, render } from '../respond.js';

/**
 * Conversations with a counsellor on the web (#16), for counsellors (and
 * administrators, who may take one over): the list, one conversation, and
 * claim, reply, close and transfer, each through person.counsel, which checks
 * the role and the ward and audits exactly as in chat; a reply is relayed to
 * the person by the outbox like a chat reply. The person is a pseudonym
 * (#T4821), a ward and a topic here, never a name, a phone or an account: the
 * domain's TicketView carries none, and these pages show nothing else of them.
 *
 * And the counselling figures, by ward and month, for whoever may read the
 * indicators (administrators, stations, collaborators): no target, the
 * indicators' small-cell rule (src/domain/ticket-figures.ts), CSV and a chart.
 */

/** The longest answer a counsellor may send: the chat's (src/engine/engine.ts MAX_TEXT). */
export const REPLY_MAX = 1000;

const NOTICES = {
  claimed: 'console.counsel.ok.claimed',
  sent: 'console.counsel.ok.sent',
  closed: 'console.counsel.ok.closed',
  transferred: 'console.counsel.ok.transferred',
  released: 'console.counsel.ok.released',
};

const REFUSED: Record<CounselRefusal, string> = {
  taken: 'console.counsel.refused.taken',
  closed: 'console.counsel.refused.closed',
  'not-owner': 'console.counsel.refused.notOwner',
};

/** "12 phút", "3 giờ 5 phút", "2 ngày". */
export function waited(s: Pick<Staff, 't'>, from: Date | null, now: Date): string {
  if (!from) return '—';
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return s.t('console.counsel.minutes', { n: minutes });
  if (minutes < 24 * 60) return s.t('console.counsel.hours', { h: Math.floor(minutes / 60), m: minutes % 60 });
  return s.t('console.counsel.days', { n: Math.floor(minutes / (24 * 60)) });
}

/**
 * How long the person has been waiting: an unclaimed conversation since their
 * first message; one being answered since their last, while it is unanswered.
 */
const waitingSince = (v: TicketView): Date | null => (v.ownerContactId === null ? v.firstMessageAt : v.waiting > 0 ? v.lastMessageAt : null);

export function counselPages(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const wardName = (s: Staff, code: string | null) => (code === null ? s.t('console.counsel.noWard') : (deps.wards.get(code)?.name ?? code));
  const about = (s: Staff, v: TicketView) => s.t(`counsel.about.${v.about}`);
  const statusOf = (s: Staff, v: TicketView) =>
    v.status !== 'open' ? s.t('console.counsel.statuses.closed') : v.ownerContactId === null ? s.t('console.counsel.statuses.waiting') : v.mine ? s.t('console.counsel.statuses.mine') : s.t('console.counsel.statuses.theirs');

  function table(s: Staff, list: TicketView[], empty: string): Html {
    if (!list.length) return html`<p>${s.t(empty)}</p>`;
    const t = s.t;
    return html`<div class="table-wrap"><table class="tickets">
      <thead><tr><th>${t('console.counsel.tag')}</th><th>${t('console.counsel.ward')}</th><th>${t('console.counsel.about')}</th><th>${t('console.counsel.wait')}</th><th>${t('console.counsel.status')}</th></tr></thead>
      <tbody>${list.map(
        (v) => html`<tr data-ticket="${v.id}">
          <td><a href="/staff/counsel/${v.id}">${v.tag}</a></td>
          <td>${wardName(s, v.wardCode)}</td>
          <td>${about(s, v)}${v.flagged ? html` <strong class="flag">${t('console.counsel.flagged')}</strong>` : ''}</td>
          <td>${waited(s, waitingSince(v), s.now)}</td>
          <td>${statusOf(s, v)}${v.mine && v.waiting > 0 ? html` · ${t('console.counsel.unanswered', { n: v.waiting })}` : ''}</td>
        </tr>`,
      )}</tbody></table></div>`;
  }

  /** The list of a counsellor's conversations and those waiting in their pools (also their home page). */
  async function listBody(s: Staff): Promise<Html | Denied> {
    const list = await s.person.counsel.list();
    if (isDenied(list)) return list;
    const t = s.t;
    return html`<p class="muted">${t('console.counsel.intro')}</p>
      <h2>${t('console.counsel.mine')}</h2>
      ${table(s, list.mine, 'console.counsel.noneMine')}
      <h2>${t('console.counsel.waiting')}</h2>
      ${table(s, list.waiting, 'console.counsel.noneWaiting')}`;
  }

  app.get('/counsel', async (c) => {
    const s = c.get('staff');
    const body = await listBody(s);
    if (isDenied(body)) return denied(c, s, body);
    return render(c, s.t('console.counsel.title'), html`<h1>${s.t('console.counsel.title')}</h1>${body}`);
  });

  // ---- the figures (registered before /counsel/:id) ----

  const yearOf = (q: string | undefined, now: Date) => {
    const y = Number(q);
    return Number.isInteger(y) && y >= 2020 && y <= localParts(now).y ? y : localParts(now).y;
  };
  const CITY = 'city';
  const monthLabel = (key: string) => key.replace(/^(\d{4})-(\d{2})$/, (_m, y: string, m: string) => `${Number(m)}/${y}`);
  const rowWard = (s: Staff, code: string | null) => (code === null ? s.t('console.cityTotal') : code === '' ? s.t('console.unknownWard') : (deps.wards.get(code)?.name ?? code));

  async function figuresOf(s: Staff, year: number, ward: string | null) {
    const raw = await s.person.counsel.figures(year);
    if (isDenied(raw)) return raw;
    const scope = await s.person.staff.wards();
    return { scope, ...ticketYear(raw, { year, lastMonth: monthsBegun(year, s.now), ward, scope }) };
  }

  app.get('/counsel/figures', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const year = yearOf(c.req.query('year'), s.now);
    const wardQ = c.req.query('ward');
    const ward = wardQ === undefined || wardQ === CITY ? null : wardQ === '' || deps.wards.get(wardQ) ? wardQ : null;
    const f = await figuresOf(s, year, ward);
    if (isDenied(f)) return denied(c, s, f);
    const chart = f.months.length
      ? {
          type: 'bar',
          percent: false,
          labels: f.months.map((m) => monthLabel(m.period)),
          series: (['opened', 'answered'] as const).map((k) => ({ label: t(`console.counselFigures.columns.${k}`), data: f.months.map((m) => (typeof m.values[k] === 'number' ? m.values[k] : null)) })),
        }
      : null;
    const years = [...new Set([localParts(s.now).y, localParts(s.now).y - 1, ...deps.targets.keys()])].filter((y) => y <= localParts(s.now).y).sort((a, b) => b - a);
    const wardOptions = [{ value: CITY, label: t('console.cityTotal') }, ...deps.wards.list.map((w) => ({ value: w.code, label: w.name }))];
    const wardsSorted = f.wards.filter((w) => w.wardCode !== null).sort((a, b) => rowWard(s, a.wardCode).localeCompare(rowWard(s, b.wardCode), 'vi'));
    const city = f.wards.find((w) => w.wardCode === null)!;
    const body = html`<h1>${t('console.counselFigures.title')}</h1>
      <p class="muted">${t('console.counselFigures.intro')}</p>
      <form method="get" action="/staff/counsel/figures" class="filters card">
        <label>${t('console.indicators.year')} <select name="year">${options(years.map((y) => ({ value: String(y), label: String(y) })), String(year))}</select></label>
        <label>${t('console.indicators.ward')} <select name="ward">${options(wardOptions, ward ?? CITY)}</select></label>
        <button type="submit">${t('console.indicators.show')}</button>
      </form>
      <h2 id="heading">${t('console.counselFigures.heading', { ward: rowWard(s, ward), year })}</h2>
      ${f.scope !== null ? html`<p class="muted">${t('console.indicators.small')}</p>` : ''}
      ${f.months.length ? figureTable(s, 'counsel-months', t('console.counselFigures.month'), f.months.map((m) => ({ label: monthLabel(m.period), row: m })), true) : html`<p>${t('console.counselFigures.noMonths', { year })}</p>`}
      ${
        chart
          ? html`<h2>${t('console.counselFigures.chart')}</h2>
            <div class="chart"><canvas id="chart" data-chart="chart-data" role="img" aria-label="${t('console.counselFigures.chart')}"></canvas></div>
            <noscript><p class="muted">${t('console.indicators.chartNoJs')}</p></noscript>
            <script type="application/json" id="chart-data">${raw(JSON.stringify(chart).replace(/</g, '\\u003c'))}</script>`
          : ''
      }
      <p class="actions"><a class="button" href="/staff/counsel/figures.csv?year=${year}">${t('console.counselFigures.csv')}</a></p>
      <h2>${t('console.counselFigures.byWard')}</h2>
      ${
        wardsSorted.length
          ? figureTable(s, 'counsel-wards', t('console.sessions.ward'), [...wardsSorted.map((w) => ({ label: rowWard(s, w.wardCode), row: w })), { label: rowWard(s, null), row: city, city: true }], false)
          : html`<p>${t('console.counselFigures.byWardEmpty')}</p>`
      }`;
    return render(c, t('console.counselFigures.title'), body, { scripts: chart ? ['/staff/assets/chart.umd.js'] : [] });
  });

  // The CSV's city row is named in Vietnamese whatever the reader's language, like the wards' names beside it.
  const cityName = translate(deps.i18n, 'vi')('console.cityTotal');

  app.get('/counsel/figures.csv', async (c) => {
    const s = c.get('staff');
    const year = yearOf(c.req.query('year'), s.now);
    const f = await figuresOf(s, year, null);
    if (isDenied(f)) return denied(c, s, f);
    const rows = f.all.slice().sort((a, b) => a.period.localeCompare(b.period) || (a.wardCode === null ? 1 : 0) - (b.wardCode === null ? 1 : 0) || (a.wardCode ?? '').localeCompare(b.wardCode ?? ''));
    await s.person.audit('console.export', 'counsel-figures', { year, rows: rows.length });
    const headers = ['month', 'ward_code', 'ward_name', ...TICKET_COUNTS.map((k) => CSV_COLUMNS[k]), 'median_minutes_to_first_answer'];
    const body = rows.map((r) => [
      r.period,
      r.wardCode === null ? 'city' : r.wardCode,
      r.wardCode === null ? cityName : r.wardCode === '' ? '' : (deps.wards.get(r.wardCode)?.name ?? r.wardCode),
      ...TICKET_COUNTS.map((k) => r.values[k]),
      r.medianMinutes === null ? '' : r.medianMinutes,
    ]);
    return c.body(toCsv(headers, body), 200, csvHeaders(`counselling-${year}.csv`));
  });

  // ---- one conversation ----

  /** The conversation page: what was said (unless another counsellor has it), and what this reader may do with it. */
  async function conversation(c: Ctx, id: number, o: { error?: string; draft?: string; status?: 409 | 422 } = {}) {
    const s = c.get('staff');
    const t = s.t;
    const r = await s.person.counsel.transcript(id);
    if (isDenied(r)) return denied(c, s, r);
    const v = r.ticket;
    const admin = s.grant.role === 'admin';
    const open = v.status === 'open';
    const targets = open && (v.mine || admin) ? await s.person.counsel.transferTargets(id) : [];
    const others = Array.isArray(targets) ? targets : [];
    const body = html`<h1>${t('console.counsel.conversation', { tag: v.tag })}</h1>
      <dl class="card">
        <dt>${t('console.counsel.ward')}</dt><dd>${wardName(s, v.wardCode)}</dd>
        <dt>${t('console.counsel.about')}</dt><dd>${about(s, v)}</dd>
        <dt>${t('console.counsel.status')}</dt><dd id="status">${statusOf(s, v)}</dd>
        ${open ? html`<dt>${t('console.counsel.wait')}</dt><dd>${waited(s, waitingSince(v), s.now)}</dd>` : ''}
      </dl>
      ${v.flagged ? html`<p class="error" role="alert">${t('console.counsel.flagged')}: ${t('console.counsel.flaggedHelp')}</p>` : ''}
      ${r.lines === null ? html`<p>${t('console.counsel.theirs')}</p>` : transcript(s, r.lines)}
      ${
        open && v.ownerContactId === null
          ? html`<form method="post" action="/staff/counsel/${id}/claim" class="card">${csrfField(s.csrf)}<p class="muted">${t('console.counsel.claimHelp')}</p><button type="submit" class="primary">${t('console.counsel.claim')}</button></form>`
          : ''
      }
      ${
        open && v.mine
          ? html`<form method="post" action="/staff/counsel/${id}/reply" class="card" id="reply">
              ${csrfField(s.csrf)}
              <label for="r-text">${t('console.counsel.replyLabel')}</label>
              <textarea id="r-text" name="text" rows="4" maxlength="${REPLY_MAX}" required>${o.draft ?? ''}</textarea>
              <p><button type="submit" class="primary">${t('console.counsel.send')}</button></p>
            </form>`
          : ''
      }
      ${
        open && (v.mine || admin)
          ? html`<form method="post" action="/staff/counsel/${id}/transfer" class="card">
              ${csrfField(s.csrf)}
              <label for="x-to">${t('console.counsel.transferTo')}</label>
              <select id="x-to" name="to">${options([...others.map((x) => ({ value: String(x.contactId), label: x.name ?? t('console.counsel.unnamed', { id: x.contactId }) })), ...(v.ownerContactId !== null ? [{ value: 'pool', label: t('console.counsel.pool') }] : [])], null)}</select>
              <p><button type="submit">${t('console.counsel.transfer')}</button></p>
            </form>
            <form method="post" action="/staff/counsel/${id}/close" class="card">
              ${csrfField(s.csrf)}
              <p class="muted">${t('console.counsel.closeHelp')}</p>
              <button type="submit" class="danger">${t('console.counsel.close')}</button>
            </form>`
          : ''
      }
      <p><a href="/staff/counsel">${t('console.back')}</a></p>`;
    return render(c, t('console.counsel.conversation', { tag: v.tag }), body, { notice: noticeOf(c, NOTICES), error: o.error ?? null, ...(o.status ? { status: o.status } : {}) });
  }

  function transcript(s: Staff, lines: TranscriptLine[]): Html {
    const t = s.t;
    if (!lines.length) return html`<p class="muted">${t('console.counsel.noLines')}</p>`;
    return html`<ol class="transcript" id="transcript">${lines.map(
      (l) => html`<li class="${l.sender}${l.flagged ? ' flagged' : ''}">
        <div class="meta">${l.flagged ? '⚠️ ' : ''}${t(l.sender === 'person' ? 'console.counsel.person' : 'console.counsel.counsellor')} · ${stamp(l.at)}</div>
        <div class="text">${l.text}</div>
      </li>`,
    )}</ol>`;
  }

  const ticketId = (c: Ctx) => idParam(c.req.param('id'));

  /** What a counsel action answered: a refusal said kindly on the conversation's page, or back to it with a notice. */
  const after = (c: Ctx, id: number, r: unknown, ok: keyof typeof NOTICES) => {
    const s = c.get('staff');
    if (isDenied(r)) return denied(c, s, r);
    if (typeof r === 'string') return conversation(c, id, { error: s.t(REFUSED[r as CounselRefusal]), status: 409 });
    return backTo(c, `/staff/counsel/${id}`, { ok });
  };

  app.get('/counsel/:id{[0-9]+}', async (c) => {
    const id = ticketId(c);
    if (id === null) return denied(c, c.get('staff'), new Denied('not-found'));
    return conversation(c, id);
  });

  app.post('/counsel/:id{[0-9]+}/claim', async (c) => {
    const id = ticketId(c);
    if (id === null) return denied(c, c.get('staff'), new Denied('not-found'));
    const r = await c.get('staff').person.counsel.claim(id);
    return after(c, id, isDenied(r) || typeof r === 'string' ? r : r.ticket, 'claimed');
  });

  app.post('/counsel/:id{[0-9]+}/reply', async (c) => {
    const s = c.get('staff');
    const id = ticketId(c);
    if (id === null) return denied(c, s, new Denied('not-found'));
    const text = field(await c.req.parseBody(), 'text').replace(/\r\n/g, '\n').trim();
    if (!text) return conversation(c, id, { error: s.t('console.counsel.invalid.empty'), status: 422 });
    if (text.length > REPLY_MAX) return conversation(c, id, { error: s.t('console.counsel.invalid.long', { max: REPLY_MAX }), draft: text, status: 422 });
    return after(c, id, await s.person.counsel.reply(id, text), 'sent');
  });

  app.post('/counsel/:id{[0-9]+}/close', async (c) => {
    const id = ticketId(c);
    if (id === null) return denied(c, c.get('staff'), new Denied('not-found'));
    return after(c, id, await c.get('staff').person.counsel.close(id), 'closed');
  });

  app.post('/counsel/:id{[0-9]+}/transfer', async (c) => {
    const s = c.get('staff');
    const id = ticketId(c);
    if (id === null) return denied(c, s, new Denied('not-found'));
    const to = field(await c.req.parseBody(), 'to');
    const target = to === 'pool' ? 'pool' : idParam(to);
    if (target === null) return conversation(c, id, { error: s.t('console.counsel.invalid.target'), status: 422 });
    const r = await s.person.counsel.transfer(id, target);
    // Someone who cannot take it (not a counsellor of its pool, or no longer one): said on the page, not as a missing page.
    if (isDenied(r) && r.reason === 'not-found' && target !== 'pool') return conversation(c, id, { error: s.t('console.counsel.invalid.target'), status: 422 });
    return after(c, id, r, target === 'pool' ? 'released' : 'transferred');
  });
}

/** The counsellor's home: their conversations (the console's home page for the counsellor role). */
export async function counsellorHome(s: Staff, deps: ConsoleDeps): Promise<Html | Denied> {
  const list = await s.person.counsel.list();
  if (isDenied(list)) return list;
  const t = s.t;
  return html`<h1>${t('console.home.title', { name: s.contact.displayName ? `, ${s.contact.displayName}` : '' })}</h1>
    <p>${t('console.home.counselSummary', { mine: list.mine.length, waiting: list.waiting.length })}</p>
    <ul>
      <li><a href="/staff/counsel">${t('console.home.counsel')}</a></li>
      ${authorize(s.grant, 'reports.read') === null ? html`<li><a href="/staff/counsel/figures">${t('console.home.counselFigures')}</a></li>` : ''}
      <li class="muted">${t('console.home.counselPool', { pool: s.grant.wardCodes.length ? s.grant.wardCodes.map((c) => deps.wards.get(c)?.name ?? c).join(', ') : t('console.allWards') })}</li>
    </ul>`;
}

/** The CSV's column names: stable, whatever the reader's language. */
const CSV_COLUMNS: Record<TicketCount, string> = {
  opened: 'conversations',
  answered: 'answered',
  closed: 'closed',
  alerted: 'alerted_unclaimed',
  flagged: 'danger_signs',
  ratedUp: 'rated_helpful',
  ratedDown: 'rated_not_helpful',
};

function figureTable(s: Staff, id: string, first: string, list: { label: string; row: ShownTicketRow; city?: boolean }[], withMedian: boolean): Html {
  const t = s.t;
  const cell = (v: Shown) => (v === '<5' ? '<5' : num(s.locale, v));
  const medianCell = (v: number | null | '<5') => (v === null ? '—' : v === '<5' ? '<5' : new Intl.NumberFormat(s.locale === 'en' ? 'en-US' : 'vi-VN', { maximumFractionDigits: 1 }).format(v));
  const cols: TicketCount[] = ['opened', 'answered', 'closed', 'alerted', 'flagged', 'ratedUp', 'ratedDown'];
  return html`<div class="table-wrap"><table id="${id}">
    <thead><tr><th>${first}</th>${cols.map((k) => html`<th class="n">${t(`console.counselFigures.columns.${k}`)}</th>`)}${withMedian ? html`<th class="n">${t('console.counselFigures.columns.median')}</th>` : ''}</tr></thead>
    <tbody>${list.map(
      (x) => html`<tr data-row="${x.row.wardCode === null ? 'city' : x.row.wardCode || 'unknown'}|${x.row.period}"${x.city ? raw(' class="city"') : ''}>
        <td>${x.label}</td>
        ${cols.map((k) => html`<td class="n" data-col="${k}">${cell(x.row.values[k])}</td>`)}
        ${withMedian ? html`<td class="n" data-col="median">${medianCell(x.row.medianMinutes)}</td>` : ''}
      </tr>`,
    )}</tbody></table></div>`;
}
