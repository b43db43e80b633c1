import type { KinesisStreamEvent } from 'aws-lambda';
import { createRulesProcessor } from '../shared/app/rules-processor.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../shared/domain/event-time.ts';
import { ALARM_RULES } from '../shared/domain/rule-registry.ts';
import { memoryIncidentStore } from './counting-stores.ts';

const silent = { info() {}, warn() {} };
const NOW = new Date('2026-11-24T18:30:00Z');

function processor(incidents: ReturnType<typeof memoryIncidentStore>) {
  return createRulesProcessor({
    incidents,
    quarantine: { put: async () => {} },
    rules: ALARM_RULES,
    timeZone: 'Asia/Shanghai',
    incidentRetentionDays: 180,
    eventTime: DEFAULT_EVENT_TIME_POLICY,
    now: () => NOW,
    log: silent,
  });
}

/** The least any consumer must do per record: base64-decode and JSON.parse it. */
function floor(event: KinesisStreamEvent): number {
  let n = 0;
  for (const r of event.Records) n += JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) ? 1 : 0;
  return n;
}

async function timeIt(iterations: number, run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export interface ThroughputFigures {
  eventsPerSecond: number;
  floorEventsPerSecond: number;
  ratio: number;
}

/**
 * Rules-processor throughput on one core for first delivery of a batch into an empty in-memory store, against
 * the floor measured on the same records in the same run. Rounds alternate so drift hits both alike.
 */
export async function measureThroughput(
  event: KinesisStreamEvent,
  rounds = 7,
  iterations = 60,
): Promise<ThroughputFigures> {
  const records = event.Records.length;
  const run = () => processor(memoryIncidentStore())(event);
  await timeIt(10, run);
  await timeIt(10, () => floor(event));
  const ours: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(await timeIt(iterations, run));
    base.push(await timeIt(iterations, () => floor(event)));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const oursS = median(ours);
  const baseS = median(base);
  return {
    eventsPerSecond: (records * iterations) / oursS,
    floorEventsPerSecond: (records * iterations) / baseS,
    ratio: oursS / baseS,
  };
}
