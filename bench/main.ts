// `npm run bench`: prints the figures the README quotes. Not part of `npm test`: timings never gate a build.
import { distinctEvents, kinesisEvent, longStormBatches, stormEvents } from './batches.ts';
import { bundleFunctions, initTimesMs } from './bundles.ts';
import { countCalls } from './dynamo-calls.ts';
import { measureIngestBatch, measureParsers } from './ingest.ts';
import { measureSweeps } from './sweep.ts';
import { measureThroughput } from './throughput.ts';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const storm = kinesisEvent(stormEvents(1000));
const distinct = kinesisEvent(distinctEvents(1000));

console.log(`sanwang bench — node ${process.version}, one core, batches of 1,000 records\n`);
console.log('Rules processor throughput (decode + validate + rules + incident planning, in-memory store):');
for (const [name, event] of [
  ['storm (1 camera)', storm],
  ['distinct (1,000 sources)', distinct],
] as const) {
  const t = await measureThroughput(event);
  console.log(
    `  ${name.padEnd(26)} ${fmt(t.eventsPerSecond).padStart(9)} events/s   floor ${fmt(t.floorEventsPerSecond).padStart(9)} events/s   ratio ${t.ratio.toFixed(2)}× floor`,
  );
}

console.log(
  '\nDynamoDB and SNS calls (real adapters against the local DynamoDB and SNS, counted as the SDK sends them):',
);
const callRows = await countCalls({ storm, longStorm: longStormBatches(), distinct });
for (const c of callRows) {
  const size = c.largestItemBytes ? `; incident item ${kb(c.largestItemBytes)}` : '';
  console.log(
    `  ${c.scenario.padEnd(40)} ${String(c.calls).padStart(5)} calls for ${String(c.events).padStart(5)} = ${(c.calls / c.events).toFixed(3)} each; ${c.incidents} incidents written${size}; ${JSON.stringify(c.byCommand)}`,
  );
}

// Writes + publishes per alert step: rules (the incident commits) plus the notifier (records, commits, texts), for
// the 1,000 distinct events, each its own incident and alert step, against the naive handler's 2 calls per record.
{
  const wrote = (c: (typeof callRows)[number] | undefined) =>
    ['PutItem', 'BatchWriteItem', 'UpdateItem', 'Publish'].reduce((sum, k) => sum + (c?.byCommand[k] ?? 0), 0);
  const rulesRow = callRows.find((c) => c.scenario.startsWith('distinct'));
  const notifyRow = callRows.find((c) => c.scenario.startsWith('notify'));
  const total = wrote(rulesRow) + wrote(notifyRow);
  const steps = notifyRow?.events ?? 0;
  console.log(
    `  writes + publishes, rules + notifier, 1,000 distinct events: ${fmt(total)} (${(total / Math.max(1, steps)).toFixed(2)} per alert step; ` +
      `naive per-record handler 2,000 = ${(total / 2000).toFixed(2)}×)`,
  );
}

console.log(
  '\nSweep (the clock half, local DynamoDB): calls and time follow the incidents due, not the incidents open:',
);
// The first run warms the local server and the code paths; the baseline is the second, in the same run.
const sweeps = (
  await measureSweeps([
    { open: 100, due: 100 },
    { open: 100, due: 100 },
    { open: 10_000, due: 100 },
  ])
).slice(1);
const [base] = sweeps;
for (const f of sweeps) {
  console.log(
    `  ${fmt(f.open).padStart(6)} open, ${String(f.due).padStart(3)} due: ${String(f.ticked).padStart(3)} ticked, ${String(f.calls).padStart(4)} calls, ` +
      `${f.ms.toFixed(0).padStart(5)} ms = ${(f.calls / base!.calls).toFixed(2)}× calls, ${(f.ms / base!.ms).toFixed(2)}× time of 100 open/100 due; ${JSON.stringify(f.byCommand)}`,
  );
}

console.log(
  '\nBundles as deployed (minified ESM, node24, AWS SDK bundled) and module init, median of 7 cold imports each;\n' +
    '  init as a ratio to the same SDK clients alone, bundled the same way, and to the same handler loading the SDK\n' +
    "  from node_modules (as with the runtime's own SDK):",
);
const bundles = await bundleFunctions();
const inits = initTimesMs(bundles.flatMap((b) => [b.deployed.file, b.sdkOnly.file, b.sdkExternal.file]));
bundles.forEach(({ deployed, sdkExternal }, i) => {
  const [ms, sdkMs, externalMs] = inits.slice(3 * i, 3 * i + 3) as [number, number, number];
  console.log(
    `  ${deployed.name.padEnd(8)} ${kb(deployed.bytes).padStart(9)} (our code ${kb(deployed.ownBytes)})   init ${ms.toFixed(1)} ms` +
      ` = ${(ms / sdkMs).toFixed(2)}× SDK only (${sdkMs.toFixed(1)} ms: ${deployed.clients.join(', ')})` +
      ` = ${(ms / externalMs).toFixed(2)}× SDK from node_modules (${externalMs.toFixed(1)} ms, ${kb(sdkExternal.bytes)})`,
  );
});

console.log('\nIngest (signature check + parse + validate + registration check + put, in-memory ports):');
const batch = await measureIngestBatch();
console.log(
  `  500-event canonical batch (${kb(batch.bytes)})  ${fmt(batch.eventsPerSecond).padStart(9)} events/s   floor (JSON.parse) ${fmt(batch.floorEventsPerSecond)} events/s   ratio ${batch.ratio.toFixed(2)}× floor`,
);
console.log('\nDevice parsers (one payload each; floor: JSON.parse of the canonical events produced):');
for (const row of await measureParsers()) {
  console.log(
    `  ${row.label.padEnd(16)} ${String(row.bytes).padStart(6)} B  ${row.events} event(s)  ${row.parseMicros.toFixed(1).padStart(7)} µs/payload   ratio ${row.ratio.toFixed(1)}× floor`,
  );
}
