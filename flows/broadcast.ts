import type { BotModule } from '../src/engine/module.js';
import { z } from 'zod';
import { findCampaign } from '../src/broadcasts/campaigns.js';
import { broadcastText, maxTextLength } from '../src/broadcasts/render.js';
import type { Audience } from '../src/broadcasts/store.js';
import { formatDate, formatTime } from '../src/core/time.js';
import { hintDay, parseWhen, resolveWhen } from '../src/core/when.js';
import { PROGRAMMES } from '../src/core/programmes.js';
import { isDenied } from '../src/core/actor.js';
import { defineFlow, type FlowContext, type StepOutcome } from '../src/engine/flow.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import { deferQuietHours, isQuietHour } from '../src/outbox/quiet-hours.js';
import { deniedSay, wardStep } from './common.js';
import { choice } from '../src/core/actions.js';

const Data = z.object({
  /** The wards this person may choose from; null = any, and city-wide (administrator). */
  allowed: z.array(z.string()).nullable(),
  /** Chosen wards; null = city-wide. */
  wards: z.array(z.string()).nullable().default([]),
  matches: z.array(z.string()).default([]),
  programmes: z.array(z.enum(PROGRAMMES)).default([]),
  relatives: z.boolean().default(false),
  text: z.string().default(''),
  /** The optional photo as the author's channel gave it: a Telegram file_id, or Zalo's URL. */
  photo: z.object({ fileId: z.string().optional(), url: z.string().optional() }).nullable().default(null),
  campaign: z.string().nullable().default(null),
  /** From the audience step: who will get it, who is left out, the longest text their channels take. */
  count: z.number().int().default(0),
  skipped: z.number().int().default(0),
  limit: z.number().int().default(0),
  channels: z.array(z.string()).default([]),
  /** Who each group reaches (by programme, and 'rel'), and the groups chosen together: shown before choosing. */
  counts: z.record(z.string(), z.number().int()).default({}),
  selected: z.number().int().default(0),
});
type Data = z.infer<typeof Data>;

const audienceOf = (d: Data): Audience => ({ programmes: d.programmes, wardCodes: d.wards, relatives: d.relatives });
const wardNames = (ctx: FlowContext, codes: readonly string[] | null) =>
  codes === null ? ctx.t('staff.allWards') : codes.map((c) => ctx.wards.get(c)?.name ?? c).join(', ');
const tick = (on: boolean, label: string) => `${on ? '✓ ' : ''}${label}`;
const when = (at: Date) => ({ date: formatDate(at), time: formatTime(at) });

/** The audience step with fresh figures: who each group reaches and who the groups chosen reach together. */
async function toAudience(ctx: FlowContext, data: Data, say: OutboundMessage[] = []): Promise<StepOutcome<Data>> {
  const reach = async (a: Audience) => {
    const c = await ctx.person.broadcasts.audience(a);
    return isDenied(c) ? c : c.reachable;
  };
  const counts: Record<string, number> = {};
  for (const p of PROGRAMMES) {
    const n = await reach({ programmes: [p], wardCodes: data.wards, relatives: false });
    if (isDenied(n)) return { type: 'done', say: deniedSay(ctx.t, n) };
    counts[p] = n;
  }
  const rel = await reach({ programmes: [], wardCodes: data.wards, relatives: true });
  if (isDenied(rel)) return { type: 'done', say: deniedSay(ctx.t, rel) };
  counts.rel = rel;
  const all = await reach({ programmes: [...PROGRAMMES], wardCodes: data.wards, relatives: true });
  if (isDenied(all)) return { type: 'done', say: deniedSay(ctx.t, all) };
  counts.all = all;
  const chosen = data.programmes.length || data.relatives ? await reach(audienceOf(data)) : 0;
  if (isDenied(chosen)) return { type: 'done', say: deniedSay(ctx.t, chosen) };
  return { type: 'goto', step: 'audience', data: { ...data, counts, selected: chosen }, say };
}

/** Every group chosen (programmes and relatives): "Tất cả người đăng ký" is ticked. */
const everyone = (d: Data) => d.relatives && PROGRAMMES.every((p) => d.programmes.includes(p));

