import type { Context } from 'aws-lambda';
import { sleep } from './wait.ts';

/** A Lambda handler as an event source mapping calls it; a thrown error or rejection is a function error. */
export type StreamHandler<E> = (event: E, context: Context) => unknown;

/** Where local event sources report problems; `console` by default. */
export type LocalLogger = Pick<Console, 'warn'>;

/** Why records went to the on-failure destination (Lambda's `condition`). */
export type DiscardReason = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Error handling of a stream event source mapping; defaults are Lambda's, except the local backoff. */
export interface StreamRetryPolicy {
  /** Split a batch in two on a function error; splitting does not use up retries. Default false. */
  bisectBatchOnError?: boolean;
  /** Retries of a failed batch before it goes to onFailure; -1 retries until the record expires. Default -1. */
  maxRetryAttempts?: number;
  /** Records older than this go to onFailure instead of the handler; -1 never. Default -1. */
  maxRecordAgeSeconds?: number;
  /** Honour `batchItemFailures` in the response (FunctionResponseTypes ReportBatchItemFailures). Default true. */
  reportBatchItemFailures?: boolean;
  /** First pause before a retry, doubled per attempt up to maxRetryBackoffMs. Default 100. */
  retryBackoffMs?: number;
  /** Default 2000. */
  maxRetryBackoffMs?: number;
}

/** Counters of one event source; `batches` counts handler invocations, retries included. */
export interface EventSourceStats {
  batches: number;
  records: number;
  retries: number;
  bisections: number;
  failuresSentToDestination: number;
  recordsSentToDestination: number;
  lastError?: string;
}

/** How Lambda reads an invocation's result. `index` is the first record to redeliver. */
export type BatchOutcome =
  | { kind: 'success' }
  | { kind: 'partial'; index: number }
  | { kind: 'failed'; reason: string; error?: unknown };

/** The policy with Lambda's defaults filled in. */
export function retryPolicyWithDefaults(policy: StreamRetryPolicy): Required<StreamRetryPolicy> {
  return {
    bisectBatchOnError: policy.bisectBatchOnError ?? false,
    maxRetryAttempts: policy.maxRetryAttempts ?? -1,
    maxRecordAgeSeconds: policy.maxRecordAgeSeconds ?? -1,
    reportBatchItemFailures: policy.reportBatchItemFailures ?? true,
    retryBackoffMs: policy.retryBackoffMs ?? 100,
    maxRetryBackoffMs: policy.maxRetryBackoffMs ?? 2000,
  };
}

/** Zeroed counters. */
export function emptyStats(): EventSourceStats {
  return {
    batches: 0,
    records: 0,
    retries: 0,
    bisections: 0,
    failuresSentToDestination: 0,
    recordsSentToDestination: 0,
  };
}

/**
 * Reads a handler result as Lambda reads a partial batch response: nothing, `{}` or an empty list is success; the
 * lowest failed item is where redelivery starts; an empty, unknown or malformed itemIdentifier fails the batch.
 */
export function interpretBatchResponse(
  response: unknown,
  itemIds: readonly string[],
  reportFailures: boolean,
): BatchOutcome {
  if (!reportFailures) return { kind: 'success' };
  let json: unknown;
  try {
    // Lambda sees the serialized result, not the object.
    const text = JSON.stringify(response);
    json = text === undefined ? undefined : JSON.parse(text);
  } catch (error) {
    return { kind: 'failed', reason: 'response is not serializable to JSON', error };
  }
  if (json === undefined || json === null) return { kind: 'success' };
  if (typeof json !== 'object' || Array.isArray(json)) return { kind: 'failed', reason: 'response is not an object' };
  const failures = (json as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failed', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') {
      return { kind: 'failed', reason: `malformed batch item failure ${JSON.stringify(failure)}` };
    }
    const index = itemIds.indexOf(id);
    if (index < 0) return { kind: 'failed', reason: `itemIdentifier ${id} is not in the batch` };
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', index: lowest };
}

/** What runBatch needs from an event source. */
export interface BatchRun<R> {
  label: string;
  policy: Required<StreamRetryPolicy>;
  itemId(record: R): string;
  arrivalMs(record: R): number;
  /** Calls the handler with an event of `records`; throws on a function error. */
  invoke(records: R[]): Promise<unknown>;
  /** These records are behind the checkpoint now (processed or discarded), oldest first. */
  commit(records: R[]): void;
  /** Plays the on-failure destination. */
  discard(records: R[], reason: DiscardReason, invokeCount: number, lastError: string | undefined): Promise<void>;
  now(): number;
  stats: EventSourceStats;
  logger: LocalLogger;
  /** Aborted by stop(): no new invocation or retry starts. */
  signal: AbortSignal;
}

