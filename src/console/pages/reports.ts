import type { Hono } from 'hono';
import { isDenied } from '../../core/actor.js';
import { localParts } from '../../core/time.js';
import { authorize } from '../../domain/authority.js';
import { COLUMNS, type Column, DENOMINATOR_KINDS, GRAINS, type Grain, REPORT_PROGRAMMES, type ReportProgramme, type Shown, TARGET_PROGRAMMES } from '../../domain/reports.js';
import { translate } from '../../i18n/index.js';
import type { ConsoleEnv, Staff } from '../auth.js';
import { csvHeaders, toCsv } from '../csv.js';
import { csrfField, type Html, html, num, options, pct, raw } from '../html.js';
import type { ConsoleDeps } from '../index.js';
import { backTo, type Ctx, denied, field, intField, noticeOf, render } from '../respond.js';

type Row = {
  period: { key: string; grain: Grain; from: number; to: number };
  wardCode: string | null;
  programme: ReportProgramme;
  denominator: number | null;
  target: number | null;
  own: boolean;
  wardsWithDenominator: number | null;
  values: Record<Column, Shown>;
  coverage: number | null | '<5';
};

/** The CSV's column names: stable, whatever the reader's language. */
const CSV_COLUMNS: Record<Column, string> = {
  subscribersNew: 'subscribers_new',
  subscribersActive: 'subscribers_active',
  subscribersStopped: 'subscribers_stopped',
  invitations: 'invitations_sent',
  bookings: 'bookings',
  attended: 'attended',
  noShow: 'no_show',
  walkIns: 'walk_ins',
  milestones: 'milestones_done',
  remindersSent: 'reminders_delivered',
  remindersFailed: 'reminders_failed',
  broadcastReach: 'broadcast_reach',
  examined: 'examined',
};

const CITY = 'city';

function yearOf(q: string | undefined, now: Date): number {
  const y = Number(q);
  return Number.isInteger(y) && y >= 2020 && y <= 2100 ? y : localParts(now).y;
}
const grainOf = (q: string | undefined): Grain => (GRAINS as readonly string[]).includes(q ?? '') ? (q as Grain) : 'month';
const programmeOf = (q: string | undefined): ReportProgramme => ((REPORT_PROGRAMMES as readonly string[]).includes(q ?? '') ? (q as ReportProgramme) : 'elderly');

const cell = (locale: string, v: Shown) => (v === '<5' ? '<5' : num(locale, v));
const coverageCell = (locale: string, v: number | null | '<5') => (v === null ? '—' : v === '<5' ? '<5' : pct(locale, v));
const periodLabel = (s: Staff, key: string, grain: Grain) => {
  if (grain === 'year') return key;
  if (grain === 'quarter') return key.replace(/^(\d{4})-Q(\d)$/, s.locale === 'en' ? 'Q$2 $1' : 'Quý $2/$1');
  return key.replace(/^(\d{4})-(\d{2})$/, (_m, y: string, m: string) => `${Number(m)}/${y}`);
};

/** The years a reader can pick: those with targets, and this year and the last. */
function yearChoices(deps: ConsoleDeps, now: Date): number[] {
  const y = localParts(now).y;
  return [...new Set([...deps.targets.keys(), y, y - 1])].filter((x) => x <= y).sort((a, b) => b - a);
}

