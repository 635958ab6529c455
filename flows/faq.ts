import { choice } from '../src/core/actions.js';
import type { Choice, OutboundMessage } from '../src/core/messages.js';
import type { GapRecorder } from '../src/domain/gap-recorder.js';
import type { FlowContext } from '../src/engine/flow.js';
import type { BotModule } from '../src/engine/module.js';
import type { FaqEntry } from '../src/faq/schema.js';
import type { FaqBundle } from '../src/faq/types.js';
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
  choices.push(choice(ctx.t('faq.counsellor'), { type: 'counsel' }));
  return choices;
}

/** One entry as the person reads it: the answer in their language, its sources, and what may follow. */
export function faqAnswer(ctx: FlowContext, faq: FaqBundle, topic: string, withFeedback: boolean): OutboundMessage {
  const entry = faq.entries.get(topic);
  if (!entry) return { text: ctx.t('faq.unknown') };
  const en = ctx.locale === 'en' ? entry.en : undefined;
  const answer = en ? en.answer : entry.answer;
  const sources = en?.sources ?? entry.sources;
  const text = `${answer.trim()}\n\n${ctx.t('faq.source', { sources: sources.join('; ') })}`;
  return { text, choices: afterAnswer(ctx, faq, entry, withFeedback) };
}

/**
 * Questions answered from content/faq: the answer with its source, "Ý bạn
 * là …?" between two close topics, or an honest "I don't know" with a way to a
 * person (the question kept, without who asked, for content work). All
 * read-only: a question costs one read.
 */
export function faqModule(o: { faq: FaqBundle; gaps: GapRecorder; log: Logger }): BotModule {
  const { faq, gaps, log } = o;
  return {
    id: 'faq',
    question: {
      readOnly: true,
      async run(turn, question) {
        const result = faq.matcher.match(question);
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
            gaps.unanswered(question);
            return [{ text: turn.t('faq.unknown'), choices: [choice(turn.t('faq.counsellor'), { type: 'counsel' }), choice(turn.t('menu.button'), { type: 'menu' })] }];
        }
      },
    },
    safety: (turn, verdict) => [faqAnswer(turn, faq, verdict.topic, false), ...(verdict.kind === 'ask' ? [] : [])],
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
      feedback: {
        readOnly: true,
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
