// `npm run soak [-- --histories N] [--seed S]`: the fault harness of the tests, a thousand histories long.
// Prints what became of every event and alert; exits 1 if any event was lost or counted twice, any alert stuck, or an
// SMS went out twice anywhere but in a crash between publishing and recording.
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { historyArbitrary } from '../test/harness/history.ts';
import { type HistoryResult, runHistory, startHarness } from '../test/harness/run-history.ts';

const { values } = parseArgs({
  options: {
    histories: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    events: { type: 'string', default: '40' },
    /** Runs only history N of the seed's sequence, e.g. to look again at one that broke. */
    only: { type: 'string' },
  },
});
const count = Number(values.histories);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isInteger(count) || count < 1) {
  console.error('sanwang soak: --histories must be a whole number ≥ 1');
  process.exit(2);
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const specs = fc.sample(historyArbitrary(Number(values.events)), { numRuns: count, seed });
const harness = await startHarness();
const totals: Record<string, number> = {};
const bad: { n: number; result: HistoryResult }[] = [];
const started = process.hrtime.bigint();
try {
  for (const [i, spec] of specs.entries()) {
    if (values.only !== undefined && i + 1 !== Number(values.only)) continue;
    if (values.only !== undefined) console.log(JSON.stringify(spec));
    const result = await runHistory(harness, spec, `soak-${i + 1}`);
    for (const [k, v] of Object.entries(result)) totals[k] = (totals[k] ?? 0) + v;
    const extraSms = Math.max(0, result.duplicateSms - result.crashWindowAlerts);
    totals.duplicateSmsOutsideCrashWindow = (totals.duplicateSmsOutsideCrashWindow ?? 0) + extraSms;
    if (result.lost || result.countedTwice || result.countMismatch || result.stuck || extraSms)
      bad.push({ n: i + 1, result });
    if ((i + 1) % 100 === 0) console.log(`  ${i + 1} histories …`);
  }
} finally {
  await harness.close();
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const t = (k: string) => (totals[k] ?? 0).toLocaleString('en-US');
console.log(`\nsanwang soak — ${count} histories (seed ${seed}), ${seconds.toFixed(0)} s`);
console.log(`  events ${t('events')} distinct, ${t('records')} records put (resends and re-puts included)`);
console.log(`  injected: ${t('crashes')} crashes, ${t('throttles')} throttling runs, ${t('invocations')} invocations`);
console.log(`  applied ${t('applied')} of ${t('expected')} expected; incidents ${t('incidents')}`);
console.log(
  `  lost ${t('lost')}   counted twice ${t('countedTwice')}   count mismatches ${t('countMismatch')}   stuck alerts ${t('stuck')}`,
);
console.log(
  `  SMS ${t('sms')}, duplicates ${t('duplicateSms')} (crash-window alerts ${t('crashWindowAlerts')}; outside it ${t('duplicateSmsOutsideCrashWindow')})`,
);
if (bad.length) {
  console.log(`\n${bad.length} histories broke the promise (first: #${bad[0]!.n}): ${JSON.stringify(bad[0]!.result)}`);
  process.exit(1);
}