/** Indicators against the city's targets; CSV of every ward × programme × period; each ward's denominators. */
export function reportPages(app: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const allWards = deps.wards.list.map((w) => w.code);
  const wardName = (code: string | null, s: Staff) => (code === null ? s.t('console.cityTotal') : code === '' ? s.t('console.unknownWard') : (deps.wards.get(code)?.name ?? code));

  app.get('/indicators', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const year = yearOf(c.req.query('year'), s.now);
    const grain = grainOf(c.req.query('grain'));
    const programme = programmeOf(c.req.query('programme'));
    const targets = deps.targets.get(year) ?? null;
    const scope = await s.person.staff.wards();
    const wardQ = c.req.query('ward');
    const ward = wardQ === CITY ? null : wardQ && deps.wards.get(wardQ) ? wardQ : scope?.[0] && wardQ === undefined ? scope[0] : null;
    const r = await s.person.staff.indicators({ year, grains: [...new Set<Grain>([grain, 'month', 'year'])], targets, wardCodes: allWards });
    if (isDenied(r)) return denied(c, s, r);
    const rows = r.rows as Row[];
    const mine = (g: Grain) => rows.filter((x) => x.period.grain === g && x.programme === programme && x.wardCode === ward);
    const table = mine(grain);
    const monthly = mine('month');
    const pt = targets && (TARGET_PROGRAMMES as readonly string[]).includes(programme) ? targets.programmes[programme as (typeof TARGET_PROGRAMMES)[number]] : null;
    // A target set as a number of people for the whole city (family planning): stated, never a coverage column.
    const ct = programme === 'familyplanning' ? (targets?.counts?.familyplanning ?? null) : null;
    const first = table[0];
    const hasDenominator = Boolean(first && first.denominator !== null);

    const chart =
      monthly.length === 0
        ? null
        : hasDenominator && pt
          ? { type: 'line', percent: true, labels: monthly.map((m) => periodLabel(s, m.period.key, 'month')), series: [{ label: t('console.indicators.coverage'), data: monthly.map((m) => (typeof m.coverage === 'number' ? Math.round(m.coverage * 10) / 10 : null)) }], target: pt.target, targetLabel: t('console.indicators.chartTarget') }
          : { type: 'bar', percent: false, labels: monthly.map((m) => periodLabel(s, m.period.key, 'month')), series: [{ label: t('console.indicators.columns.examined'), data: monthly.map((m) => (typeof m.values.examined === 'number' ? m.values.examined : null)) }] };

    const byWard = rows
      .filter((x) => x.period.grain === 'year' && x.programme === programme && x.wardCode !== null)
      .filter((x) => x.denominator !== null || COLUMNS.some((col) => x.values[col] !== 0))
      .sort((a, b) => wardName(a.wardCode, s).localeCompare(wardName(b.wardCode, s), 'vi'));
    const cityYear = rows.find((x) => x.period.grain === 'year' && x.programme === programme && x.wardCode === null);

    const wardOptions = [{ value: CITY, label: t('console.cityTotal') }, ...deps.wards.list.map((w) => ({ value: w.code, label: w.name }))];
    const body = html`<h1>${t('console.indicators.title')}</h1>
      <form method="get" action="/staff/indicators" class="filters card">
        <label>${t('console.indicators.year')} <select name="year">${options(yearChoices(deps, s.now).map((y) => ({ value: String(y), label: String(y) })), String(year))}</select></label>
        <label>${t('console.indicators.grain')} <select name="grain">${options(GRAINS.map((g) => ({ value: g, label: t(`console.indicators.grains.${g}`) })), grain)}</select></label>
        <label>${t('console.indicators.programme')} <select name="programme">${options(REPORT_PROGRAMMES.map((p) => ({ value: p, label: t(`console.programme.${p}`) })), programme)}</select></label>
        <label>${t('console.indicators.ward')} <select name="ward">${options(wardOptions, ward ?? CITY)}</select></label>
        <button type="submit">${t('console.indicators.show')}</button>
      </form>
      <h2 id="heading">${t('console.indicators.heading', { programme: t(`console.programme.${programme}`), ward: wardName(ward, s), year })}</h2>
      ${
        pt
          ? html`<p>${t('console.indicators.target', { year, target: num(s.locale, pt.target), indicator: pt.indicator })} <span class="muted">${t('console.indicators.source', { source: targets!.source })}</span></p>`
          : ct
            ? html`<p id="count-target">${t('console.indicators.countTarget', { year, count: num(s.locale, ct.count), indicator: ct.indicator })} <span class="muted">${t('console.indicators.source', { source: targets!.source })}</span></p>
              <p class="muted">${t('console.indicators.countTargetNotMeasured')}</p>`
            : programme !== 'campaigns'
              ? html`<p class="muted">${t('console.indicators.noTarget', { year })}</p>`
              : ''
      }
      ${pt && !hasDenominator && table.length ? html`<p class="muted">${t('console.indicators.noDenominator', { year, kind: t(`console.indicators.kinds.${pt.denominator}`) })}</p>` : ''}
      ${ward === null && first?.wardsWithDenominator ? html`<p class="muted">${t('console.indicators.cityDenominators', { n: first.wardsWithDenominator })}</p>` : ''}
      ${r.scope !== null ? html`<p class="muted">${t('console.indicators.small')}</p>` : ''}
      ${table.length === 0 ? html`<p>${t('console.indicators.noPeriods', { year })}</p>` : indicatorTable(s, table, grain, hasDenominator, programme)}
      ${
        chart
          ? html`<h2>${t(chart.type === 'line' ? 'console.indicators.chartCoverage' : 'console.indicators.chartCounts')}</h2>
            <div class="chart"><canvas id="chart" data-chart="chart-data" role="img" aria-label="${t(chart.type === 'line' ? 'console.indicators.chartCoverage' : 'console.indicators.chartCounts')}"></canvas></div>
            <noscript><p class="muted">${t('console.indicators.chartNoJs')}</p></noscript>
            <script type="application/json" id="chart-data">${raw(JSON.stringify(chart).replace(/</g, '\\u003c'))}</script>`
          : ''
      }
      <p class="actions"><a class="button" href="/staff/indicators.csv?year=${year}&amp;grain=${grain}">${t('console.indicators.csvAll', { grain: t(`console.indicators.grains.${grain}`).toLowerCase() })}</a></p>
      <h2>${t('console.indicators.byWard')}</h2>
      ${byWard.length ? wardTable(s, byWard, cityYear ?? null, wardName, programme, pt !== null) : html`<p>${t('console.indicators.byWardEmpty')}</p>`}`;
    return render(c, t('console.indicators.title'), body, { scripts: chart ? ['/staff/assets/chart.umd.js'] : [] });
  });

  // The CSV's city row is named in Vietnamese whatever the reader's language, like the wards' names beside it.
  const cityName = translate(deps.i18n, 'vi')('console.cityTotal');

  app.get('/indicators.csv', async (c) => {
    const s = c.get('staff');
    const year = yearOf(c.req.query('year'), s.now);
    const grain = grainOf(c.req.query('grain'));
    const r = await s.person.staff.indicators({ year, grains: [grain], targets: deps.targets.get(year) ?? null, wardCodes: allWards });
    if (isDenied(r)) return denied(c, s, r);
    const rows = (r.rows as Row[]).slice().sort((a, b) => (a.wardCode === null ? 1 : 0) - (b.wardCode === null ? 1 : 0));
    await s.person.audit('console.export', 'indicators', { year, grain, rows: rows.length });
    const headers = ['period', 'grain', 'ward_code', 'ward_name', 'programme', ...COLUMNS.map((col) => CSV_COLUMNS[col]), 'denominator', 'coverage_pct', 'target_pct'];
    const body = rows.map((x) => [
      x.period.key,
      grain,
      x.wardCode === null ? 'city' : x.wardCode,
      x.wardCode === null ? cityName : x.wardCode === '' ? '' : (deps.wards.get(x.wardCode)?.name ?? x.wardCode),
      x.programme,
      ...COLUMNS.map((col) => x.values[col]),
      x.denominator,
      x.coverage === null ? '' : x.coverage === '<5' ? '<5' : Math.round(x.coverage * 10) / 10,
      x.target,
    ]);
    return c.body(toCsv(headers, body), 200, csvHeaders(`indicators-${year}-${grain}.csv`));
  });

  app.get('/denominators', async (c) => {
    const s = c.get('staff');
    const t = s.t;
    const year = yearOf(c.req.query('year'), s.now);
    const d = await s.person.staff.denominators(year);
    if (isDenied(d)) return denied(c, s, d);
    const scope = await s.person.staff.wards();
    const wards = (scope ?? allWards).map((code) => ({ code, name: deps.wards.get(code)?.name ?? code }));
    const totals = Object.fromEntries(DENOMINATOR_KINDS.map((k) => [k, [...d.values()].reduce((sum, v) => sum + (v[k] ?? 0), 0)]));
    const body = html`<h1>${t('console.denominators.title', { year })}</h1>
      <p>${t('console.denominators.intro')}</p>
      <form method="get" action="/staff/denominators" class="filters">
        <label>${t('console.indicators.year')} <select name="year">${options(yearChoices(deps, s.now).map((y) => ({ value: String(y), label: String(y) })), String(year))}</select></label>
        <button type="submit">${t('console.indicators.show')}</button>
      </form>
      ${authorize(s.grant, 'denominators.edit') === null ? '' : html`<p class="muted">${t('console.denominators.readOnly')}</p>`}
      <div class="table-wrap"><table>
        <thead><tr><th>${t('console.sessions.ward')}</th>${DENOMINATOR_KINDS.map((k) => html`<th class="n">${t(`console.denominators.${k}`)}</th>`)}<th></th></tr></thead>
        <tbody>
          ${wards.map((w) => {
            const v = d.get(w.code) ?? {};
            const editable = authorize(s.grant, 'denominators.edit', w.code) === null;
            const formId = `w${w.code}`;
            return html`<tr id="${formId}">
              <td>${w.name}</td>
              ${DENOMINATOR_KINDS.map((k) =>
                editable
                  ? html`<td class="n"><input form="f${formId}" name="${k}" inputmode="numeric" pattern="[0-9]*" maxlength="9" aria-label="${w.name}: ${t(`console.denominators.${k}`)}" value="${v[k] ?? ''}"></td>`
                  : html`<td class="n">${v[k] === undefined ? '—' : num(s.locale, v[k]!)}</td>`,
              )}
              <td>${editable ? html`<form method="post" action="/staff/denominators" id="f${formId}" class="inline">${csrfField(s.csrf)}<input type="hidden" name="ward" value="${w.code}"><input type="hidden" name="year" value="${year}"><button type="submit">${t('console.save')}</button></form>` : ''}</td>
            </tr>`;
          })}
          <tr class="city"><td>${t('console.denominators.total')}</td>${DENOMINATOR_KINDS.map((k) => html`<td class="n">${num(s.locale, totals[k] ?? 0)}</td>`)}<td></td></tr>
        </tbody>
      </table></div>`;
    return render(c, t('console.denominators.title', { year }), body, { notice: noticeOf(c, { saved: 'console.saved' }) });
  });

  app.post('/denominators', async (c) => {
    const s = c.get('staff');
    const body = await c.req.parseBody();
    const ward = field(body, 'ward');
    const year = yearOf(field(body, 'year'), s.now);
    if (!deps.wards.get(ward)) return render(c, s.t('console.denominators.title', { year }), html``, { error: s.t('console.errors.notFound'), status: 422 });
    const values: Partial<Record<(typeof DENOMINATOR_KINDS)[number], number | null>> = {};
    for (const k of DENOMINATOR_KINDS) {
      if (!(k in body)) continue;
      const n = intField(body, k);
      if (n !== null && (!Number.isInteger(n) || n < 0 || n > 10_000_000)) return render(c, s.t('console.denominators.title', { year }), html``, { error: s.t('console.form.invalid.value'), status: 422 });
      values[k] = n;
    }
    const r = await s.person.staff.setDenominators(ward, year, values);
    if (isDenied(r)) return denied(c, s, r);
    return backTo(c, `/staff/denominators?year=${year}`, { ok: 'saved' });
  });
}

