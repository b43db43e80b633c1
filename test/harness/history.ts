import fc from 'fast-check';
import type { SanwangEventInput } from '../../events/envelope.ts';
import { exampleEvent } from '../../events/examples.ts';
import { appliedKey } from '../../shared/domain/applied-events.ts';
import type { Fault } from './fault-plan.ts';

/**
 * One generated history: events from a few devices, how the producer put them on the stream (resends, a PutRecords
 * put again after its answer was lost), how Lambda delivered them (batch sizes, stale redeliveries, shards) and what
 * went wrong on the way (crashes after any call, throttling past the SDK's retries, SNS down and back).
 */
export interface HistorySpec {
  shards: number;
  events: { source: number; type: HarnessType; minute: number; late: boolean }[];
  /** Event indexes the producer sends again, appended later (any distance apart). */
  resends: number[];
  /** A slice of the put sequence put a second time (a PutRecords whose answer was lost). */
  lostAnswer: { from: number; length: number } | undefined;
  batchSizes: number[];
  /** After each committed batch, maybe an earlier slice again: [chance 0–3 of 4, start, length]. */
  staleRedeliveries: [number, number, number][];
  /** How many more times each committed batch is delivered at once (0–9: up to ten deliveries in all). */
  repeats: number[];
  rulesFaults: Fault[];
  notifyFaults: Fault[];
  /** Notification rounds (30 s of the clock each) during which SNS fails every call. */
  snsDownRounds: number;
}

export const HARNESS_TYPES = ['camera.intrusion', 'camera.crowd', 'patrol.sos', 'cafe.minor_admitted'] as const;
export type HarnessType = (typeof HARNESS_TYPES)[number];

/** 02:00 Shanghai on the night of the histories; events fall in the 150 minutes after it, across many windows. */
export const NIGHT_START = Date.parse('2026-11-25T02:00:00+08:00');

const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' } as const) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 14 }).map((afterCall) => ({ kind: 'crash', afterCall }) as const) },
  {
    weight: 2,
    arbitrary: fc
      .record({ fromCall: fc.integer({ min: 1, max: 6 }), calls: fc.integer({ min: 1, max: 4 }) })
      .map((t) => ({ kind: 'throttle', ...t }) as const),
  },
);

/** Histories of up to `maxEvents` events on 1–4 shards. */
export function historyArbitrary(maxEvents = 40): fc.Arbitrary<HistorySpec> {
  return fc.record({
    shards: fc.integer({ min: 1, max: 4 }),
    events: fc.array(
      fc.record({
        source: fc.integer({ min: 0, max: 3 }),
        type: fc.constantFrom(...HARNESS_TYPES),
        // Devices that backfill after a reconnect send events out of order, across window boundaries.
        minute: fc.integer({ min: 0, max: 150 }),
        late: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
      }),
      { minLength: 1, maxLength: maxEvents },
    ),
    resends: fc.array(fc.nat(), { maxLength: 12 }),
    lostAnswer: fc.option(fc.record({ from: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }), { nil: undefined }),
    batchSizes: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 8 }),
    staleRedeliveries: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.integer({ min: 1, max: 10 })), {
      maxLength: 8,
    }),
    repeats: fc.array(
      fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) }),
      {
        minLength: 1,
        maxLength: 6,
      },
    ),
    rulesFaults: fc.array(fault, { maxLength: 16 }),
    notifyFaults: fc.array(fault, { maxLength: 24 }),
    snsDownRounds: fc.integer({ min: 0, max: 6 }),
  });
}

const KINDS = {
  'camera.intrusion': 'camera',
  'camera.crowd': 'camera',
  'patrol.sos': 'patrol_app',
  'cafe.minor_admitted': 'cafe_system',
} as const;

/** The events of a history as integrations send them: ids and sources unique to the history. */
export function historyEvents(spec: HistorySpec, name: string): SanwangEventInput[] {
  return spec.events.map((e, i) => {
    const occurredMs = NIGHT_START + e.minute * 60_000 + i * 1000;
    // On time: received 2 s later. Late (迟报): two hours later.
    const receivedMs = occurredMs + (e.late ? 2 * 3_600_000 : 2000);
    return exampleEvent(e.type, {
      id: `${name}-e${i}`,
      occurredAt: new Date(occurredMs).toISOString(),
      receivedAt: new Date(receivedMs).toISOString(),
      source: { id: `${name}-src${e.source}`, kind: KINDS[e.type] },
    });
  });
}

/**
 * The put sequence: every event once in order, the resends appended, then the slice put again whole. Each entry is
 * one record on the stream.
 */
export function putSequence(spec: HistorySpec, events: readonly SanwangEventInput[]): SanwangEventInput[] {
  const puts = [...events, ...spec.resends.map((r) => events[r % events.length]!)];
  if (spec.lostAnswer) {
    const from = spec.lostAnswer.from % puts.length;
    puts.push(...puts.slice(from, from + spec.lostAnswer.length));
  }
  return puts;
}

/** The counts fixed in advance: every distinct event applied exactly once, by its key. */
export function expectedKeys(events: readonly SanwangEventInput[]): Set<string> {
  return new Set(events.map((e) => appliedKey(e.source.id, e.id)));
}
