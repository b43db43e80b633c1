import type { RawRecord, RecordStream } from '../adapters/event-stream.ts';
import type { FailedBatchStore, FailureQueue } from '../adapters/failed-batches.ts';
import type { SweepSummary } from './alert-sweeper.ts';

export interface RulesReplaySummary {
  batches: number;
  records: number;
  replayed: number;
  failed: number;
  /** Documents that hold no records to put back, with why (named by key; never their contents). */
  unreadable: { key: string; reason: string }[];
}

/**
 * The records of one failed-batch document: Lambda's S3 destination keeps the invocation's event (`payload`, a JSON
 * string or object with `Records`); local mode writes `records` directly. A document with only batch metadata
 * (SQS or SNS destinations) yields none.
 */
export function recordsOf(document: unknown): RawRecord[] | string {
  const doc = document as { payload?: unknown; records?: unknown; KinesisBatchInfo?: unknown } | null;
  if (!doc || typeof doc !== 'object') return 'not a JSON object';
  let payload = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return 'payload is not JSON';
    }
  }
  const list = (payload as { Records?: unknown } | undefined)?.Records ?? doc.records;
  if (!Array.isArray(list)) {
    return doc.KinesisBatchInfo
      ? 'batch metadata only, no records (read the stream range while it is kept)'
      : 'no records';
  }
  const records: RawRecord[] = [];
  for (const r of list as { kinesis?: { data?: unknown; partitionKey?: unknown; sequenceNumber?: unknown } }[]) {
    const k = r?.kinesis;
    if (typeof k?.data !== 'string' || typeof k.partitionKey !== 'string')
      return 'a record without data or partition key';
    records.push({
      id: String(k.sequenceNumber ?? records.length),
      data: Buffer.from(k.data, 'base64'),
      partitionKey: k.partitionKey,
    });
  }
  return records;
}

/**
 * Puts the records of every batch the rules mapping gave up on back on the stream, byte for byte under their own
 * partition keys, and removes each document once all of its records are back (unless `keep`). Safe to run any
 * number of times, at any time: incidents count every event exactly once, so a replayed record already applied
 * changes nothing.
 */
export async function replayRulesFailures(deps: {
  batches: FailedBatchStore;
  stream: RecordStream;
  keep?: boolean;
}): Promise<RulesReplaySummary> {
  const summary: RulesReplaySummary = { batches: 0, records: 0, replayed: 0, failed: 0, unreadable: [] };
  for (const key of await deps.batches.list()) {
    summary.batches++;
    let records: RawRecord[] | string;
    try {
      records = recordsOf(await deps.batches.read(key));
    } catch {
      records = 'not JSON';
    }
    if (typeof records === 'string') {
      summary.unreadable.push({ key, reason: records });
      continue;
    }
    summary.records += records.length;
    const outcomes = await deps.stream.putRaw(records);
    const failed = outcomes.filter((o) => !o.ok).length;
    summary.failed += failed;
    summary.replayed += outcomes.length - failed;
    if (failed === 0 && !deps.keep) await deps.batches.remove(key);
  }
  return summary;
}

export interface NotifyReplaySummary {
  notices: number;
  sweep: SweepSummary;
}

/**
 * The notify mapping's failure queue holds only batch metadata; the incidents themselves stay pending in the
 * table. So its replay is a sweep with no minimum age — every pending alert goes before the notifier now — after
 * which the notices are dropped.
 */
export async function replayNotifyFailures(deps: {
  queue: FailureQueue;
  sweepNow: () => Promise<SweepSummary>;
}): Promise<NotifyReplaySummary> {
  const notices = await deps.queue.receive();
  const sweep = await deps.sweepNow();
  if (sweep.failed === 0) await deps.queue.remove(notices);
  return { notices: notices.length, sweep };
}