/**
 * A column's heading. Family planning's milestones are contraception reminders
 * the person marked "Đã làm" (any method: a method per person is never shown).
 */
const columnLabel = (s: Staff, col: Column, programme: ReportProgramme) =>
  s.t(col === 'milestones' && programme === 'familyplanning' ? 'console.indicators.remindersActedOn' : `console.indicators.columns.${col}`);

function indicatorTable(s: Staff, table: Row[], grain: Grain, hasDenominator: boolean, programme: ReportProgramme): Html {
  const t = s.t;
  return html`<div class="table-wrap"><table id="indicators">
    <thead><tr><th>${t('console.indicators.period')}</th>${COLUMNS.map((col) => html`<th class="n">${columnLabel(s, col, programme)}</th>`)}${
      hasDenominator ? html`<th class="n">${t('console.indicators.denominator')}</th><th class="n">${t('console.indicators.coverage')}</th><th></th>` : ''
    }</tr></thead>
    <tbody>${table.map(
      (x) => html`<tr data-period="${x.period.key}">
        <td>${periodLabel(s, x.period.key, grain)}</td>
        ${COLUMNS.map((col) => html`<td class="n" data-col="${col}">${cell(s.locale, x.values[col])}</td>`)}
        ${
          hasDenominator
            ? html`<td class="n">${x.denominator === null ? '—' : num(s.locale, x.denominator)}</td>
              <td class="n" data-col="coverage">${coverageCell(s.locale, x.coverage)}</td>
              <td>${typeof x.coverage === 'number' && x.target !== null ? html`<meter min="0" max="100" low="${x.target * 0.5}" high="${x.target}" optimum="100" value="${Math.min(100, x.coverage)}">${pct(s.locale, x.coverage)}</meter>` : ''}</td>`
            : ''
        }
      </tr>`,
    )}</tbody></table></div>`;
}

