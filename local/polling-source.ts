import { type FunctionInvoker, inProcessFunction } from './function-invoker.ts';
import {
  type DiscardReason,
  type EventSourceStats,
  emptyStats,
  type LocalLogger,
  retryPolicyWithDefaults,
  type StreamHandler,
  type StreamRetryPolicy,
} from './stream-batch.ts';
import { sleep } from './wait.ts';

/** A batch handed to the on-failure destination: Lambda's batch info, plus the records as S3 would get them. */
export interface BatchFailure<R> {
  reason: DiscardReason;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  approximateInvokeCount: number;
  streamArn: string;
  lastError?: string;
  records: R[];
}

/** How a source reads its own records, for the failure metadata. */
export interface RecordFacts<R> {
  sequenceNumber(record: R): string;
  arrivalSeconds(record: R): number;
}

/** Timeout of an in-process handler that names none: the rules function's (shared/function-settings.ts). */
const IN_PROCESS_TIMEOUT_MS = 60_000;

/** The function a source invokes: the one it was given, else its in-process handler with a timeout. */
export function sourceFunction(
  options: { function?: FunctionInvoker; handler?: StreamHandler<never>; functionTimeoutMs?: number },
  functionName: string,
  region: string | undefined,
  now: () => number,
): FunctionInvoker {
  if (options.function) return options.function;
  if (!options.handler) throw new Error(`the event source for ${functionName} needs a function or a handler`);
  return inProcessFunction(
    {
      functionName,
      timeoutMs: options.functionTimeoutMs ?? IN_PROCESS_TIMEOUT_MS,
      ...(region ? { region } : {}),
    },
    options.handler,
    now,
  );
}

/** What every local event source shares: its retry policy, clock, logger and counters, and its start/stop/drain life. */
export abstract class PollingSource {
  protected readonly policy: Required<StreamRetryPolicy>;
  protected readonly now: () => number;
  protected readonly logger: LocalLogger;
  protected readonly counters: EventSourceStats = emptyStats();
  protected abort?: AbortController;
  /** Polls started so far; drain() waits for one that began after it was called to find nothing left. */
  protected polls = 0;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;
  /** Ends the idle pauses under way: drain() asks for a fresh look instead of waiting out the poll interval. */
  private readonly wakers = new Set<() => void>();

  constructor(
    options: StreamRetryPolicy & { now?: () => number; logger?: LocalLogger },
    /** Names the source in errors, e.g. `Kinesis source for sanwang-events`. */
    protected readonly label: string,
  ) {
    this.policy = retryPolicyWithDefaults(options);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? console;
  }

  /** Counters since construction. */
  get stats(): EventSourceStats {
    return { ...this.counters };
  }

  /** Whether start() ran and stop() has not. */
  get running(): boolean {
    return this.loop !== undefined && this.stopping === undefined;
  }

  /** Prepares the source (shards, iterators, the index to poll), then polls until stop(). */
  async start(): Promise<void> {
    if (this.loop) throw new Error(`${this.label} is already started`);
    await this.prepare();
    this.abort = new AbortController();
    this.stopping = undefined;
    this.loop = this.run(this.abort.signal);
  }

  /** Lets the batches in flight finish (no retry starts), then stops polling; safe to call more than once. */
  stop(): Promise<void> {
    if (!this.loop) return Promise.resolve();
    if (!this.stopping) {
      this.abort?.abort();
      this.stopping = this.loop.finally(() => {
        this.loop = undefined;
      });
    }
    return this.stopping;
  }

  /**
   * Resolves once a poll that began after this call found nothing left and no batch is in flight. It cuts idle
   * pauses short, so a caught-up source answers at once instead of after its poll interval.
   */
  async drain({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const since = this.polls;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.label} is not running`);
      if (this.caughtUpSince(since)) return;
      for (const wake of this.wakers) wake();
      if (Date.now() >= deadline) {
        const behind = this.behind(since);
        throw new Error(
          `${this.label} did not drain within ${timeoutMs} ms; ${behind ? `behind: ${behind}; ` : ''}` +
            `last error: ${this.counters.lastError ?? 'none'}`,
        );
      }
      await sleep(5);
    }
  }

  /** The pause after a poll that found nothing: `ms`, or less when stopped or drained. */
  protected async idle(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.wakers.add(wake);
    try {
      await sleep(ms, AbortSignal.any([signal, woken.signal]));
    } finally {
      this.wakers.delete(wake);
    }
  }

  /** Plays the on-failure destination: hands the batch to `onFailure`, or says it was dropped. */
  protected async discard<R>(
    batch: {
      shardId: string;
      streamArn: string;
      records: R[];
      reason: DiscardReason;
      invokeCount: number;
      lastError?: string;
    },
    facts: RecordFacts<R>,
    onFailure: ((failure: BatchFailure<R>) => void | Promise<void>) | undefined,
  ): Promise<void> {
    const first = batch.records[0] as R;
    const last = batch.records.at(-1) as R;
    const arrival = (r: R) => new Date(facts.arrivalSeconds(r) * 1000).toISOString();
    const failure: BatchFailure<R> = {
      reason: batch.reason,
      shardId: batch.shardId,
      startSequenceNumber: facts.sequenceNumber(first),
      endSequenceNumber: facts.sequenceNumber(last),
      batchSize: batch.records.length,
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      approximateInvokeCount: batch.invokeCount,
      streamArn: batch.streamArn,
      records: structuredClone(batch.records),
      ...(batch.lastError === undefined ? {} : { lastError: batch.lastError }),
    };
    if (onFailure) await onFailure(failure);
    else {
      this.logger.warn(
        `${this.label}/${batch.shardId}: dropped ${batch.records.length} records ` +
          `${failure.startSequenceNumber}…${failure.endSequenceNumber} (${batch.reason}); no onFailure destination`,
      );
    }
  }

  protected abstract prepare(): Promise<void>;
  protected abstract run(signal: AbortSignal): Promise<void>;
  protected abstract caughtUpSince(poll: number): boolean;
  /** What is not caught up yet, for the drain error. */
  protected behind(_poll: number): string {
    return '';
  }
}
