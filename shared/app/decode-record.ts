import type { KinesisStreamRecord } from 'aws-lambda';
import type { SanwangEvent } from '../../events/envelope.ts';
import { describeJsonError } from '../../events/json-error.ts';
import { formatIssues, parseEvent } from '../../events/validation.ts';
import { pseudonymizeIds } from '../domain/event-admission.ts';
import { type EventTimePolicy, occurredAtIssue } from '../domain/event-time.ts';
import { scrubText } from '../domain/personal-data-masking.ts';
import { maskedRaw, type PoisonRecord } from '../domain/poison-record.ts';

export type DecodedRecord =
  | { ok: true; event: SanwangEvent; shardId: string; sequenceNumber: string }
  | { ok: false; poison: PoisonRecord };

/** Lambda's Kinesis eventID is `shardId-000000000000:<sequence number>`. */
export function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.lastIndexOf(':');
  return colon > 0 ? record.eventID.slice(0, colon) : 'shard-unknown';
}

/**
 * base64 → UTF-8 → JSON → envelope v1 → a time sanwang can record; anything that fails is poison with a reason
 * naming the field. Producers that write straight to the stream skip the ingest's checks, so they are made here.
 */
export function decodeRecord(
  record: KinesisStreamRecord,
  time: Pick<EventTimePolicy, 'maxSkewMs' | 'retentionMs'>,
): DecodedRecord {
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the bytes; the scanner's names the place without them.
    return poisonOf(record, bytes, `not JSON: ${describeJsonError(text)}`);
  }
  // Producers that write straight to the stream skip the door: ids holding personal data are pseudonymized here,
  // the same way the ingest does it, so the same event gets the same id on either path.
  const parsed = parseEvent(pseudonymizeIds(json));
  if (!parsed.ok) return poisonOf(record, bytes, formatIssues(parsed.issues));
  const timeIssue = occurredAtIssue(Date.parse(parsed.event.occurredAt), Date.parse(parsed.event.receivedAt), time);
  if (timeIssue) return poisonOf(record, bytes, formatIssues([timeIssue]));
  return { ok: true, event: parsed.event, shardId: shardIdOf(record), sequenceNumber: record.kinesis.sequenceNumber };
}

function poisonOf(record: KinesisStreamRecord, bytes: Buffer, reason: string): DecodedRecord {
  const { kinesis } = record;
  return {
    ok: false,
    poison: {
      shardId: shardIdOf(record),
      sequenceNumber: kinesis.sequenceNumber,
      partitionKey: kinesis.partitionKey,
      arrivedAt: new Date(kinesis.approximateArrivalTimestamp * 1000).toISOString(),
      reason: scrubText(reason),
      ...maskedRaw(bytes),
    },
  };
}
