import { createHash, randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { PENDING_ALERT_PARTITION, tableDesign } from '../shared/table-design.ts';
import type { FunctionInvoker } from './function-invoker.ts';
import { type BatchFailure, PollingSource, sourceFunction } from './polling-source.ts';
import { type LocalLogger, runBatch, type StreamHandler, type StreamRetryPolicy } from './stream-batch.ts';
import { sleep } from './wait.ts';

/** A batch handed to the on-failure destination: Lambda's DDBStreamBatchInfo, plus the records. */
/** A failed batch as an SQS on-failure destination describes it (here with the records too). */
export type TableStreamFailure = BatchFailure<DynamoDBRecord>;

const streamFacts = {
  sequenceNumber: (r: DynamoDBRecord) => r.dynamodb?.SequenceNumber ?? '',
  arrivalSeconds: (r: DynamoDBRecord) => r.dynamodb?.ApproximateCreationDateTime ?? 0,
};

/** The table stream → handler mapping, with Lambda's batching and error-handling settings. */
export interface TableStreamSourceOptions extends StreamRetryPolicy {
  dynamodb: DynamoDBClient;
  tableName: string;
  /** The function, run as Lambda runs it (lambda-function.ts); or `handler`, run in this thread. */
  function?: FunctionInvoker;
  handler?: StreamHandler<DynamoDBStreamEvent>;
  /** Default `<tableName>-stream-consumer`. */
  functionName?: string;
  /** Timeout of an in-process `handler`: past it the invocation fails and is retried. Default 60 s. */
  functionTimeoutMs?: number;
  /** Default 10. */
  batchSize?: number;
  /**
   * Attributes that change each time an item's alert becomes due again (a new alert, a sweep's re-drive); an item
   * is delivered once per combination of their values. Items with none are delivered once per content. Default
   * ['alertSeq', 'alertWakes'].
   */
  versionAttributes?: readonly string[];
  /** Pause after a poll that found nothing new. Default 250: Lambda polls a table stream's shards 4 times a second. */
  pollIntervalMs?: number;
  onFailure?: (failure: TableStreamFailure) => void | Promise<void>;
  now?: () => number;
  logger?: LocalLogger;
}

const SHARD_ID = 'shardId-00000000000000000000-local0001';

/** A stream record with the item identity and version it delivers. */
interface PendingRecord {
  record: DynamoDBRecord;
  key: string;
  version: string;
}

/**
 * Plays the table stream → notify mapping, which dynalite lacks: it polls the sparse pending-alerts index and
 * delivers each pending item as a NEW_IMAGE stream record, once per version, with the same batch, retry and
 * on-failure rules as Lambda. Items that leave the index are forgotten; a later version is delivered again.
 * Not modelled: REMOVE events, old images, and changes to items outside the index.
 */
export class TableStreamSource extends PollingSource {
  private readonly options: TableStreamSourceOptions;
  /** Item key → version delivered while it was pending; null once it left the index. */
  private readonly delivered = new Map<string, string | null>();
  private streamArn = '';
  private fn?: FunctionInvoker;
  private sequence = 0n;
  private caughtUpAtPoll = -1;

  constructor(options: TableStreamSourceOptions) {
    super(options, `table stream source for ${options.tableName}`);
    this.options = options;
  }

  /** Checks the table has the pending-alerts index to poll. */
  protected async prepare(): Promise<void> {
    const { Table } = await this.options.dynamodb.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    const indexName = tableDesign.indexes.pendingAlerts.name;
    if (!Table?.GlobalSecondaryIndexes?.some((i) => i.IndexName === indexName)) {
      throw new Error(`table ${this.options.tableName} has no ${indexName} index to poll`);
    }
    if (!this.streamArn) {
      const label = new Date(this.now()).toISOString().replace('Z', '');
      this.streamArn = `${Table.TableArn}/stream/${label}`;
    }
    const functionName =
      this.options.function?.functionName ?? this.options.functionName ?? `${this.options.tableName}-stream-consumer`;
    this.fn ??= sourceFunction(this.options, functionName, this.streamArn.split(':')[3], this.now);
  }

  protected run(signal: AbortSignal): Promise<void> {
    return this.pollTable(signal);
  }

  protected caughtUpSince(poll: number): boolean {
    return this.caughtUpAtPoll > poll;
  }

  private async pollTable(signal: AbortSignal): Promise<void> {
    const label = `table stream source ${this.options.tableName}`;
    while (!signal.aborted) {
      this.polls += 1;
      const poll = this.polls;
      let due: PendingRecord[];
      try {
        due = await this.pendingRecords();
      } catch (error) {
        this.counters.lastError = `${label}: ${String(error)}`;
        this.logger.warn(`${label}: ${String(error)}`);
        await sleep(this.policy.retryBackoffMs, signal);
        continue;
      }
      if (due.length === 0) {
        this.caughtUpAtPoll = poll;
        await this.idle(this.options.pollIntervalMs ?? 250, signal);
        continue;
      }
      await runBatch(due, {
        label,
        policy: this.policy,
        itemId: (r) => r.record.dynamodb?.SequenceNumber ?? '',
        arrivalMs: (r) => (r.record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000,
        invoke: (pending) => this.invoke(pending.map((r) => r.record)),
        commit: (pending) => {
          for (const { key, version } of pending) this.delivered.set(key, version);
        },
        discard: (pending, reason, invokeCount, lastError) =>
          this.discard(
            {
              shardId: SHARD_ID,
              streamArn: this.streamArn,
              records: pending.map((r) => r.record),
              reason,
              invokeCount,
              lastError,
            },
            streamFacts,
            this.options.onFailure,
          ),
        now: this.now,
        stats: this.counters,
        logger: this.logger,
        signal,
      });
    }
  }

  /** The next batch: pending items whose current version has not been delivered, in index order. */
  private async pendingRecords(): Promise<PendingRecord[]> {
    const items = await this.queryPending();
    const pendingKeys = new Set(items.map((item) => itemKey(item)));
    for (const [key, version] of this.delivered) {
      if (version !== null && !pendingKeys.has(key)) this.delivered.set(key, null);
    }
    const versionAttributes = this.options.versionAttributes ?? ['alertSeq', 'alertWakes'];
    const batchSize = this.options.batchSize ?? 10;
    const due: PendingRecord[] = [];
    for (const item of items) {
      const key = itemKey(item);
      const version = itemVersion(item, versionAttributes);
      if (this.delivered.get(key) === version) continue;
      due.push({ key, version, record: this.toStreamRecord(item, this.delivered.has(key) ? 'MODIFY' : 'INSERT') });
      if (due.length === batchSize) break;
    }
    return due;
  }

  private async queryPending(): Promise<Record<string, AttributeValue>[]> {
    const index = tableDesign.indexes.pendingAlerts;
    const items: Record<string, AttributeValue>[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.options.dynamodb.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pending',
          ExpressionAttributeNames: { '#pk': index.partitionKey },
          ExpressionAttributeValues: { ':pending': { S: PENDING_ALERT_PARTITION } },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private toStreamRecord(item: Record<string, AttributeValue>, eventName: 'INSERT' | 'MODIFY'): DynamoDBRecord {
    this.sequence += 1n;
    // The low-level client already returns AttributeValues, as a stream does: no re-marshalling, only the JSON
    // wire form (binary as base64) that Lambda receives.
    const newImage = toWireImage(item);
    const { partitionKey, sortKey } = tableDesign;
    return {
      eventID: randomUUID().replaceAll('-', ''),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.streamArn.split(':')[3] ?? '',
      eventSourceARN: this.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(this.now() / 1000),
        Keys: { [partitionKey]: newImage[partitionKey]!, [sortKey]: newImage[sortKey]! },
        NewImage: newImage,
        SequenceNumber: this.sequence.toString().padStart(21, '0'),
        SizeBytes: Buffer.byteLength(JSON.stringify(newImage)),
        StreamViewType: 'NEW_IMAGE',
      },
    };
  }

  private invoke(records: DynamoDBRecord[]): Promise<unknown> {
    // The invoker hands the function its own copy: a handler that mutates its event cannot change a retry.
    return (this.fn as FunctionInvoker).invoke({ Records: records });
  }
}

function itemKey(item: Record<string, AttributeValue>): string {
  return JSON.stringify([item[tableDesign.partitionKey]?.S, item[tableDesign.sortKey]?.S]);
}

function itemVersion(item: Record<string, AttributeValue>, versionAttributes: readonly string[]): string {
  const markers = versionAttributes.map((name) => item[name]);
  if (markers.some((m) => m !== undefined)) {
    return `attribute:${JSON.stringify(markers.map((m) => (m ? toWireValue(m) : null)))}`;
  }
  const content = Object.entries(toWireImage(item)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `content:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}

function toWireImage(item: Record<string, AttributeValue>): Record<string, StreamAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toWireValue(value)]));
}

function toWireValue(value: AttributeValue): StreamAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toWireValue) };
  if (value.M !== undefined) return { M: toWireImage(value.M) };
  return value as StreamAttributeValue;
}
