import { randomUUID } from 'node:crypto';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalAwsClients, LOCAL_REGION, type LocalAwsClients } from '../../local/aws-clients.ts';
import {
  type KinesisBatchFailure,
  KinesisEventSource,
  type KinesisEventSourceOptions,
} from '../../local/kinesis-event-source.ts';
import { ensureStream, ensureTable } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import {
  type TableStreamFailure,
  TableStreamSource,
  type TableStreamSourceOptions,
} from '../../local/table-stream-source.ts';
import { PENDING_ALERT_PARTITION } from '../../shared/table-design.ts';

let servers: LocalServers;
let clients: LocalAwsClients;
const running: Array<{ stop(): Promise<void> }> = [];
const quiet = { warn: () => {} };
const fast = { pollIntervalMs: 5, retryBackoffMs: 2, maxRetryBackoffMs: 10, logger: quiet };

beforeAll(async () => {
  // Node 20 is supported; the SDK's notice about Node 22 would only clutter the test output.
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  servers = await startLocalServers();
  clients = createLocalAwsClients(servers.endpoints);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((source) => source.stop()));
});

afterAll(async () => {
  clients?.destroy();
  await servers?.stop();
});

interface Reading {
  device: string;
  n: number;
}

/** A fresh stream per test, so tests never see each other's records. */
async function newStream(shardCount = 1): Promise<string> {
  const name = `events-${randomUUID().slice(0, 8)}`;
  await ensureStream(clients, name, shardCount);
  return name;
}

async function put(streamName: string, readings: Reading[]): Promise<void> {
  const result = await clients.kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: readings.map((r) => ({ PartitionKey: r.device, Data: Buffer.from(JSON.stringify(r)) })),
    }),
  );
  expect(result.FailedRecordCount).toBe(0);
}

function reading(record: KinesisStreamRecord): Reading {
  return JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as Reading;
}

function readings(device: string, count: number): Reading[] {
  return Array.from({ length: count }, (_, n) => ({ device, n }));
}

/** Starts a Kinesis source whose handler records every event it receives. */
async function kinesisSource(
  streamName: string,
  handle: (event: KinesisStreamEvent, call: number) => unknown,
  options: Partial<KinesisEventSourceOptions> = {},
) {
  const events: KinesisStreamEvent[] = [];
  const failures: KinesisBatchFailure[] = [];
  const source = new KinesisEventSource({
    kinesis: clients.kinesis,
    streamName,
    handler: async (event) => {
      events.push(event);
      return handle(event, events.length);
    },
    onFailure: (failure) => {
      failures.push(failure);
    },
    ...fast,
    ...options,
  });
  await source.start();
  running.push(source);
  const calls = () => events.map((e) => e.Records.map((r) => reading(r).n));
  return { source, events, failures, calls };
}

const failItem = (record: KinesisStreamRecord | undefined): KinesisStreamBatchResponse => ({
  batchItemFailures: [{ itemIdentifier: record?.kinesis.sequenceNumber ?? 'missing' }],
});

