/**
 * FAQ matcher from the command line.
 *
 *   npm run faq -- --calibrate
 *       refits content/nlp/calibration.json (src/faq/fit.ts) and prints its held-out
 *       reliability; then `npm run faq -- --reliability file.jsonl` shows how the
 *       probability holds on a labelled set the fit never saw.
 *
 *   npm run --silent faq -- --jsonl < questions.jsonl
 *       reads {"q": "..."} lines, writes {"q","topic","score"} lines in order
 *       (topic null when out of scope; the top topic when ambiguous; the safety
 *       topic for a danger sign). Nothing else goes to stdout.
 *   npm run faq -- "khám tiền hôn nhân ở đâu"
 *       for staff: the decision, its confidence and the runners-up.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { contentDir, projectRoot } from '../config/paths.js';
import { reliability } from '../faq/calibration.js';
import { calibrationRows, fitCalibration, readJsonl } from '../faq/fit.js';
import { loadFaqContent } from '../faq/matcher.js';
import { createEverydayDetector } from '../faq/everyday.js';
import { createProjectFaqMatcher } from '../faq/matcher.js';
import { createSafetyDetector } from '../faq/safety.js';

async function jsonl(): Promise<void> {
  const matcher = createProjectFaqMatcher();
  const everyday = createEverydayDetector();
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out: string[] = [];
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let q: string;
    try {
      const obj: unknown = JSON.parse(line);
      if (typeof obj !== 'object' || obj === null || typeof (obj as { q?: unknown }).q !== 'string') throw new Error('no "q" string');
      q = (obj as { q: string }).q;
    } catch (e) {
      // Keep the output aligned with the input: an unreadable line gets a null answer.
      process.stderr.write(`line ${lineNo}: ${(e as Error).message}\n`);
      out.push(JSON.stringify({ q: null, topic: null, score: 0 }));
      continue;
    }
    // A greeting, thanks, "I am pregnant", "remind my mother", "stop" is not a question:
    // the engine answers it itself, so the FAQ's answer is null (unless it is also a danger sign).
    const r = matcher.match(q);
    const plain = r.kind !== 'safety' && everyday(q) !== null;
    out.push(JSON.stringify({ q, topic: plain ? null : r.topic, score: plain ? 0 : r.score }));
    if (out.length >= 256) {
      process.stdout.write(`${out.join('\n')}\n`);
      out.length = 0;
    }
  }
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
}

function single(question: string): void {
  const matcher = createProjectFaqMatcher();
  const r = matcher.match(question);
  const lines = [
    `question: ${question}`,
    `analysed: ${matcher.analyse(question).exact.join(' ')}`,
    `kind:     ${r.kind}`,
    `topic:    ${r.topic ?? '(none: out of scope)'}`,
    `score:    ${r.score}`,
  ];
  if (r.kind === 'ambiguous') lines.push(`ask:      ${r.alternatives.join(' | ')}`);
  const sign = createSafetyDetector().detect(question);
  if (sign) lines.push(`safety:   ${sign.kind} ${sign.topic}, sign ${sign.sign} ("${sign.matched}", ${sign.why})`);
  const day = createEverydayDetector()(question);
  if (day) lines.push(`everyday: ${JSON.stringify(day)}`);
  lines.push('alternatives:');
  for (const x of matcher.rank(question).slice(0, 5)) {
    lines.push(`  ${x.topic.padEnd(32)} bm25=${x.score.toFixed(2).padStart(6)}  confidence=${x.confidence.toFixed(3)}`);
  }
  if (process.argv.includes('--explain')) {
    for (const x of matcher.rank(question).slice(0, 2)) lines.push(`  why: ${matcher.explain(question, x.topic)}`);
  }
  console.log(lines.join('\n'));
}

function table(bins: ReturnType<typeof reliability>): string {
  return bins
    .filter((b) => b.n > 0)
    .map(
      (b) =>
        `  P in [${b.from.toFixed(2)}, ${b.to.toFixed(2)}): n=${String(b.n).padStart(4)}  predicted ${b.predicted.toFixed(2)}  right ${b.observed.toFixed(2)}`,
    )
    .join('\n');
}

function calibrate(): void {
  const rows = calibrationRows(loadFaqContent(), join(projectRoot, 'test', 'faq', 'fixtures'));
  const { file } = fitCalibration(rows);
  const out = join(contentDir, 'nlp', 'calibration.json');
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  const fit = file.fit as {
    rows: number;
    right: number;
    heldOutBrier: number;
    heldOutAnswered: number;
    heldOutPrecisionAtThreshold: number;
    heldOutReliability: ReturnType<typeof reliability>;
  };
  console.log(`wrote ${out}: ${fit.rows} rows (${fit.right} right), held-out Brier ${fit.heldOutBrier}`);
  console.log(`held out, P >= ${file.threshold}: ${fit.heldOutAnswered} answered, ${(100 * fit.heldOutPrecisionAtThreshold).toFixed(1)}% right`);
  console.log(table(fit.heldOutReliability));
}

/** How the matcher's probability holds on a labelled set: bins of P against the share answered right. */
function reliabilityOf(file: string): void {
  const matcher = createProjectFaqMatcher();
  const probs: number[] = [];
  const labels: number[] = [];
  for (const c of readJsonl(file)) {
    const r = matcher.match(c.q);
    if (r.kind === 'safety' && r.verdict) continue; // the safety check's, not a probability
    const best = matcher.rank(c.q)[0];
    probs.push(r.score);
    labels.push(best && best.topic === c.topic ? 1 : 0);
  }
  console.log(`${file}: ${probs.length} questions answered by retrieval`);
  console.log(table(reliability(probs, labels)));
}

const args = process.argv.slice(2);
if (args.includes('--calibrate')) {
  calibrate();
} else if (args.includes('--reliability')) {
  for (const f of args.filter((a) => !a.startsWith('--'))) reliabilityOf(f);
} else if (args.includes('--jsonl')) {
  await jsonl();
} else if (args.length > 0 && !args.includes('--help')) {
  single(args.filter((a) => !a.startsWith('--')).join(' '));
} else {
  console.log('usage: npm run faq -- --jsonl < questions.jsonl\n       npm run faq -- "câu hỏi"');
}
