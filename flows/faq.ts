import { choice } from '../src/core/actions.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import type { GapRecorder } from '../src/domain/gap-recorder.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import type { FaqEntry } from '../src/faq/schema.js';
import { type FaqBundle, isSafetyTopic, SAFETY_TOPICS } from '../src/faq/types.js';
import { z } from 'zod';
import { defineFlow } from '../src/engine/flow.js';
import type { Logger } from '../src/log.js';

/** An entry's title in the person's language (button text). */
export const faqTitle = (ctx: Pick<FlowContext, 'locale'>, entry: FaqEntry): string => (ctx.locale === 'en' && entry.en ? entry.en.title : entry.title);

/** The buttons under an answer: more, related topics, feedback, a counsellor. */
function afterAnswer(ctx: FlowContext, faq: FaqBundle, entry: FaqEntry, withFeedback: boolean): Choice[] {
  const choices: Choice[] = [];
  if (entry.more && withFeedback) choices.push(choice(ctx.t('faq.more'), { type: 'more', topic: entry.topic }));
  for (const id of entry.related.slice(0, 3)) {
    const related = faq.entries.get(id);
    if (related) choices.push(choice(faqTitle(ctx, related), { type: 'faq', topic: id }));
  }
  if (withFeedback) {
    choices.push(choice(ctx.t('faq.useful'), { type: 'feedback', useful: true, topic: entry.topic }));
    choices.push(choice(ctx.t('faq.wrong'), { type: 'feedback', useful: false, topic: entry.topic }));
  }
  // What they were reading goes with them to the counsellor (its programme, or a safety answer).
  choices.push(choice(ctx.t('faq.counsellor'), { type: 'counsel', about: entry.topic }));
  return choices;
}

/** One entry as the person reads it: the answer in their language, its sources, and what may follow. */
export function faqAnswer(ctx: FlowContext, faq: FaqBundle, topic: string, withFeedback: boolean): OutboundMessage {
  const entry = faq.entries.get(topic);
  if (!entry) return { text: ctx.t('faq.unknown') };
  return { text: answerText(ctx, faq, entry), choices: afterAnswer(ctx, faq, entry, withFeedback) };
}

/**
 * An answer's text with its sources, per language, made once per bundle: the
 * most read text of the bot, otherwise rebuilt (trimmed, joined, interpolated)
 * for every question. Content changes need a restart anyway.
 */
const answerTexts = new WeakMap<FaqBundle, Map<string, string>>();

function answerText(ctx: FlowContext, faq: FaqBundle, entry: FaqEntry): string {
  let texts = answerTexts.get(faq);
  if (!texts) answerTexts.set(faq, (texts = new Map()));
  const key = `${ctx.locale}:${entry.topic}`;
  let text = texts.get(key);
  if (text === undefined) {
    const en = ctx.locale === 'en' ? entry.en : undefined;
    const answer = en ? en.answer : entry.answer;
    const sources = en?.sources ?? entry.sources;
    text = `${answer.trim()}\n\n${ctx.t('faq.source', { sources: sources.join('; ') })}`;
    texts.set(key, text);
  }
  return text;
}

/** "Is it happening right now?": the route's answer, or the calm answer to the question asked. */
const SafetyAskData = z.object({ topic: z.enum(SAFETY_TOPICS), question: z.string() });
type SafetyAskData = z.infer<typeof SafetyAskData>;

/** The answer to a question, as the FAQ gives it (or an honest "I don't know" with a way to a person). */
type Answer = (ctx: FlowContext, question: string) => Promise<OutboundMessage[]>;

function safetyAskFlow(answer: Answer, faq: FaqBundle) {
  return defineFlow<SafetyAskData>({
    id: 'safety-ask',
    data: SafetyAskData,
    async start(_ctx, arg) {
      const parsed = SafetyAskData.safeParse(JSON.parse(arg ?? 'null'));
      if (!parsed.success) return { type: 'done', say: [] };
      return { type: 'goto', step: 'now', data: parsed.data };
    },
    steps: {
      now: {
        prompt: (ctx) => ({
          text: ctx.t('safety.askNow'),
          choices: [
            { label: ctx.t('safety.askYes'), value: 'yes' },
            { label: ctx.t('safety.askNo'), value: 'no' },
          ],
        }),
        async handle(ctx, data, input) {
          if (input.kind !== 'choice') return { type: 'retry', say: [{ text: ctx.t('common.chooseOne') }] };
          if (input.value === 'yes') return { type: 'done', say: [faqAnswer(ctx, faq, data.topic, false)] };
          return { type: 'done', say: await answer(ctx, data.question) };
        },
      },
    },
  });
}

/**
 * Questions answered from content/faq: the answer with its source, "Ý bạn
 * là …?" between two close topics, or an honest "I don't know" with a way to a
 * person (the question kept, without who asked, for content work). All
 * read-only: a question costs one read.
 */