describe('KinesisEventSource', () => {
  it('delivers every record once, in order per shard, as real Kinesis events', async () => {
    const streamName = await newStream(2);
    const { source, events } = await kinesisSource(streamName, () => undefined, { batchSize: 5 });
    const devices = ['cam-1', 'cam-2', 'cam-3', 'cam-4', 'cam-5', 'cam-6'];
    for (let n = 0; n < 8; n += 1)
      await put(
        streamName,
        devices.map((device) => ({ device, n })),
      );

    await source.drain();

    const records = events.flatMap((e) => e.Records);
    expect(records).toHaveLength(48);
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(5);
    for (const device of devices) {
      expect(
        records
          .map(reading)
          .filter((r) => r.device === device)
          .map((r) => r.n),
      ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
    const shards = new Set(records.map((r) => r.eventID.split(':')[0]));
    expect(shards.size).toBe(2);
    for (const shard of shards) {
      const sequence = records
        .filter((r) => r.eventID.startsWith(`${shard}:`))
        .map((r) => BigInt(r.kinesis.sequenceNumber));
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    for (const event of events) {
      expect(new Set(event.Records.map((r) => r.eventID.split(':')[0])).size).toBe(1);
    }
    const [first] = records;
    expect(first).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      awsRegion: LOCAL_REGION,
      eventSourceARN: `arn:aws:kinesis:${LOCAL_REGION}:000000000000:stream/${streamName}`,
      invokeIdentityArn: `arn:aws:iam::000000000000:role/${streamName}-consumer-role`,
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: reading(first!).device },
    });
    expect(first?.eventID).toBe(`${first?.eventID.split(':')[0]}:${first?.kinesis.sequenceNumber}`);
    expect(Math.abs(first!.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(source.stats).toMatchObject({ batches: events.length, records: 48, retries: 0 });
  });

  it('redelivers from the lowest failed record of a partial batch response, and nothing before it', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 10));
    const { source, calls, failures } = await kinesisSource(streamName, (event, call) =>
      call === 1 ? { batchItemFailures: [6, 3].map((i) => failItem(event.Records[i]).batchItemFailures[0]) } : {},
    );

    await source.drain();

    expect(calls()).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [3, 4, 5, 6, 7, 8, 9],
    ]);
    expect(failures).toEqual([]);
    expect(source.stats).toMatchObject({ batches: 2, records: 17, retries: 1 });
  });

  it('delivers the whole batch again after the handler throws', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 5));
    const { source, calls } = await kinesisSource(streamName, (_event, call) => {
      if (call === 1) throw new Error('DynamoDB unavailable');
    });

    await source.drain();

    expect(calls()).toEqual([
      [0, 1, 2, 3, 4],
      [0, 1, 2, 3, 4],
    ]);
    expect(source.stats.lastError).toContain('DynamoDB unavailable');
  });

  it('fails an invocation that runs past the function timeout and delivers the batch again', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 3));
    // In this thread the overrun cannot be stopped (lambda-function.ts stops it in a worker); it is abandoned.
    const { source, calls } = await kinesisSource(
      streamName,
      (_event, call) => (call === 1 ? new Promise(() => {}) : undefined),
      { functionTimeoutMs: 200 },
    );

    await source.drain();

    expect(calls()).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(source.stats.lastError).toContain('Sandbox.Timedout: events-');
    expect(source.stats.lastError).toContain('Task timed out after 0.20 seconds');
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['an unknown itemIdentifier', { batchItemFailures: [{ itemIdentifier: '4960000000000000' }] }],
    ['a failure without itemIdentifier', { batchItemFailures: [{ sequenceNumber: '1' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: 'all' }],
  ])('treats %s as a failure of the whole batch', async (_case, response) => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 4));
    const { source, calls } = await kinesisSource(streamName, (_event, call) => (call === 1 ? response : undefined));

    await source.drain();

    expect(calls()).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('sends the batch and its records to onFailure when retries run out, then moves on', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 3));
    const { source, calls, failures, events } = await kinesisSource(
      streamName,
      (event) => {
        if (event.Records.some((r) => reading(r).n === 1)) throw new Error('poison reading');
      },
      { maxRetryAttempts: 2 },
    );

    await source.drain();
    await put(streamName, [{ device: 'cam-1', n: 3 }]);
    await source.drain();

    expect(calls()).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2], [3]]);
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    const batch = events[0]!.Records;
    expect(failure).toMatchObject({
      reason: 'RetryAttemptsExhausted',
      shardId: 'shardId-000000000000',
      startSequenceNumber: batch[0]?.kinesis.sequenceNumber,
      endSequenceNumber: batch[2]?.kinesis.sequenceNumber,
      batchSize: 3,
      approximateInvokeCount: 3,
      streamArn: batch[0]?.eventSourceARN,
      lastError: 'Error: poison reading',
    });
    expect(failure?.records).toEqual(batch);
    expect(source.stats).toMatchObject({ retries: 2, failuresSentToDestination: 1, recordsSentToDestination: 3 });
  });

  it('isolates a poison record by bisecting, without spending retries on the splits', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 4));
    const { source, calls, failures } = await kinesisSource(
      streamName,
      (event) => {
        if (event.Records.some((r) => reading(r).n === 2)) throw new Error('poison reading');
      },
      { maxRetryAttempts: 0, bisectBatchOnError: true },
    );

    await source.drain();

    expect(calls()).toEqual([[0, 1, 2, 3], [0, 1], [2, 3], [2], [3]]);
    expect(failures.map((f) => f.records.map((r) => reading(r).n))).toEqual([[2]]);
    expect(source.stats).toMatchObject({ bisections: 2, retries: 0, failuresSentToDestination: 1 });
  });

  it('sends records older than maxRecordAgeSeconds to onFailure without invoking the handler', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 2));
    const inAnHour = () => Date.now() + 3_600_000;
    const { source, events, failures } = await kinesisSource(streamName, () => undefined, {
      maxRecordAgeSeconds: 60,
      now: inAnHour,
    });

    await source.drain();

    expect(events).toEqual([]);
    expect(failures.map((f) => [f.reason, f.records.length, f.approximateInvokeCount])).toEqual([
      ['RecordAgeExceeded', 2, 0],
    ]);
  });

  it('starts after the existing records with LATEST', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 3));
    const { source, calls } = await kinesisSource(streamName, () => undefined, { startingPosition: 'LATEST' });

    await put(streamName, [{ device: 'cam-1', n: 3 }]);
    await source.drain();

    expect(calls()).toEqual([[3]]);
  });

  it('resumes after the last committed record when started again', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 3));
    const { source, calls } = await kinesisSource(streamName, () => undefined);
    await source.drain();
    await source.stop();

    await put(streamName, [{ device: 'cam-1', n: 3 }]);
    await source.start();
    await source.drain();

    expect(calls()).toEqual([[0, 1, 2], [3]]);
  });

  it('resumes from the failed record when stopped while a retry was pending', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 3));
    let firstCall: () => void = () => {};
    const called = new Promise<void>((resolve) => {
      firstCall = resolve;
    });
    const { source, calls } = await kinesisSource(
      streamName,
      (event, call) => {
        firstCall();
        return call === 1 ? failItem(event.Records[1]) : undefined;
      },
      { retryBackoffMs: 60_000, maxRetryBackoffMs: 60_000 },
    );
    await called;
    await source.stop();

    await source.start();
    await source.drain();

    expect(calls()).toEqual([
      [0, 1, 2],
      [1, 2],
    ]);
  });

  it('finishes the batch in flight on stop() and invokes nothing after it', async () => {
    const streamName = await newStream();
    await put(streamName, readings('cam-1', 2));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { source, calls } = await kinesisSource(streamName, async () => {
      started();
      await released;
      return { batchItemFailures: [{ itemIdentifier: '' }] };
    });
    await inFlight;

    let stopped = false;
    const stopping = source.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(calls()).toEqual([[0, 1]]);
    expect(source.running).toBe(false);
    await expect(source.drain()).rejects.toThrow('is not running');
  });
});

