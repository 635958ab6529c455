import { benchBooking } from './booking.js';
import { benchBroadcast } from './broadcast.js';
import { benchDispatch } from './dispatch.js';
import { benchFaq } from './faq.js';
import { benchPipeline } from './pipeline.js';

/**
 * `npm run bench` prints every figure as `name value unit`.
 * `npm run bench -- --quick` is a seconds-long smoke run for CI.
 * `npm run bench -- --only=dispatch,broadcast` runs just those suites.
 */
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
const suites: { name: string; run: (o: { quick: boolean }) => Promise<string[]> }[] = [
  { name: 'faq', run: benchFaq },
  { name: 'pipeline', run: benchPipeline },
  { name: 'dispatch', run: benchDispatch },
  { name: 'booking', run: benchBooking },
  { name: 'broadcast', run: benchBroadcast },
];

const unknown = only?.filter((name) => !suites.some((s) => s.name === name)) ?? [];
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}: one of ${suites.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

let failed = false;
for (const suite of suites.filter((s) => !only || only.includes(s.name))) {
  try {
    for (const line of await suite.run({ quick })) console.log(line);
  } catch (err) {
    failed = true;
    console.error(`${suite.name}: ${(err as Error).stack ?? err}`);
  }
}
process.exit(failed ? 1 : 0);