/** Each ward's year; the denominator and coverage columns only for a programme the city measures as coverage. */
function wardTable(s: Staff, list: Row[], city: Row | null, wardName: (code: string | null, s: Staff) => string, programme: ReportProgramme, withCoverage: boolean): Html {
  const t = s.t;
  const cols: Column[] = ['subscribersActive', 'bookings', 'attended', 'noShow', 'walkIns', 'milestones', 'examined'];
  const coverage = (x: Row) => (withCoverage ? html`<td class="n">${x.denominator === null ? '—' : num(s.locale, x.denominator)}</td><td class="n">${coverageCell(s.locale, x.coverage)}</td>` : '');
  const line = (x: Row, cls = '') => html`<tr class="${cls}"><td>${wardName(x.wardCode, s)}</td>${cols.map((col) => html`<td class="n">${cell(s.locale, x.values[col])}</td>`)}${coverage(x)}</tr>`;
  return html`<div class="table-wrap"><table id="by-ward">
    <thead><tr><th>${t('console.sessions.ward')}</th>${cols.map((col) => html`<th class="n">${columnLabel(s, col, programme)}</th>`)}${
      withCoverage ? html`<th class="n">${t('console.indicators.denominator')}</th><th class="n">${t('console.indicators.coverage')}</th>` : ''
    }</tr></thead>
    <tbody>${list.map((x) => line(x))}${city ? line(city, 'city') : ''}</tbody></table></div>`;
}

export type { Ctx };
