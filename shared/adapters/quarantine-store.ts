import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scrubText } from '../domain/personal-data-masking.ts';
import type { PoisonRecord } from '../domain/poison-record.ts';
import { batchWrite } from './dynamo-batch.ts';

/** Where poison records go: written idempotently (same record, same key), read by operators. */
export interface QuarantineStore {
  put(records: readonly PoisonRecord[]): Promise<void>;
}

/** Quarantine items share the table, one partition per UTC day, kept for the configured number of days. */
export class DynamoQuarantineStore implements QuarantineStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionDays: number;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; retentionDays: number; now?: () => Date }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#retentionDays = options.retentionDays;
    this.#now = options.now ?? (() => new Date());
  }

  async put(records: readonly PoisonRecord[]): Promise<void> {
    const now = this.#now();
    const expiresAt = Math.floor(now.getTime() / 1000) + this.#retentionDays * 86_400;
    const requests = records.map((r) => ({
      PutRequest: {
        Item: {
          pk: quarantinePk(r.arrivedAt),
          sk: `${r.shardId}#${r.sequenceNumber}`,
          ...r,
          // The partition key is whatever the writer chose, usually a source id: one may hold a phone number.
          partitionKey: scrubText(r.partitionKey),
          quarantinedAt: now.toISOString(),
          expiresAt,
        },
      },
    }));
    await batchWrite(this.#client, this.#tableName, requests);
  }
}

/** `QUARANTINE#2026-11-25`: one partition per day, so an operator lists a day's poison in one query. */
export function quarantinePk(arrivedAt: string): string {
  return `QUARANTINE#${arrivedAt.slice(0, 10)}`;
}
