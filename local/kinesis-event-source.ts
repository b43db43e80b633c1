import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { FunctionInvoker } from './function-invoker.ts';
import { localRoleArn } from './lambda-context.ts';
import { type BatchFailure, PollingSource, sourceFunction } from './polling-source.ts';
import { type LocalLogger, runBatch, type StreamHandler, type StreamRetryPolicy } from './stream-batch.ts';
import { sleep } from './wait.ts';

/** A failed batch as an S3 on-failure destination keeps it. */
export type KinesisBatchFailure = BatchFailure<KinesisStreamRecord>;

const kinesisFacts = {
  sequenceNumber: (r: KinesisStreamRecord) => r.kinesis.sequenceNumber,
  arrivalSeconds: (r: KinesisStreamRecord) => r.kinesis.approximateArrivalTimestamp,
};

/** One Kinesis event source mapping: a stream, a handler and Lambda's batching and error-handling settings. */
export interface KinesisEventSourceOptions extends StreamRetryPolicy {
  kinesis: KinesisClient;
  streamName: string;
  /** The function, run as Lambda runs it (lambda-function.ts); or `handler`, run in this thread. */
  function?: FunctionInvoker;
  handler?: StreamHandler<KinesisStreamEvent>;
  /** Names the function in the context and in invokeIdentityArn. Default `<streamName>-consumer`. */
  functionName?: string;
  /** Timeout of an in-process `handler`: past it the invocation fails and is retried. Default 60 s. */
  functionTimeoutMs?: number;
  /** Default 100. */
  batchSize?: number;
  /** How long to gather records before invoking. Default 0. */
  maxBatchingWindowMs?: number;
  /** Default TRIM_HORIZON: a fresh local stream holds only this run's records. */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Pause after a poll that found nothing. Default 1000: Lambda reads each shard at a base rate of once a second. */
  pollIntervalMs?: number;
  /** Pause between reads while a batching window fills. Default 200 (Kinesis allows 5 reads a second per shard). */
  windowPollIntervalMs?: number;
  onFailure?: (failure: KinesisBatchFailure) => void | Promise<void>;
  /** Clock for record age and the context deadline. */
  now?: () => number;
  logger?: LocalLogger;
}

type Position = { type: 'TRIM_HORIZON' | 'LATEST' } | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

interface ShardReader {
  shardId: string;
  /** The checkpoint: where reading resumes. */
  position: Position;
  /** An iterator that reads from `position`, when one is at hand. */
  iterator?: { value: string; position: string };
  closed: boolean;
  /** Poll number of the latest poll that found the shard caught up. */
  caughtUpAtPoll: number;
}

/**
 * Plays Lambda's Kinesis event source mapping against kinesalite for one handler: shards are read in parallel,
 * each strictly in order, one batch at a time, with partial batch responses, retries, bisection and an on-failure
 * destination. Shards are listed once at start (no resharding).
 */
export class KinesisEventSource extends PollingSource {
  private readonly options: KinesisEventSourceOptions;
  private shards: ShardReader[] = [];
  private streamArn = '';
  private fn?: FunctionInvoker;

  constructor(options: KinesisEventSourceOptions) {
    super(options, `Kinesis source for ${options.streamName}`);
    this.options = options;
  }

  /**
   * Lists the shards and positions each one. Records put after start() resolves are delivered. After a stop(),
   * start() resumes each shard after its last committed record (GetShardIterator AFTER_SEQUENCE_NUMBER).
   */
  protected async prepare(): Promise<void> {
    const { kinesis, streamName } = this.options;
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    this.streamArn = summary.StreamDescriptionSummary?.StreamARN ?? '';
    this.fn ??= sourceFunction(this.options, this.functionName, this.streamArn.split(':')[3], this.now);
    const known = new Map(this.shards.map((s) => [s.shardId, s]));
    const startAt: Position = { type: this.options.startingPosition ?? 'TRIM_HORIZON' };
    this.shards = (await this.listShards()).map((shard) => {
      const reader = known.get(shard.ShardId ?? '');
      return reader ?? { shardId: shard.ShardId ?? '', position: startAt, closed: false, caughtUpAtPoll: -1 };
    });
    // Taking LATEST iterators now fixes "latest" at start(), as the mapping's creation does in AWS.
    await Promise.all(this.shards.map((shard) => this.iteratorFor(forgetStaleIterator(shard))));
  }

  protected run(): Promise<void> {
    return Promise.all(this.shards.map((shard) => this.pollShard(shard))).then(() => undefined);
  }

  protected caughtUpSince(poll: number): boolean {
    return this.shards.every((s) => s.closed || s.caughtUpAtPoll > poll);
  }

