import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { SanwangEventInput } from '../../events/envelope.ts';

/** Per event: written to the stream, or not after every retry, with the reason. */
export type PutOutcome = { id: string; ok: true; sequenceNumber: string } | { id: string; ok: false; error: string };

/** What producers (the ingest API, the demo) need: put canonical events on the stream, learn each one's fate. */
export interface EventStream {
  put(events: readonly SanwangEventInput[]): Promise<PutOutcome[]>;
}

/** A record as the stream holds it: what `sanwang replay` puts back, byte for byte, under its own partition key. */
export interface RawRecord {
  /** Names the record in outcomes (its old sequence number, say). */
  id: string;
  data: Uint8Array;
  partitionKey: string;
}

/** What the replay of failed batches needs: put records back exactly as they were. */
export interface RecordStream {
  putRaw(records: readonly RawRecord[]): Promise<PutOutcome[]>;
}

const PUT_RECORDS_LIMIT = 500;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kinesis producer. The partition key is the source id so one device's events stay in order on one shard.
 * PutRecords answers 200 with per-record failures (FailedRecordCount): only the failed records are retried.
 */
export class KinesisEventStream implements EventStream, RecordStream {
  readonly #client: KinesisClient;
  readonly #streamName: string;
  readonly #attempts: number;

  constructor(options: { client: KinesisClient; streamName: string; attempts?: number }) {
    this.#client = options.client;
    this.#streamName = options.streamName;
    this.#attempts = options.attempts ?? 4;
  }

  async put(events: readonly SanwangEventInput[]): Promise<PutOutcome[]> {
    return this.putRaw(
      events.map((event) => ({
        id: event.id,
        data: Buffer.from(JSON.stringify(event)),
        partitionKey: event.source.id,
      })),
    );
  }

  async putRaw(records: readonly RawRecord[]): Promise<PutOutcome[]> {
    const outcomes: PutOutcome[] = [];
    for (let i = 0; i < records.length; i += PUT_RECORDS_LIMIT) {
      outcomes.push(...(await this.#putChunk(records.slice(i, i + PUT_RECORDS_LIMIT))));
    }
    return outcomes;
  }

  async #putChunk(events: readonly RawRecord[]): Promise<PutOutcome[]> {
    const outcomes = new Map<number, PutOutcome>();
    let pending = events.map((event, index) => ({ event, index }));
    let lastError = new Map<number, string>();
    for (let attempt = 0; attempt < this.#attempts && pending.length > 0; attempt++) {
      if (attempt > 0) await delay(50 * 2 ** (attempt - 1));
      try {
        const out = await this.#client.send(
          new PutRecordsCommand({
            StreamName: this.#streamName,
            Records: pending.map(({ event }) => ({
              Data: event.data,
              PartitionKey: event.partitionKey,
            })),
          }),
        );
        const retry: typeof pending = [];
        lastError = new Map();
        (out.Records ?? []).forEach((result, n) => {
          const item = pending[n]!;
          if (result.SequenceNumber && !result.ErrorCode) {
            outcomes.set(item.index, { id: item.event.id, ok: true, sequenceNumber: result.SequenceNumber });
          } else {
            lastError.set(item.index, `${result.ErrorCode ?? 'Error'}: ${result.ErrorMessage ?? 'record not written'}`);
            retry.push(item);
          }
        });
        pending = retry;
      } catch (error) {
        lastError = new Map(pending.map(({ index }) => [index, String(error)]));
      }
    }
    for (const { event, index } of pending) {
      outcomes.set(index, { id: event.id, ok: false, error: lastError.get(index) ?? 'not written' });
    }
    return events.map((_, index) => outcomes.get(index)!);
  }
}