/** A fresh table per test: the pending-alerts index is one partition per table. */
async function newTable(): Promise<string> {
  const name = `incidents-${randomUUID().slice(0, 8)}`;
  await ensureTable(clients, name);
  return name;
}

async function putPending(tableName: string, id: string, alertSeq: number, extra: Record<string, unknown> = {}) {
  await clients.documents.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: `INCIDENT#${id}`,
        sk: 'META',
        gsi1pk: PENDING_ALERT_PARTITION,
        gsi1sk: `2025-10-01T08:00:00Z#${id}`,
        alertSeq,
        county: '140581',
        ...extra,
      },
    }),
  );
}

async function clearPending(tableName: string, record: DynamoDBRecord): Promise<void> {
  await clients.documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: record.dynamodb?.Keys?.pk?.S, sk: record.dynamodb?.Keys?.sk?.S },
      UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
    }),
  );
}

async function tableSource(
  tableName: string,
  handle: (event: DynamoDBStreamEvent, call: number) => unknown,
  options: Partial<TableStreamSourceOptions> = {},
) {
  const events: DynamoDBStreamEvent[] = [];
  const failures: TableStreamFailure[] = [];
  const source = new TableStreamSource({
    dynamodb: clients.dynamodb,
    tableName,
    handler: async (event) => {
      events.push(event);
      return handle(event, events.length);
    },
    onFailure: (failure) => {
      failures.push(failure);
    },
    ...fast,
    ...options,
  });
  await source.start();
  running.push(source);
  const calls = () => events.map((e) => e.Records.map((r) => r.dynamodb?.Keys?.pk?.S));
  return { source, events, failures, calls };
}