  protected override behind(poll: number): string {
    return this.shards
      .filter((s) => !s.closed && s.caughtUpAtPoll <= poll)
      .map((s) => s.shardId)
      .join(', ');
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.kinesis.send(
        new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.options.streamName }),
      );
      shards.push(...(page.Shards ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return shards;
  }

  private async pollShard(shard: ShardReader): Promise<void> {
    const signal = (this.abort as AbortController).signal;
    const pollInterval = this.options.pollIntervalMs ?? 1000;
    while (!signal.aborted && !shard.closed) {
      this.polls += 1;
      const poll = this.polls;
      let records: KinesisStreamRecord[];
      try {
        records = await this.fetch(shard, signal);
      } catch (error) {
        // Whatever failed, the next read starts again from the checkpoint.
        shard.iterator = undefined;
        if (error instanceof ExpiredIteratorException) continue;
        this.counters.lastError = `${shard.shardId}: ${String(error)}`;
        this.logger.warn(`Kinesis source ${this.options.streamName}/${shard.shardId}: ${String(error)}`);
        await sleep(this.policy.retryBackoffMs, signal);
        continue;
      }
      if (records.length === 0) {
        shard.caughtUpAtPoll = poll;
        await this.idle(pollInterval, signal);
        continue;
      }
      await runBatch(records, {
        label: `Kinesis source ${this.options.streamName}/${shard.shardId}`,
        policy: this.policy,
        itemId: (r) => r.kinesis.sequenceNumber,
        arrivalMs: (r) => r.kinesis.approximateArrivalTimestamp * 1000,
        invoke: (batch) => this.invoke(batch),
        commit: (done) => {
          const last = done.at(-1);
          if (last) shard.position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.kinesis.sequenceNumber };
        },
        discard: (failed, reason, invokeCount, lastError) =>
          this.discard(
            { shardId: shard.shardId, streamArn: this.streamArn, records: failed, reason, invokeCount, lastError },
            kinesisFacts,
            this.options.onFailure,
          ),
        now: this.now,
        stats: this.counters,
        logger: this.logger,
        signal,
      });
    }
  }

  /** Reads up to batchSize records from the checkpoint, waiting up to maxBatchingWindowMs to fill the batch. */
  private async fetch(shard: ShardReader, signal: AbortSignal): Promise<KinesisStreamRecord[]> {
    const batchSize = this.options.batchSize ?? 100;
    const windowEnd = Date.now() + (this.options.maxBatchingWindowMs ?? 0);
    const records: KinesisStreamRecord[] = [];
    forgetStaleIterator(shard);
    for (;;) {
      const iterator = await this.iteratorFor(shard);
      const page = await this.options.kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator.value, Limit: batchSize - records.length }),
      );
      const fetched = page.Records ?? [];
      const last = fetched.at(-1)?.SequenceNumber;
      // After an empty read the next iterator still reads from where this one did.
      const readsFrom = last ? positionKey({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last }) : iterator.position;
      // No next iterator: the shard is closed (resharded) and these are its last records.
      shard.iterator = page.NextShardIterator ? { value: page.NextShardIterator, position: readsFrom } : undefined;
      shard.closed = !page.NextShardIterator && fetched.length === 0;
      records.push(...fetched.map((r) => this.toLambdaRecord(shard.shardId, r)));
      const full = records.length >= batchSize || !page.NextShardIterator;
      if (full || signal.aborted || Date.now() >= windowEnd) return records;
      if (fetched.length === 0) {
        await sleep(Math.min(this.options.windowPollIntervalMs ?? 200, windowEnd - Date.now()), signal);
      }
    }
  }

  /** The cached iterator, else a new one that reads from the checkpoint. */
  private async iteratorFor(shard: ShardReader): Promise<{ value: string; position: string }> {
    if (shard.iterator) return shard.iterator;
    const key = positionKey(shard.position);
    const { position } = shard;
    const { ShardIterator } = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shard.shardId,
        ShardIteratorType: position.type,
        ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: position.sequenceNumber } : {}),
      }),
    );
    if (!ShardIterator) throw new Error(`GetShardIterator returned no iterator for ${shard.shardId}`);
    shard.iterator = { value: ShardIterator, position: key };
    return shard.iterator;
  }

  private get functionName(): string {
    return this.options.function?.functionName ?? this.options.functionName ?? `${this.options.streamName}-consumer`;
  }

  private toLambdaRecord(shardId: string, record: KinesisRecord): KinesisStreamRecord {
    const { functionName } = this;
    const sequenceNumber = record.SequenceNumber ?? '';
    return {
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: localRoleArn(functionName),
      awsRegion: this.streamArn.split(':')[3] ?? '',
      eventSourceARN: this.streamArn,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey ?? '',
        sequenceNumber,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? this.now()) / 1000,
      },
    };
  }

  private invoke(records: KinesisStreamRecord[]): Promise<unknown> {
    // The invoker hands the function its own copy: a handler that mutates its event cannot change a retry.
    return (this.fn as FunctionInvoker).invoke({ Records: records });
  }
}

/** Drops a cached iterator that does not read from the checkpoint (left over from a batch cut short). */
function forgetStaleIterator(shard: ShardReader): ShardReader {
  if (shard.iterator?.position !== positionKey(shard.position)) shard.iterator = undefined;
  return shard;
}

function positionKey(position: Position): string {
  return position.type === 'AFTER_SEQUENCE_NUMBER' ? `after:${position.sequenceNumber}` : position.type;
}