interface PendingBatch<R> {
  records: R[];
  /** Failed invocations of these records so far. */
  attempts: number;
  lastError?: string;
}

/**
 * Runs one batch to the end the way an event source mapping does, in record order: retries, bisection, partial
 * batch responses and the on-failure destination. Returns false when stopped before every record was committed.
 */
export async function runBatch<R>(records: R[], run: BatchRun<R>): Promise<boolean> {
  const { policy, stats } = run;
  const queue: PendingBatch<R>[] = [{ records, attempts: 0 }];
  const exhausted = (attempts: number) => policy.maxRetryAttempts >= 0 && attempts >= policy.maxRetryAttempts;
  const backoff = (attempts: number) =>
    sleep(Math.min(policy.retryBackoffMs * 2 ** Math.max(0, attempts - 1), policy.maxRetryBackoffMs), run.signal);

  while (queue.length > 0) {
    if (run.signal.aborted) return false;
    const batch = queue[0] as PendingBatch<R>;

    if (policy.maxRecordAgeSeconds >= 0) {
      // Records arrive in order, so the expired ones lead the batch.
      const cutoff = run.now() - policy.maxRecordAgeSeconds * 1000;
      const fresh = batch.records.findIndex((r) => run.arrivalMs(r) >= cutoff);
      const expired = fresh < 0 ? batch.records : batch.records.slice(0, fresh);
      if (expired.length > 0) {
        if (!(await discard(run, expired, 'RecordAgeExceeded', batch.attempts, batch.lastError))) return false;
        batch.records = batch.records.slice(expired.length);
        if (batch.records.length === 0) {
          queue.shift();
          continue;
        }
      }
    }

    stats.batches += 1;
    stats.records += batch.records.length;
    const outcome = await invokeOnce(run, batch.records);

    if (outcome.kind === 'success') {
      run.commit(batch.records);
      queue.shift();
      continue;
    }

    batch.lastError = outcome.kind === 'partial' ? 'batch item failure' : outcome.reason;
    stats.lastError = `${run.label}: ${batch.lastError}`;
    if (outcome.kind === 'partial') {
      const failedId = run.itemId(batch.records[outcome.index] as R);
      run.logger.warn(`${run.label}: record ${failedId} failed (attempt ${batch.attempts + 1}); redelivering from it`);
      run.commit(batch.records.slice(0, outcome.index));
      batch.records = batch.records.slice(outcome.index);
    } else {
      run.logger.warn(
        `${run.label}: batch of ${batch.records.length} from ${run.itemId(batch.records[0] as R)} failed ` +
          `(attempt ${batch.attempts + 1}): ${outcome.reason}`,
      );
      if (policy.bisectBatchOnError && batch.records.length > 1) {
        const middle = Math.ceil(batch.records.length / 2);
        const halves = [batch.records.slice(0, middle), batch.records.slice(middle)].map((half) => ({
          records: half,
          attempts: batch.attempts,
          lastError: batch.lastError,
        }));
        queue.splice(0, 1, ...halves);
        stats.bisections += 1;
        await backoff(1);
        continue;
      }
    }

    if (exhausted(batch.attempts)) {
      if (!(await discard(run, batch.records, 'RetryAttemptsExhausted', batch.attempts + 1, batch.lastError))) {
        return false;
      }
      queue.shift();
      continue;
    }
    batch.attempts += 1;
    stats.retries += 1;
    await backoff(batch.attempts);
  }
  return true;
}

async function invokeOnce<R>(run: BatchRun<R>, records: R[]): Promise<BatchOutcome> {
  try {
    const response = await run.invoke(records);
    return interpretBatchResponse(response, records.map(run.itemId), run.policy.reportBatchItemFailures);
  } catch (error) {
    return {
      kind: 'failed',
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      error,
    };
  }
}

/** Hands records to the destination, retrying it until it accepts them: they are never dropped silently. */
async function discard<R>(
  run: BatchRun<R>,
  records: R[],
  reason: DiscardReason,
  invokeCount: number,
  lastError: string | undefined,
): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await run.discard(records, reason, invokeCount, lastError);
      break;
    } catch (error) {
      run.logger.warn(`${run.label}: on-failure destination rejected ${records.length} records: ${String(error)}`);
      await sleep(Math.min(run.policy.retryBackoffMs * 2 ** (attempt - 1), run.policy.maxRetryBackoffMs), run.signal);
      if (run.signal.aborted) return false;
    }
  }
  run.stats.failuresSentToDestination += 1;
  run.stats.recordsSentToDestination += records.length;
  run.commit(records);
  return true;
}