describe('TableStreamSource', () => {
  it('delivers a pending item once as a NEW_IMAGE record, and not again after it is cleared', async () => {
    const tableName = await newTable();
    await putPending(tableName, 'a', 1, { tags: ['night'], photo: new Uint8Array([1, 2, 3]) });
    const { source, events } = await tableSource(tableName, async (event) => {
      for (const record of event.Records) await clearPending(tableName, record);
    });

    await source.drain();
    await source.drain();

    expect(events).toHaveLength(1);
    const [record] = events[0]!.Records;
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: LOCAL_REGION,
      dynamodb: {
        Keys: { pk: { S: 'INCIDENT#a' }, sk: { S: 'META' } },
        NewImage: {
          pk: { S: 'INCIDENT#a' },
          gsi1pk: { S: PENDING_ALERT_PARTITION },
          alertSeq: { N: '1' },
          tags: { L: [{ S: 'night' }] },
          photo: { B: 'AQID' },
        },
        StreamViewType: 'NEW_IMAGE',
      },
    });
    expect(record?.eventSourceARN).toMatch(
      new RegExp(`^arn:aws:dynamodb:${LOCAL_REGION}:000000000000:table/${tableName}/stream/\\d{4}-`),
    );
    expect(record?.dynamodb?.SequenceNumber).toMatch(/^\d{21}$/);
  });

  it('delivers an item again as MODIFY when it becomes pending with a new alertSeq', async () => {
    const tableName = await newTable();
    await putPending(tableName, 'a', 1);
    const { source, events } = await tableSource(tableName, async (event) => {
      for (const record of event.Records) await clearPending(tableName, record);
    });
    await source.drain();

    await putPending(tableName, 'a', 2);
    await source.drain();

    expect(events.map((e) => e.Records.map((r) => [r.eventName, r.dynamodb?.NewImage?.alertSeq?.N]))).toEqual([
      [['INSERT', '1']],
      [['MODIFY', '2']],
    ]);
    const sequenceNumbers = events.map((e) => BigInt(e.Records[0]?.dynamodb?.SequenceNumber ?? '0'));
    expect(sequenceNumbers[1]! > sequenceNumbers[0]!).toBe(true);
  });

  it('does not redeliver an item the handler reported done but left pending', async () => {
    const tableName = await newTable();
    await putPending(tableName, 'a', 1);
    const { source, events } = await tableSource(tableName, () => ({ batchItemFailures: [] }));

    await source.drain();
    await source.drain();
    await source.drain();

    expect(events).toHaveLength(1);
  });

  it('batches pending items in index order and redelivers from the first failed sequence number', async () => {
    const tableName = await newTable();
    for (const id of ['a', 'b', 'c', 'd']) await putPending(tableName, id, 1);
    const { source, calls, events } = await tableSource(
      tableName,
      async (event, call) => {
        if (call === 1) return { batchItemFailures: [{ itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber }] };
        for (const record of event.Records) await clearPending(tableName, record);
        return { batchItemFailures: [] };
      },
      { batchSize: 3 },
    );

    await source.drain();

    expect(calls()).toEqual([['INCIDENT#a', 'INCIDENT#b', 'INCIDENT#c'], ['INCIDENT#b', 'INCIDENT#c'], ['INCIDENT#d']]);
    const sequence = (call: number, i: number) => events[call]?.Records[i]?.dynamodb?.SequenceNumber;
    expect([sequence(1, 0), sequence(1, 1)]).toEqual([sequence(0, 1), sequence(0, 2)]);
  });

  it('sends an item that keeps failing to onFailure and moves on to the others', async () => {
    const tableName = await newTable();
    await putPending(tableName, 'a', 1);
    await putPending(tableName, 'b', 1);
    const { source, calls, failures } = await tableSource(
      tableName,
      async (event) => {
        for (const record of event.Records) {
          if (record.dynamodb?.Keys?.pk?.S === 'INCIDENT#a') throw new Error('SNS unavailable');
          await clearPending(tableName, record);
        }
      },
      { batchSize: 1, maxRetryAttempts: 1 },
    );

    await source.drain();
    await source.drain();

    expect(calls()).toEqual([['INCIDENT#a'], ['INCIDENT#a'], ['INCIDENT#b']]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      reason: 'RetryAttemptsExhausted',
      batchSize: 1,
      approximateInvokeCount: 2,
      lastError: 'Error: SNS unavailable',
    });
    expect(failures[0]?.records.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(['INCIDENT#a']);
  });

  it('refuses to start on a table without the pending-alerts index', async () => {
    const source = new TableStreamSource({ dynamodb: clients.dynamodb, tableName: 'missing-table', handler: () => {} });

    await expect(source.start()).rejects.toThrow(/missing-table/);
  });
});