/** Stores the broadcast (now or at `at`) and says what happens next. */
async function send(ctx: FlowContext, data: Data, at: Date | null): Promise<StepOutcome<Data>> {
  const b = await ctx.person.broadcasts.create({ audience: audienceOf(data), text: data.text, photo: data.photo, campaign: data.campaign, at });
  if (isDenied(b)) return { type: 'done', say: deniedSay(ctx.t, b) };
  // The preview's figure is the one sent, unless people stopped, erased their data or subscribed meanwhile: then say so.
  const changed = b.recipients !== data.count ? [ctx.t('broadcast.countChanged', { n: b.recipients, before: data.count })] : [];
  const controls: Choice[] = [
    choice(ctx.t('broadcast.pause'), { type: 'broadcastOp', op: 'pause', broadcast: b.id }),
    choice(ctx.t('broadcast.cancelIt'), { type: 'broadcastOp', op: 'cancel', broadcast: b.id }),
  ];
  const key = b.status === 'scheduled' ? 'broadcast.scheduled' : 'broadcast.started';
  return { type: 'done', say: [{ text: [ctx.t(key, { n: b.recipients, skipped: b.skippedAtStart, id: b.id, ...when(b.scheduledAt) }), ...changed].join('\n'), choices: controls }] };
}

/** Counts the audience and moves to the text (a nobody-to-send-to audience gets another try). */
async function toText(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (!data.programmes.length && !data.relatives) return { type: 'retry', say: [{ text: ctx.t('broadcast.pickSomeone') }] };
  const count = await ctx.person.broadcasts.audience(audienceOf(data));
  if (isDenied(count)) return { type: 'done', say: deniedSay(ctx.t, count) };
  if (count.reachable === 0) return { type: 'retry', say: [{ text: ctx.t('broadcast.nobody') }] };
  const limit = maxTextLength(ctx.t, count.channels, ctx.capsOf);
  return { type: 'goto', step: 'text', data: { ...data, count: count.reachable, skipped: count.total - count.reachable, limit, channels: count.channels } };
}

/** A text checked against the length limits: why it is refused, or null. */
function refuseText(ctx: FlowContext, data: Data, text: string): OutboundMessage[] | null {
  if (text.length < 10) return [{ text: ctx.t('broadcast.tooShort') }];
  if (text.length > data.limit) return [{ text: ctx.t('broadcast.tooLong', { max: data.limit, n: text.length }) }];
  return null;
}

/** After the text: the photo step (a photo already chosen is kept), or straight to the preview where photos cannot be sent. */
async function afterText(ctx: FlowContext, data: Data): Promise<StepOutcome<Data>> {
  if (data.photo || ctx.caps.photo === 'none') return toPreview(ctx, data);
  return { type: 'goto', step: 'photo', data };
}

/**
 * The preview. Text only: one message, the header then exactly what people
 * read. With a photo: the header, then the photo message itself, delivered by
 * the author's channel as its senders deliver it to recipients (the caption,
 * or over Telegram's 1,024 characters the photo then the text), then the
 * question with notes where other channels differ. The audience is counted
 * again here, so the figure shown is the one "Gửi ngay" sends to.
 */
async function toPreview(ctx: FlowContext, before: Data): Promise<StepOutcome<Data>> {
  const count = await ctx.person.broadcasts.audience(audienceOf(before));
  if (isDenied(count)) return { type: 'done', say: deniedSay(ctx.t, count) };
  const data = { ...before, count: count.reachable, skipped: count.total - count.reachable };
  if (!data.photo) return { type: 'goto', step: 'preview', data };
  return {
    type: 'goto',
    step: 'preview',
    data,
    say: [{ text: ctx.t('broadcast.preview', { n: data.count, skipped: data.skipped }) }, { text: broadcastText(ctx.t, data.text), photo: data.photo }],
  };
}

/** Where recipients on another channel get something else than the preview shows. */
function photoNotes(ctx: FlowContext, data: Data): string[] {
  if (!data.photo) return [];
  const notes: string[] = [];
  const length = broadcastText(ctx.t, data.text).length;
  const sending = data.channels.map((c) => ctx.capsOf(c)).filter((caps) => caps.photo !== 'none');
  // A caption too long for a channel: the photo then the text, as two messages.
  const split = Math.min(...sending.filter((caps) => length > caps.captionLimit).map((caps) => caps.captionLimit));
  if (Number.isFinite(split)) notes.push(ctx.t('broadcast.photoSplit', { max: split }));
  // A channel that takes only a URL, for a photo that has none and none hosted: the text alone.
  if (sending.some((caps) => caps.photo === 'url') && !data.photo.url && !ctx.settings.mediaBaseUrl) notes.push(ctx.t('broadcast.zaloTextOnly'));
  return notes;
}

