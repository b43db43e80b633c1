import type { KinesisStreamEvent } from 'aws-lambda';
import type { SanwangEventInput } from '../events/envelope.ts';
import { EVENT_TYPES } from '../events/envelope.ts';
import { exampleEvent } from '../events/examples.ts';
import { ALARM_RULES, indexRules } from '../shared/domain/rule-registry.ts';

const SHARD = 'shardId-000000000000';
const BASE = Date.parse('2026-11-25T02:00:00+08:00');

/** A Kinesis event as Lambda delivers it, from canonical events in order. */
export function kinesisEvent(events: readonly SanwangEventInput[], firstSeq = 1): KinesisStreamEvent {
  return {
    Records: events.map((event, i) => {
      const sequenceNumber = `4962${String(firstSeq + i).padStart(52, '0')}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: event.source.id,
          sequenceNumber,
          data: Buffer.from(JSON.stringify(event)).toString('base64'),
          approximateArrivalTimestamp: BASE / 1000 + i / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${SHARD}:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: 'cn-north-1',
        eventSourceARN: 'arn:aws:kinesis:cn-north-1:000000000000:stream/bench',
      };
    }),
  };
}

/** 1,000 intrusion alarms from one camera within minutes: one incident. */
export function stormEvents(n = 1000): SanwangEventInput[] {
  return Array.from({ length: n }, (_, i) =>
    exampleEvent('camera.intrusion', {
      id: `storm-${i}`,
      occurredAt: new Date(BASE + i * 200).toISOString(),
      receivedAt: new Date(BASE + i * 200 + 1000).toISOString(),
    }),
  );
}

/** 1,000 events of every alarm type from 1,000 different sources: as many incidents. */
export function distinctEvents(n = 1000): SanwangEventInput[] {
  const withRules = indexRules(ALARM_RULES);
  const types = EVENT_TYPES.filter((t) => withRules.has(t));
  return Array.from({ length: n }, (_, i) => {
    const type = types[i % types.length]!;
    const example = exampleEvent(type);
    return exampleEvent(type, {
      id: `distinct-${i}`,
      occurredAt: new Date(BASE + i * 1000).toISOString(),
      receivedAt: new Date(BASE + i * 1000 + 1000).toISOString(),
      source: { ...example.source, id: `src-${i}` },
      // Patrol and opinion rules group by tour or topic: vary the payload keys too.
      ...(type === 'patrol.checkpoint_missed'
        ? { payload: { ...(example.payload as object), checkpointId: `CP-${i}` } as never }
        : type === 'opinion.post_flagged'
          ? { payload: { ...(example.payload as object), topic: `topic-${i}` } as never }
          : type === 'patrol.sos'
            ? { payload: { kind: 'sos', officer: { badge: `B${i}` } } as never }
            : {}),
    });
  });
}

/** A storm that goes on for 40 minutes, across the 02:30 boundary: 5,000 alarms in batches of 500. */
export function longStormBatches(n = 5000, perBatch = 500): KinesisStreamEvent[] {
  const events = Array.from({ length: n }, (_, i) => {
    const at = BASE + Math.floor((i * 40 * 60_000) / n);
    return exampleEvent('camera.intrusion', {
      id: `long-${i}`,
      occurredAt: new Date(at).toISOString(),
      receivedAt: new Date(at + 1000).toISOString(),
      source: { id: 'cam-long-storm', kind: 'camera' },
    });
  });
  const batches: KinesisStreamEvent[] = [];
  for (let i = 0; i < n; i += perBatch) batches.push(kinesisEvent(events.slice(i, i + perBatch), i + 1));
  return batches;
}
