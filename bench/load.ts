// `npm run load`: the local platform under a night's load. See `npm run load -- --help`. Prints what it measured;
// it never judges a timing.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { IngestSummary } from '../events/api.ts';
import { createLocalAwsClients, type LocalAwsClients } from '../local/aws-clients.ts';
import { ensureLocalIntegrations, INTEGRATIONS_FILE, LOCAL_API_FILE } from '../local/local-integrations.ts';
import { postSigned } from '../shared/adapters/signed-request.ts';
import type { Incident } from '../shared/domain/incident.ts';
import { PENDING_ALERT_PARTITION, tableDesign } from '../shared/table-design.ts';
import { type LoadMix, NIGHT_MIX, NightEvents } from './load-mix.ts';
import type { PlatformCommand, PlatformReady, PlatformStats } from './load-platform.ts';

const HELP = `npm run load [-- options]: posts a night of signed alarms to the local platform and prints what happened.

  --rate N            events per second                                   default 500
  --duration S        seconds of posting                                  default 60
  --batch N           events per request (an integration batching alarms) default 10
  --storm-share X     share of events from a few storming cameras, 0–1    default ${NIGHT_MIX.stormShare}
  --storm-cameras N   how many cameras storm                              default ${NIGHT_MIX.stormCameras}
  --burst MIN-MAX     events per distinct incident                        default ${NIGHT_MIX.distinctBurst.join('-')}
  --seed N            the mix's random seed                               default 1
  --running           load the platform \`npm start\` runs (${LOCAL_API_FILE}) instead of starting one
  --profile DIR       start the platform under node --cpu-prof, profiles written to DIR (one per thread)
  --batching-window MS     the rules source's batching window in the started platform (its default otherwise)
  --ingest-environments N  how many ingest environments the started platform may run (its default otherwise)
  --server-threads shared|each|main  the local servers in one thread, one thread each, or the platform's own
  --functions shared|environments|in-process  how the started platform runs its handlers (platform.ts)
  --node-option OPT   a node or V8 option for the platform process (repeatable), e.g. --max-semi-space-size=32
  --steady-after S    latencies are also given for what was posted from S seconds on   default 20
                      (every environment cold at the start: V8 compiles the SDK and handlers in each)
  --settle S          how long to wait for the platform to account for every event   default 120
  -h, --help          this text

Without --running it starts the platform in a child process on free ports, so the generator never shares its
event loop. Requests are sent on schedule whatever the answers (open loop): a slow platform shows as latency.`;

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '60' },
    batch: { type: 'string', default: '10' },
    'storm-share': { type: 'string', default: String(NIGHT_MIX.stormShare) },
    'storm-cameras': { type: 'string', default: String(NIGHT_MIX.stormCameras) },
    burst: { type: 'string', default: NIGHT_MIX.distinctBurst.join('-') },
    seed: { type: 'string', default: '1' },
    running: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'node-option': { type: 'string', multiple: true, default: [] },
    'batching-window': { type: 'string' },
    'ingest-environments': { type: 'string' },
    'server-threads': { type: 'string' },
    functions: { type: 'string' },
    settle: { type: 'string', default: '120' },
    'steady-after': { type: 'string', default: '20' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function number(name: keyof typeof values, min: number, max: number): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}, got "${values[name]}"`);
    process.exit(2);
  }
  return n;
}
const rate = number('rate', 1, 100_000);
const duration = number('duration', 1, 3600);
const batch = Math.round(number('batch', 1, 500));
const settleSeconds = number('settle', 1, 3600);
const steadyAfter = number('steady-after', 0, 3600);
const burst = /^(\d+)-(\d+)$/.exec(values.burst);
if (!burst || Number(burst[1]) < 1 || Number(burst[2]) < Number(burst[1])) {
  console.error(`--burst must be MIN-MAX with 1 ≤ MIN ≤ MAX, got "${values.burst}"`);
  process.exit(2);
}
const mix: LoadMix = {
  ...NIGHT_MIX,
  stormShare: number('storm-share', 0, 1),
  stormCameras: Math.round(number('storm-cameras', 1, 10_000)),
  distinctBurst: [Number(burst[1]), Number(burst[2])],
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What the generator needs to know about the platform under load. */
interface Target {
  apiUrl: string;
  clients: LocalAwsClients;
  tableName: string;
  /** The SMS stand-in's base URL: GET /messages?since=N lists the texts the handsets got. */
  smsEndpoint: string;
  child?: ChildProcess;
  stats?: () => Promise<PlatformStats>;
  stop(): Promise<void>;
}

async function startChild(): Promise<Target> {
  const nodeArgs = ['--import', 'tsx'];
  if (values.profile) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', values.profile);
  nodeArgs.push(...values['node-option']);
  const child = spawn(process.execPath, [...nodeArgs, 'bench/load-platform.ts'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      ...(values['batching-window'] ? { LOAD_BATCHING_WINDOW_MS: values['batching-window'] } : {}),
      ...(values['ingest-environments'] ? { LOAD_INGEST_ENVIRONMENTS: values['ingest-environments'] } : {}),
      ...(values['server-threads'] ? { LOAD_SERVER_THREADS: values['server-threads'] } : {}),
      ...(values.functions ? { LOAD_FUNCTIONS: values.functions } : {}),
    },
  });
  const ready = await new Promise<PlatformReady>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code} before it was ready`)));
    child.once('message', (m) => resolve(m as PlatformReady));
  });
  child.removeAllListeners('exit');
  const waiting: Array<(s: PlatformStats) => void> = [];
  child.on('message', (m) => {
    if ((m as PlatformStats).type === 'stats') waiting.shift()?.(m as PlatformStats);
  });
  const command = (c: PlatformCommand) => child.send(c);
  return {
    apiUrl: ready.apiUrl,
    clients: createLocalAwsClients({ ...ready.endpoints, kinesis: ready.endpoints.sqs, sns: ready.endpoints.sqs }),
    tableName: ready.tableName,
    smsEndpoint: ready.smsEndpoint,
    child,
    stats: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        command({ type: 'stats' });
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      command({ type: 'stop' });
      await exited;
    },
  };
}

