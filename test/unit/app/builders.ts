import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { EventType, SanwangEvent, SanwangEventInput } from '../../../events/envelope.ts';
import { exampleEvent } from '../../../events/examples.ts';
import { parseEvent } from '../../../events/validation.ts';
import { evaluateEvent } from '../../../shared/domain/evaluate-event.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import {
  type IncidentChange,
  type IncidentView,
  planIncidents,
  type Sighting,
} from '../../../shared/domain/incident-plan.ts';
import { ALARM_RULES, indexRules } from '../../../shared/domain/rule-registry.ts';
import { planContext } from '../domain/incident-table.ts';

export const SHARD = 'shardId-000000000000';
export const TIME_ZONE = 'Asia/Shanghai';
export const RETENTION_DAYS = 180;
/** A few minutes after the example events (02:03 Shanghai): the fixed clock of every test here. */
export const NOW = new Date('2026-11-24T18:10:00.000Z');

const STREAM_ARN = 'arn:aws-cn:kinesis:cn-north-1:123456789012:stream/sanwang-events';
const TABLE_STREAM_ARN = 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/sanwang/stream/2026-11-01T00:00:00.000';
const ARRIVAL_SECONDS = Date.parse('2026-11-24T18:03:01.000Z') / 1000;
// Kinesis sequence numbers are 56-digit decimals; each record here is one step above the previous one.
const KINESIS_SEQ_BASE = 49_657_113_893_105_326_017_440_524_165_931_548_837_622_101_472_509_018_112n;

/** The `n`th Kinesis sequence number of a shard (n ≥ 1): 56 digits, increasing with n. */
export function kinesisSeq(n: number): string {
  return (KINESIS_SEQ_BASE + BigInt(n) * 100_000_000n).toString();
}

/** An event with `occurredAt` `offsetSeconds` after 02:00 Shanghai (18:00 UTC the day before). */
export function eventAt<T extends EventType>(
  type: T,
  offsetSeconds: number,
  overrides: Parameters<typeof exampleEvent<T>>[1] = {},
): Extract<SanwangEventInput, { type: T }> {
  const occurredMs = Date.parse('2026-11-25T02:00:00+08:00') + offsetSeconds * 1000;
  const occurredAt = new Date(occurredMs).toISOString();
  // Received a second after it happened, as a device on time is.
  const receivedAt = new Date(occurredMs + 1000).toISOString();
  return exampleEvent(type, { occurredAt, receivedAt, ...overrides });
}

type RecordData = SanwangEventInput | Record<string, unknown> | string | Uint8Array;

/** One Kinesis record as Lambda delivers it: `data` is base64 of the JSON (or of the given text or bytes). */
export function kinesisRecord(
  data: RecordData,
  seq: number,
  options: { shardId?: string; partitionKey?: string } = {},
): KinesisStreamRecord {
  const bytes =
    data instanceof Uint8Array
      ? Buffer.from(data)
      : Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
  const shardId = options.shardId ?? SHARD;
  const sequenceNumber = kinesisSeq(seq);
  const source =
    typeof data === 'object' && !(data instanceof Uint8Array)
      ? (data as { source?: { id?: string } }).source
      : undefined;
  return {
    awsRegion: 'cn-north-1',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: STREAM_ARN,
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws-cn:iam::123456789012:role/sanwang-rules',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: options.partitionKey ?? source?.id ?? 'unknown-device',
      sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: ARRIVAL_SECONDS + seq / 1000,
    },
  };
}

/** Records numbered `from`, `from + 1`, … in the order given. */
export function kinesisRecords(
  items: readonly RecordData[],
  options: { from?: number; shardId?: string } = {},
): KinesisStreamRecord[] {
  const from = options.from ?? 1;
  return items.map((item, i) => kinesisRecord(item, from + i, options.shardId ? { shardId: options.shardId } : {}));
}

export function kinesisEvent(records: readonly KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: [...records] };
}

const byType = indexRules(ALARM_RULES);

/** The sighting one event makes under the registry's first matching rule, at stream position `seq`. */
export function sightingOf(input: SanwangEventInput, seq: number, shardId = SHARD): Sighting {
  const parsed = parseEvent(input);
  if (!parsed.ok) throw new Error(`invalid test event: ${JSON.stringify(parsed.issues)}`);
  const event = parsed.event as SanwangEvent;
  const match = evaluateEvent(byType, event, { timeZone: TIME_ZONE }).find((o) => o.status === 'match');
  if (match?.status !== 'match') throw new Error(`${event.type} matches no rule`);
  return { event, match, shardId, sequenceNumber: kinesisSeq(seq) };
}

/** The one change the planner makes for `events` (numbered from `from`) on top of `stored`. */
export function plannedChange(
  events: readonly SanwangEventInput[],
  options: { stored?: IncidentView; from?: number } = {},
): IncidentChange {
  const from = options.from ?? 1;
  const plan = planIncidents(
    events.map((e, i) => sightingOf(e, from + i)),
    options.stored ?? { incidents: new Map(), claims: new Map(), pages: new Map() },
    { ...planContext(NOW), incidentRetentionDays: RETENTION_DAYS },
  );
  const [change, ...rest] = plan.changes;
  if (!change || rest.length > 0) throw new Error(`expected one change, got ${plan.changes.length}`);
  return change;
}

// DynamoDB stream sequence numbers are shorter (21+ digits) than Kinesis ones.
const TABLE_SEQ_BASE = 7_310_500_000_000_012_345_600n;

export function tableSeq(n: number): string {
  return (TABLE_SEQ_BASE + BigInt(n)).toString();
}

/** A table-stream record carrying the incident item's new image, as the notify function receives it. */
export function incidentStreamRecord(
  incident: Incident,
  seq: number,
  options: { eventName?: 'INSERT' | 'MODIFY'; extra?: Record<string, unknown>; sk?: string } = {},
): DynamoDBRecord {
  const pk = `INC#${incident.id}`;
  const sk = options.sk ?? 'INCIDENT';
  const image = marshall({ pk, sk, ...incident, ...options.extra }, { removeUndefinedValues: true });
  return {
    awsRegion: 'cn-north-1',
    eventID: `${seq.toString(16).padStart(8, '0')}c4ca4238a0b923820dcc509a6f75`,
    eventName: options.eventName ?? 'INSERT',
    eventSource: 'aws:dynamodb',
    eventSourceARN: TABLE_STREAM_ARN,
    eventVersion: '1.1',
    dynamodb: {
      ApproximateCreationDateTime: NOW.getTime() / 1000,
      Keys: { pk: { S: pk }, sk: { S: sk } },
      NewImage: image as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
      SequenceNumber: tableSeq(seq),
      SizeBytes: 1200,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export function streamEvent(records: readonly DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: [...records] };
}