export function faqModule(o: { faq: FaqBundle; gaps: GapRecorder; log: Logger }): BotModule {
  const { faq, gaps, log } = o;
  const everyday = (text: string) => faq.everyday?.(text) ?? null;

  const answer: Answer = async (turn, question) => {
        const result = await faq.matcher.match(question);
        log.info({ event: 'faq', kind: result.kind, topic: result.topic, score: Number(result.score.toFixed(3)) }, 'faq');
        switch (result.kind) {
          case 'answer':
            gaps.answered(turn.person.key, question, result.topic);
            return [faqAnswer(turn, faq, result.topic, true)];
          case 'safety':
            return [faqAnswer(turn, faq, result.topic, false)];
          case 'ambiguous': {
            const options = [result.topic, ...result.alternatives].filter((id, i, all) => faq.entries.has(id) && all.indexOf(id) === i).slice(0, 3);
            return [
              {
                text: turn.t('faq.didYouMean'),
                choices: [...options.map((id) => choice(faqTitle(turn, faq.entries.get(id)!), { type: 'faq', topic: id })), choice(turn.t('faq.neither'), { type: 'counsel' })],
              },
            ];
          }
          case 'none':
            gaps.unanswered(turn.person.key, question);
            return [{ text: turn.t('faq.unknown'), choices: [choice(turn.t('faq.counsellor'), { type: 'counsel' }), choice(turn.t('menu.button'), { type: 'menu' })] }];
        }
  };

  return {
    id: 'faq',
    flows: [safetyAskFlow(answer, faq)],
    // "thôi, dừng lại đi", "đừng nhắn nữa": the stop command (with its confirmation), in any flow.
    recognise: (text) => (everyday(text)?.intent === 'stop' ? 'stop' : null),
    question: {
      // Everything here only reads, but for a relative to subscribe, which starts a flow.
      readOnly: (text) => everyday(text)?.intent !== 'subscribe-relative',
      async run(turn, question) {
        const intent = everyday(question);
        switch (intent?.intent) {
          case 'greeting':
            return [{ text: turn.t('everyday.hello') }, turn.home()];
          case 'thanks':
            return [{ text: turn.t('everyday.thanks') }, turn.home()];
          case 'pregnant': {
            const weeks = intent.weeks ?? (intent.months ? intent.months * 4 : undefined);
            const schedule = faq.entries.get('prenatal.schedule');
            return [
              {
                text: [turn.t('everyday.pregnant'), ...(weeks ? [turn.t('everyday.pregnantWeeks', { weeks })] : []), turn.t('everyday.pregnantOffer')].join(' '),
                choices: [
                  choice(turn.t('programmes.prenatal.journey'), { type: 'journeyPregnancy' }),
                  ...(schedule ? [choice(faqTitle(turn, schedule), { type: 'faq', topic: schedule.topic })] : []),
                  choice(turn.t('menu.button'), { type: 'menu' }),
                ],
              },
            ];
          }
          case 'subscribe-relative':
            return turn.start('subscribe', 'relative');
          default:
            return answer(turn, question);
        }
      },
    },
    async safety(turn, verdict, text) {
      if (verdict.kind === 'alarm') return [faqAnswer(turn, faq, verdict.topic, false)];
      // A sign that may or may not be happening now: ask, rather than alarm or calm by guess.
      if (turn.currentFlow() === null) return turn.start('safety-ask', JSON.stringify({ topic: verdict.topic, question: text }));
      return [{ text: turn.t('safety.askNow'), choices: [choice(turn.t('safety.askYes'), { type: 'safetyNow', topic: verdict.topic }), choice(turn.t('safety.askNo'), { type: 'safetyNotNow' })] }];
    },
    actions: {
      faq: {
        readOnly: true,
        run: async (turn, a) => (faq.entries.has(a.topic) ? [faqAnswer(turn, faq, a.topic, true)] : turn.stale()),
      },
      more: {
        readOnly: true,
        async run(turn, a) {
          const entry = faq.entries.get(a.topic);
          const more = turn.locale === 'en' && entry?.en ? entry.en.more : entry?.more;
          if (!entry || !more) return turn.stale();
          return [{ text: more, choices: afterAnswer(turn, faq, entry, false) }];
        },
      },
      safetyNow: {
        readOnly: true,
        retiresPressed: true,
        run: async (turn, a) => (isSafetyTopic(a.topic) ? [faqAnswer(turn, faq, a.topic, false), ...turn.reprompt()] : turn.stale()),
      },
      safetyNotNow: { readOnly: true, retiresPressed: true, run: async (turn) => [{ text: turn.t('safety.notNow') }, ...turn.reprompt()] },
      feedback: {
        readOnly: true,
        retiresPressed: true,
        async run(turn, a) {
          if (!faq.entries.has(a.topic)) return turn.stale();
          log.info({ event: 'faq.feedback', topic: a.topic, useful: a.useful }, 'faq feedback');
          if (a.useful) return [{ text: turn.t('faq.thanks') }];
          gaps.wrong(turn.person.key, a.topic);
          return [{ text: turn.t('faq.sorry'), choices: [choice(turn.t('faq.counsellor'), { type: 'counsel' }), choice(turn.t('menu.button'), { type: 'menu' })] }];
        },
      },
    },
  };
}