async function useRunning(): Promise<Target> {
  const running = JSON.parse(readFileSync(LOCAL_API_FILE, 'utf8')) as {
    url: string;
    dynamodb: string;
    table: string;
    sqs?: string;
    sms?: string;
  };
  if (!running.sqs || !running.sms)
    throw new Error(`${LOCAL_API_FILE} names no SQS or SMS endpoint: restart npm start`);
  const clients = createLocalAwsClients({
    dynamodb: running.dynamodb,
    kinesis: running.sqs,
    sns: running.sqs,
    sqs: running.sqs,
  });
  return {
    apiUrl: running.url,
    clients,
    tableName: running.table,
    smsEndpoint: running.sms,
    stop: async () => {},
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (n: number) => (Number.isNaN(n) ? '—' : n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const target = values.running ? await useRunning() : await startChild();
const integration = ensureLocalIntegrations(INTEGRATIONS_FILE)[0]!;
const run = `load-${randomUUID().slice(0, 8)}`;
const events = new NightEvents(mix, run, Number(values.seed));

/** When each source's first event was posted: the start of its incident's ingest→SMS latency. */
const firstPosted = new Map<string, number>();
const acceptedIds = new Set<string>();
/** Latencies, each with when its request (or its incident's first event) was posted, ms after the start. */
const answers: Array<{ at: number; ms: number }> = [];
const statuses = new Map<number, number>();
let requests = 0;
let eventsSent = 0;
let failedRequests = 0;
let scheduleLagMax = 0;

// The handsets are read throughout: a text's arrival is the gateway's own receipt time. Texts carry the incident's
// code, not its sources; the code leads to the incident (and its first source) once the run has settled.
const received: Array<{ to: string; text: string; receivedAt: number }> = [];
let readingTexts = true;
const textReader = (async () => {
  let since = 0;
  for (;;) {
    const res = await fetch(`${target.smsEndpoint}/messages?since=${since}`);
    const texts = (await res.json()) as Array<{ n: number; to: string; text: string; receivedAt: number }>;
    for (const t of texts) received.push(t);
    since = texts.at(-1)?.n ?? since;
    if (texts.length === 0) {
      if (!readingTexts) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
})();

const statsSamples: PlatformStats[] = [];
/** Cores the platform used between two samples, and how much of it no named thread did. */
function cores(from: PlatformStats, to: PlatformStats): string {
  const wall = to.at - from.at;
  const named = Object.keys(to.threadCpuMs).reduce(
    (sum, k) => sum + to.threadCpuMs[k]! - (from.threadCpuMs[k] ?? 0),
    0,
  );
  return `${((to.cpuMs - from.cpuMs) / wall).toFixed(2)} cores (others ${((to.cpuMs - from.cpuMs - named) / wall).toFixed(2)})`;
}
const sampleStats = async () => {
  if (target.stats) statsSamples.push(await target.stats());
};

console.log(
  `sanwang load — ${fmt(rate)} events/s for ${duration} s in requests of ${batch} (${(rate / batch).toFixed(1)} requests/s), ` +
    `mix: ${Math.round(mix.stormShare * 100)}% from ${mix.stormCameras} storming cameras, the rest ` +
    `${mix.distinctBurst.join('–')} events per incident; run ${run}; API ${target.apiUrl}`,
);

await sampleStats();
const total = Math.round(rate * duration);
const interval = (batch / rate) * 1000;
const start = performance.now();
const wallStart = Date.now();
const inFlight = new Set<Promise<void>>();
let progressAt = start;
for (let sent = 0, i = 0; sent < total; i++) {
  const due = start + i * interval;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  scheduleLagMax = Math.max(scheduleLagMax, performance.now() - due);
  const size = Math.min(batch, total - sent);
  const now = new Date();
  const body = Array.from({ length: size }, () => events.next(now));
  sent += size;
  const postedAt = Date.now();
  for (const e of body) if (!firstPosted.has(e.source.id)) firstPosted.set(e.source.id, postedAt);
  const t0 = performance.now();
  const request = postSigned({
    url: `${target.apiUrl}/v1/events`,
    integrationId: integration.id,
    secret: integration.secrets[0]!,
    body: Buffer.from(JSON.stringify({ events: body })),
    contentType: 'application/json',
  })
    .then(({ status, body: answer }) => {
      answers.push({ at: t0 - start, ms: performance.now() - t0 });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      for (const r of (answer as Partial<IngestSummary>).results ?? []) {
        if (r.status === 'accepted' && r.id) acceptedIds.add(r.id);
      }
    })
    .catch(() => {
      failedRequests++;
    });
  requests++;
  eventsSent += size;
  const tracked = request.finally(() => inFlight.delete(tracked));
  inFlight.add(tracked);
  if (performance.now() - progressAt >= 10_000) {
    progressAt = performance.now();
    await sampleStats();
    const [before, last] = statsSamples.slice(-2);
    console.log(
      `  ${Math.round((progressAt - start) / 1000)} s: ${fmt(eventsSent)} sent, ${fmt(acceptedIds.size)} accepted, ` +
        `${inFlight.size} requests open${last && before ? `, rules ${fmt(last.rules.records)} records, platform ${cores(before, last)}` : ''}`,
    );
  }
}
const postingSeconds = (performance.now() - start) / 1000;
const generatorCpu = process.cpuUsage();
await Promise.all(inFlight);
const answeredSeconds = (performance.now() - start) / 1000;
await sampleStats();
const atEndOfPosting = statsSamples.at(-1);

/** The run's incidents in one partition of an index, every page. */
async function runIncidents(index: { name: string; partitionKey: string }, value: string): Promise<Incident[]> {
  const found: Incident[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await target.clients.documents.send(
      new QueryCommand({
        TableName: target.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':pk': value },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as Incident[])
      if (item.sources.some((s) => s.startsWith(run))) found.push(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

// Settle: every accepted event counted in exactly one incident, no alert of the run still pending.
async function account(): Promise<{ incidents: Incident[]; counted: number; pending: number }> {
  const { byCounty, pendingAlerts } = tableDesign.indexes;
  const incidents = await runIncidents(byCounty, 'COUNTY#140581');
  const pending = (await runIncidents(pendingAlerts, PENDING_ALERT_PARTITION)).length;
  return { incidents, counted: incidents.reduce((sum, i) => sum + i.eventCount, 0), pending };
}

const settleStart = performance.now();
let accounting = await account();
let polls = 1;
while (
  (accounting.counted < acceptedIds.size || accounting.pending > 0) &&
  performance.now() - settleStart < settleSeconds * 1000
) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  accounting = await account();
  polls++;
}
const settledSeconds = (performance.now() - settleStart) / 1000;
await sampleStats();
readingTexts = false;
await textReader;
// The first text of each incident of this run (an opening, not a reminder or a notice), to each handset.
const smsLatencies: Array<{ at: number; ms: number }> = [];
const alertsByDesk = new Map<string, number>();
{
  const byCode = new Map(accounting.incidents.map((i) => [i.code, i]));
  const owner = new Map<string, string>();
  for (const desk of JSON.parse(readFileSync('config/desks.json', 'utf8')) as Array<{
    id: string;
    officers: Array<{ mobile: string }>;
    sms?: string[];
  }>) {
    for (const o of desk.officers) owner.set(o.mobile, desk.id);
    for (const n of desk.sms ?? []) owner.set(n, desk.id);
  }
  for (const t of received) {
    if (!/^【(特急|紧急|重要|一般)】(?!升级|上报)/.test(t.text)) continue;
    const incident = byCode.get(/码([0-9A-Z]{5})/.exec(t.text)?.[1] ?? '');
    const source = incident?.sources.find((s) => s.startsWith(run));
    if (!source) continue;
    const deskId = owner.get(t.to) ?? '?';
    alertsByDesk.set(deskId, (alertsByDesk.get(deskId) ?? 0) + 1);
    const posted = firstPosted.get(source);
    if (posted !== undefined) smsLatencies.push({ at: posted - wallStart, ms: t.receivedAt - posted });
  }
}

/** p50, p99 and max of the whole run, and of what was posted once the platform had warmed up. */
function latencies(list: Array<{ at: number; ms: number }>): string {
  const line = (items: Array<{ at: number; ms: number }>) => {
    const sorted = items.map((i) => i.ms).sort((a, b) => a - b);
    return `p50 ${ms(percentile(sorted, 50))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1) ?? Number.NaN)}`;
  };
  return `${line(list)}   from ${steadyAfter} s on: ${line(list.filter((i) => i.at >= steadyAfter * 1000))}`;
}
const statusLine = [...statuses].map(([s, n]) => `${s}×${fmt(n)}`).join(', ');
console.log(
  `\nposted     ${fmt(requests)} requests, ${fmt(eventsSent)} events in ${postingSeconds.toFixed(1)} s (generator lag max ${ms(scheduleLagMax)}, ` +
    `its own CPU ${((generatorCpu.user + generatorCpu.system) / 1e6).toFixed(1)} s); last answer at ${answeredSeconds.toFixed(1)} s`,
);
console.log(
  `answers    ${statusLine}${failedRequests ? `, ${failedRequests} without an answer` : ''}; ${fmt(acceptedIds.size)} events accepted`,
);
console.log(`answer latency      ${latencies(answers)}`);
console.log(
  `ingest→SMS latency  ${latencies(smsLatencies)}\n` +
    `                    (${fmt(smsLatencies.length)} desk deliveries of the first alerts of ${fmt(accounting.incidents.length)} incidents)`,
);
if (atEndOfPosting && statsSamples[0]) {
  const first = statsSamples[0];
  const last = statsSamples.at(-1)!;
  const during = (atEndOfPosting.rules.records - first.rules.records) / ((atEndOfPosting.at - first.at) / 1000);
  console.log(
    `rules      ${fmt(during)} records/s while posting; ${fmt(atEndOfPosting.rules.records - first.rules.records)} of ${fmt(acceptedIds.size)} accepted processed when posting ended; ` +
      `${fmt(last.rules.batches - first.rules.batches)} batches, ${last.rules.retries - first.rules.retries} retries, ${last.failures.rules} to the failure destination`,
  );
  console.log(
    `notify     ${fmt(last.notify.batches - first.notify.batches)} batches, ${fmt(last.notify.records - first.notify.records)} records, ${last.notify.retries - first.notify.retries} retries, ${last.failures.notify} to the failure destination; platform RSS ${last.memoryMB} MB`,
  );
  const wall = last.at - first.at;
  const cpu = last.cpuMs - first.cpuMs;
  const busy = Object.keys(last.threadCpuMs)
    .map((k) => [k, (last.threadCpuMs[k]! - (first.threadCpuMs[k] ?? 0)) / wall] as const)
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `platform   CPU ${(cpu / 1000).toFixed(1)} s in ${(wall / 1000).toFixed(1)} s = ${(cpu / wall).toFixed(2)} cores, ${(cpu / Math.max(1, acceptedIds.size)).toFixed(2)} ms per event; ` +
      `CPU by thread: ${busy.map(([k, u]) => `${k} ${Math.round(u * 100)}%`).join(', ')}, ` +
      `others (V8 compiler and GC helpers, libuv) ${Math.round((cpu / wall - busy.reduce((sum, [, u]) => sum + u, 0)) * 100)}% of a core; ` +
      `environments started: ${Object.entries(last.functions)
        .map(([k, f]) => `${k} ${f.coldStarts}`)
        .join(', ')}`,
  );
}
const exact = accounting.counted === acceptedIds.size && accounting.pending === 0;
console.log(
  `accounted  ${fmt(accounting.counted)} events in ${fmt(accounting.incidents.length)} incidents for ${fmt(acceptedIds.size)} accepted; ` +
    `${accounting.pending} alerts pending; ${exact ? 'events in = events accounted' : 'NOT all accounted'} ` +
    `(${settledSeconds.toFixed(1)} s after the last answer, ${polls} looks)`,
);
console.log(`desks      ${[...alertsByDesk].map(([d, n]) => `${d} ${fmt(n)}`).join(', ') || 'no alerts'}`);
target.clients.destroy();
await target.stop();
process.exit(exact ? 0 : 1);
