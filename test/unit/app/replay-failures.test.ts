import { describe, expect, it } from 'vitest';
import type { PutOutcome, RawRecord, RecordStream } from '../../../shared/adapters/event-stream.ts';
import type { FailedBatchStore, FailureNotice, FailureQueue } from '../../../shared/adapters/failed-batches.ts';
import { recordsOf, replayNotifyFailures, replayRulesFailures } from '../../../shared/app/replay-failures.ts';
import { eventAt, kinesisRecords } from './builders.ts';

const records = kinesisRecords([
  eventAt('camera.intrusion', 0, { id: 'a' }),
  eventAt('camera.intrusion', 5, { id: 'b' }),
]);
/** What Lambda's S3 destination writes: metadata, and the invocation's event as a JSON string. */
const s3Document = {
  requestContext: { condition: 'RecordAgeExceeded', approximateInvokeCount: 12 },
  KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 2 },
  payload: JSON.stringify({ Records: records }),
};

class MemoryBatches implements FailedBatchStore {
  readonly label = 'memory';
  constructor(readonly docs: Map<string, unknown>) {}
  async list() {
    return [...this.docs.keys()];
  }
  async read(key: string) {
    return this.docs.get(key);
  }
  async remove(key: string) {
    this.docs.delete(key);
  }
}

class MemoryStream implements RecordStream {
  readonly put: RawRecord[] = [];
  failFirst = 0;
  async putRaw(rs: readonly RawRecord[]): Promise<PutOutcome[]> {
    return rs.map((r) => {
      if (this.failFirst-- > 0) return { id: r.id, ok: false, error: 'ProvisionedThroughputExceededException' };
      this.put.push(r);
      return { id: r.id, ok: true, sequenceNumber: String(this.put.length) };
    });
  }
}

describe('recordsOf', () => {
  it('reads the records of Lambda’s S3 failure documents, byte for byte with their partition keys', () => {
    const out = recordsOf(s3Document);
    expect(Array.isArray(out) && out.map((r) => [Buffer.from(r.data).toString('base64'), r.partitionKey])).toEqual(
      records.map((r) => [r.kinesis.data, r.kinesis.partitionKey]),
    );
  });

  it('reads local mode’s documents, and says why a metadata-only document holds nothing to replay', () => {
    expect(recordsOf({ records })).toHaveLength(2);
    expect(recordsOf({ KinesisBatchInfo: { shardId: 'x' } })).toMatch(/metadata only/);
    expect(recordsOf('text')).toBe('not a JSON object');
  });
});

describe('replayRulesFailures', () => {
  it('puts every record back and removes each document once all of it is back', async () => {
    const batches = new MemoryBatches(
      new Map<string, unknown>([
        ['b1.json', s3Document],
        ['b2.json', { records }],
        ['meta.json', { KinesisBatchInfo: {} }],
      ]),
    );
    const stream = new MemoryStream();

    const summary = await replayRulesFailures({ batches, stream });

    expect(summary).toMatchObject({ batches: 3, records: 4, replayed: 4, failed: 0 });
    expect(summary.unreadable).toEqual([{ key: 'meta.json', reason: expect.stringMatching(/metadata only/) }]);
    expect([...batches.docs.keys()]).toEqual(['meta.json']);
  });

  it('keeps a document whose records did not all go back, so the next run tries again', async () => {
    const batches = new MemoryBatches(new Map([['b1.json', s3Document]]));
    const stream = new MemoryStream();
    stream.failFirst = 1;

    expect(await replayRulesFailures({ batches, stream })).toMatchObject({ replayed: 1, failed: 1 });
    expect(batches.docs.size).toBe(1);
  });
});

describe('replayNotifyFailures', () => {
  it('sweeps every pending alert now and then drops the notices', async () => {
    const removed: FailureNotice[] = [];
    const queue: FailureQueue = {
      label: 'q',
      receive: async () => [{ receiptHandle: 'r1', body: '{}' }],
      remove: async (n) => {
        removed.push(...n);
      },
    };
    const sweep = { due: 0, ticked: 0, unchanged: 0, overdue: 3, redriven: 3, settled: 0, failed: 0 };

    expect(await replayNotifyFailures({ queue, sweepNow: async () => sweep })).toEqual({ notices: 1, sweep });
    expect(removed).toHaveLength(1);
  });
});