/**
 * /guitin: a collaborator's broadcast to their ward's subscribers. Audience
 * (programmes, the person's wards — city-wide for administrators — and
 * optionally relatives of elderly dependents), text within every target
 * channel's limit, a preview exactly as recipients will read it with the
 * number of recipients, then send now, schedule (never in quiet hours), edit or
 * drop. `arg`: an awareness-day template (content/campaigns) to start from.
 */
export const broadcastFlow = defineFlow<Data>({
  id: 'broadcast',
  data: Data,
  async start(ctx, arg) {
    const begun = await ctx.person.broadcasts.begin();
    if (isDenied(begun)) return { type: 'done', say: deniedSay(ctx.t, begun) };
    const campaign = findCampaign(arg);
    const data = Data.parse({
      allowed: begun.wards,
      wards: begun.wards?.length === 1 ? begun.wards : [],
      programmes: campaign?.programmes ?? [],
      text: campaign?.text.trim() ?? '',
      campaign: campaign?.id ?? null,
    });
    if (begun.wards === null) return { type: 'goto', step: 'scope', data };
    return begun.wards.length === 1 ? toAudience(ctx, data) : { type: 'goto', step: 'wards', data };
  },
  steps: {
    scope: {
      prompt: (ctx) => ({
        text: ctx.t('broadcast.scope'),
        choices: [
          { label: ctx.t('broadcast.cityWide'), value: 'city' },
          { label: ctx.t('broadcast.oneWard'), value: 'ward' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice' && input.value === 'city') return toAudience(ctx, { ...data, wards: null });
        if (input.kind === 'choice' && input.value === 'ward') return { type: 'goto', step: 'ward', data: { ...data, matches: [] } };
        return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
      },
    },
    ward: wardStep<Data>({
      step: 'ward',
      ask: (ctx) => ctx.t('sessionNew.wardType'),
      pick: (ctx) => ctx.t('sessionNew.wardType'),
      chosen: (ctx, data, wardCode) => toAudience(ctx, { ...data, wards: [wardCode] }),
    }),
    wards: {
      prompt: (ctx, data) => ({
        text: ctx.t('broadcast.wards'),
        choices: [
          ...(data.allowed ?? []).map((c) => ({ label: tick(data.wards?.includes(c) ?? false, ctx.wards.get(c)?.name ?? c), value: c })),
          { label: ctx.t('broadcast.next'), value: 'done' },
        ],
      }),
      async handle(ctx, data, input) {
        const wards = data.wards ?? [];
        if (input.kind === 'choice' && input.value === 'done') {
          if (!wards.length) return { type: 'retry', say: [{ text: ctx.t('staff.denied.wards') }] };
          return toAudience(ctx, data);
        }
        if (input.kind !== 'choice' || !data.allowed?.includes(input.value)) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const next = wards.includes(input.value) ? wards.filter((w) => w !== input.value) : [...wards, input.value];
        return { type: 'goto', step: 'wards', data: { ...data, wards: next } };
      },
    },
    /**
     * Groups are ticked and unticked (each with how many it reaches, the
     * choice so far with its total); "Tất cả người đăng ký" ticks them all
     * (or unticks them); only "Tiếp tục" moves on.
     */
    audience: {
      prompt: (ctx, data) => {
        const n = (key: string) => data.counts[key] ?? 0;
        const picked = data.programmes.length > 0 || data.relatives;
        return {
          text: [ctx.t('broadcast.audience', { wards: wardNames(ctx, data.wards) }), ...(picked ? [ctx.t('broadcast.selected', { n: data.selected })] : [])].join('\n'),
          choices: [
            ...PROGRAMMES.map((p) => ({ label: ctx.t('broadcast.group', { label: tick(data.programmes.includes(p), ctx.t(`programmes.${p}.label`)), n: n(p) }), value: p })),
            { label: ctx.t('broadcast.group', { label: tick(data.relatives, ctx.t('broadcast.relatives')), n: n('rel') }), value: 'rel' },
            { label: ctx.t('broadcast.group', { label: tick(everyone(data), ctx.t('broadcast.everyone')), n: n('all') }), value: 'all' },
            { label: ctx.t('broadcast.next'), value: 'done' },
          ],
        };
      },
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value === 'done') return toText(ctx, data);
        if (input.value === 'all') {
          const all = everyone(data);
          return toAudience(ctx, { ...data, programmes: all ? [] : [...PROGRAMMES], relatives: !all });
        }
        if (input.value === 'rel') return toAudience(ctx, { ...data, relatives: !data.relatives });
        const p = PROGRAMMES.find((x) => x === input.value);
        if (!p) return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        const programmes = data.programmes.includes(p) ? data.programmes.filter((x) => x !== p) : [...data.programmes, p];
        return toAudience(ctx, { ...data, programmes });
      },
    },
    text: {
      maxText: 4096,
      acceptsPhoto: true,
      prompt: (ctx, data) => ({
        text: [
          ctx.t('broadcast.write', { n: data.count, max: data.limit, footer: ctx.t('broadcast.footer') }),
          ...(ctx.caps.photo === 'none' ? [] : [ctx.t('broadcast.writePhoto')]),
          ...(data.text ? [ctx.t('broadcast.draft'), data.text] : []),
        ].join('\n\n'),
        ...(data.text ? { choices: [{ label: ctx.t('broadcast.keep'), value: 'keep' }] } : {}),
      }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice' && input.value === 'keep' && data.text) {
          if (data.text.length > data.limit) return { type: 'retry', say: [{ text: ctx.t('broadcast.tooLong', { max: data.limit, n: data.text.length }) }] };
          return afterText(ctx, data);
        }
        // A photo instead of the text: its caption is the text; without one (or a refused one), the text is asked for next.
        if (input.kind === 'photo') {
          const withPhoto = { ...data, photo: input.photo };
          const refused = input.caption ? refuseText(ctx, data, input.caption) : [];
          if (refused) return { type: 'goto', step: 'text', data: withPhoto, say: [{ text: ctx.t('broadcast.photoReceived') }, ...refused] };
          return toPreview(ctx, { ...withPhoto, text: input.caption! });
        }
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('broadcast.typeText') }] };
        const text = input.text.trim();
        const refused = refuseText(ctx, data, text);
        if (refused) return { type: 'retry', say: refused };
        return afterText(ctx, { ...data, text });
      },
    },
    photo: {
      acceptsPhoto: true,
      prompt: (ctx, data) => ({
        text: ctx.t(data.photo ? 'broadcast.photoChange' : 'broadcast.photoAsk'),
        choices: data.photo
          ? [{ label: ctx.t('broadcast.keepPhoto'), value: 'keep' }, { label: ctx.t('broadcast.noPhoto'), value: 'none' }]
          : [{ label: ctx.t('broadcast.skipPhoto'), value: 'none' }],
      }),
      async handle(ctx, data, input) {
        // The text stays the one written before (a caption here is not taken: "Sửa" changes the text).
        if (input.kind === 'photo') return toPreview(ctx, { ...data, photo: input.photo });
        if (input.kind === 'choice' && input.value === 'none') return toPreview(ctx, { ...data, photo: null });
        if (input.kind === 'choice' && input.value === 'keep' && data.photo) return toPreview(ctx, data);
        return { type: 'retry', say: [{ text: ctx.t('broadcast.photoExpected') }] };
      },
    },
    preview: {
      prompt: (ctx, data): OutboundMessage => {
        const quiet = isQuietHour(ctx.now);
        const next = deferQuietHours(ctx.now);
        // With a photo, the recipients' message came just before (toPreview): this is the question under it.
        const text = data.photo
          ? [...photoNotes(ctx, data), ctx.t('broadcast.previewAsk')].join('\n\n')
          : `${ctx.t('broadcast.preview', { n: data.count, skipped: data.skipped })}\n\n${broadcastText(ctx.t, data.text)}`;
        return {
          text,
          choices: [
            quiet ? { label: ctx.t('broadcast.sendAtNext', when(next)), value: 'next' } : { label: ctx.t('broadcast.sendNow'), value: 'now' },
            { label: ctx.t('broadcast.schedule'), value: 'later' },
            { label: ctx.t('broadcast.edit'), value: 'edit' },
            ...(ctx.caps.photo === 'none' ? [] : [{ label: ctx.t(data.photo ? 'broadcast.changePhoto' : 'broadcast.addPhoto'), value: 'photo' }]),
            { label: ctx.t('broadcast.discard'), value: 'cancel' },
          ],
        };
      },
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        switch (input.value) {
          case 'now':
            if (isQuietHour(ctx.now)) return { type: 'retry', say: [{ text: ctx.t('broadcast.quiet', when(deferQuietHours(ctx.now))) }] };
            return send(ctx, data, null);
          case 'next':
            return send(ctx, data, deferQuietHours(ctx.now));
          case 'later':
            return { type: 'goto', step: 'when', data };
          case 'edit':
            return { type: 'goto', step: 'text', data };
          case 'photo':
            return { type: 'goto', step: 'photo', data };
          case 'cancel':
            return { type: 'done', say: [{ text: ctx.t('broadcast.discarded') }] };
        }
        return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
      },
    },
    when: {
      // The example is the day after tomorrow: never a day already gone.
      prompt: (ctx) => ({ text: ctx.t('broadcast.when', { example: hintDay(ctx.now, 2) }), choices: [{ label: ctx.t('broadcast.back'), value: 'back' }] }),
      async handle(ctx, data, input) {
        if (input.kind === 'choice') return toPreview(ctx, data);
        const example = { example: hintDay(ctx.now, 2) };
        if (input.kind !== 'text') return { type: 'retry', say: [{ text: ctx.t('broadcast.badWhen', example) }] };
        const typed = parseWhen(input.text, { locale: ctx.locale });
        const at = typed ? resolveWhen(typed, ctx.now) : null;
        if (at === 'past') return { type: 'retry', say: [{ text: ctx.t('sessionNew.pastDate') }] };
        if (!(at instanceof Date)) return { type: 'retry', say: [{ text: ctx.t('broadcast.badWhen', example) }] };
        if (isQuietHour(at)) return { type: 'retry', say: [{ text: ctx.t('broadcast.quiet', when(deferQuietHours(at))) }] };
        return send(ctx, data, at);
      },
    },
  },
});

