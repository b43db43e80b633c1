import type { EventType, SanwangEvent } from '../../../events/envelope.ts';
import { exampleEvent } from '../../../events/examples.ts';
import { parseEvent } from '../../../events/validation.ts';
import { evaluateEvent } from '../../../shared/domain/evaluate-event.ts';
import type { Sighting } from '../../../shared/domain/incident-plan.ts';
import { ALARM_RULES, indexRules } from '../../../shared/domain/rule-registry.ts';

const byType = indexRules(ALARM_RULES);
export const SHARD = 'shardId-000000000000';

/** Kinesis-like sequence numbers: long decimal strings that only compare correctly as numbers. */
export function sequenceNumber(n: number): string {
  return `4962${String(n).padStart(52, '0')}`;
}

/** Sightings of `type` events, one per offset (seconds after 02:00 Shanghai), numbered from `firstSeq`. */
export function sightings<T extends EventType>(
  type: T,
  offsetsSeconds: number[],
  options: { firstSeq?: number; idPrefix?: string; overrides?: Parameters<typeof exampleEvent<T>>[1] } = {},
): Sighting[] {
  return offsetsSeconds.map((offset, i) => {
    const occurredMs = Date.parse('2026-11-25T02:00:00+08:00') + offset * 1000;
    const raw = exampleEvent(type, {
      id: `${options.idPrefix ?? 'ev'}-${i}`,
      occurredAt: new Date(occurredMs).toISOString(),
      // Received a second later unless a test says otherwise: on time.
      receivedAt: new Date(occurredMs + 1000).toISOString(),
      ...options.overrides,
    });
    const parsed = parseEvent(raw);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const event = parsed.event as SanwangEvent;
    const outcome = evaluateEvent(byType, event, { timeZone: 'Asia/Shanghai' }).find((o) => o.status === 'match');
    if (outcome?.status !== 'match') throw new Error(`${type} example does not match a rule`);
    return { event, match: outcome, shardId: SHARD, sequenceNumber: sequenceNumber((options.firstSeq ?? 1) + i) };
  });
}
