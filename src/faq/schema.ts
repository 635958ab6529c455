import { z } from 'zod';

/** A topic id such as `premarital.why`: stable, used by content, logs and evaluation. */
export const TopicId = z.string().regex(/^[a-z]+\.[a-z0-9-]+$/, 'topic id looks like "group.name"');

/** The topic taxonomy (content/faq/topics.json): every id needs at least one entry. */
export const TopicList = z.object({
  about: z.string().optional(),
  topics: z.array(z.object({ id: TopicId, vi: z.string().min(1) })).min(1),
});
export type TopicList = z.infer<typeof TopicList>;

/** One FAQ entry, one YAML file in content/faq/ (editable by health staff). */
export const FaqEntry = z.object({
  /** Topic id from topics.json. */
  topic: TopicId,
  /** Short title for buttons and "Ý bạn là …?" (≤ 60 characters). */
  title: z.string().min(3).max(60),
  /** The chat answer: the essentials, plain and kind (≤ ~600 characters). */
  answer: z.string().min(20).max(900),
  /** Optional longer part shown behind "Xem thêm". */
  more: z.string().min(20).max(3000).optional(),
  /** Ways people ask this, with and without diacritics, with chat abbreviations. */
  questions: z.array(z.string().min(2)).min(8),
  /** Related topic ids offered as buttons after the answer. */
  related: z.array(TopicId).max(4).default([]),
  /** Where the facts come from; shown under the answer. */
  sources: z.array(z.string().min(3)).min(1),
  /** When a health professional last reviewed the entry (YYYY-MM-DD). */
  reviewed: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /**
   * The English version: what a person who chose English reads (title, answer,
   * the optional longer part, sources in English), and how people ask it in
   * English (`questions`), which the matcher indexes beside the Vietnamese ones.
   */
  en: z
    .object({
      title: z.string().min(3).max(60),
      answer: z.string().min(20).max(900),
      more: z.string().min(20).max(3000).optional(),
      questions: z.array(z.string().min(2)).default([]),
      sources: z.array(z.string().min(3)).optional(),
    })
    .optional(),
});
export type FaqEntry = z.infer<typeof FaqEntry>;