const OpData = z.object({ id: z.number().int() });

/** The status message's buttons: pause (`p-<id>`), resume (`r-<id>`), cancel (`x-<id>`, after a confirmation). */
export const broadcastOpFlow = defineFlow<z.infer<typeof OpData>>({
  id: 'broadcast-op',
  data: OpData,
  async start(ctx, arg) {
    const m = /^([prx])-(\d{1,9})$/.exec(arg ?? '');
    if (!m) return { type: 'done', say: [{ text: ctx.t('errors.staleButton') }] };
    const id = Number(m[2]);
    const desk = ctx.person.broadcasts;
    if (m[1] === 'x') {
      const seen = await desk.progress(id);
      if (isDenied(seen)) return { type: 'done', say: deniedSay(ctx.t, seen) };
      return { type: 'goto', step: 'confirm', data: { id } };
    }
    const r = m[1] === 'p' ? await desk.pause(id) : await desk.resume(id);
    if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
    const params = { id, n: r.progress.recipients, sent: r.progress.sent, left: r.rows };
    if (m[1] === 'p') {
      return { type: 'done', say: [{ text: ctx.t('broadcast.paused', params), choices: [choice(ctx.t('broadcast.resume'), { type: 'broadcastOp', op: 'resume', broadcast: id }), choice(ctx.t('broadcast.cancelIt'), { type: 'broadcastOp', op: 'cancel', broadcast: id })] }] };
    }
    return { type: 'done', say: [{ text: ctx.t('broadcast.resumed', params), choices: [choice(ctx.t('broadcast.pause'), { type: 'broadcastOp', op: 'pause', broadcast: id }), choice(ctx.t('broadcast.cancelIt'), { type: 'broadcastOp', op: 'cancel', broadcast: id })] }] };
  },
  steps: {
    confirm: {
      prompt: (ctx, data) => ({
        text: ctx.t('broadcast.confirmCancel', { id: data.id }),
        choices: [
          { label: ctx.t('broadcast.cancelYes'), value: 'yes' },
          { label: ctx.t('broadcast.cancelNo'), value: 'no' },
        ],
      }),
      async handle(ctx, data, input) {
        if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
        if (input.value !== 'yes') return { type: 'done', say: [{ text: ctx.t('broadcast.kept') }] };
        const r = await ctx.person.broadcasts.cancel(data.id);
        if (isDenied(r)) return { type: 'done', say: deniedSay(ctx.t, r) };
        return { type: 'done', say: [{ text: ctx.t('broadcast.cancelled', { id: data.id, n: r.progress.recipients, sent: r.progress.sent, left: r.rows }) }] };
      },
    },
  },
});

const OP_ARG = { pause: 'p', resume: 'r', cancel: 'x' } as const;

/** Collaborators' broadcasts (/guitin) and the buttons of their status messages. */
export const broadcastModule: BotModule = {
  id: 'broadcast',
  flows: [broadcastFlow, broadcastOpFlow],
  commands: { broadcast: { run: (turn) => turn.start('broadcast') } },
  actions: {
    broadcast: { run: (turn, a) => turn.start('broadcast', a.campaign) },
    broadcastOp: { run: (turn, a) => turn.start('broadcast-op', `${OP_ARG[a.op]}-${a.broadcast}`) },
  },
};
