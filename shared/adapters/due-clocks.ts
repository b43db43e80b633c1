import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { DUE_CLOCK_PARTITION, tableDesign } from '../table-design.ts';

/** What the sweep needs to find the incidents whose clocks want attention. */
export interface DueClocks {
  /**
   * Incidents whose next due instant is at or before `at`, soonest first, at most `limit`. Read from an index, so
   * possibly a moment stale: the caller commits on the version it read and reads again on a conflict.
   */
  due(at: Date, limit: number): Promise<Incident[]>;
}

/**
 * The sparse `due-clocks` index: only incidents with a running clock carry its keys (`<next due ISO>#<id>`), so a
 * sweep reads the incidents that are due, however many are open.
 */
export class DynamoDueClocks implements DueClocks {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async due(at: Date, limit: number): Promise<Incident[]> {
    const { dueClocks } = tableDesign.indexes;
    const found: Incident[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: dueClocks.name,
          // `~` sorts after `#`: every key of an instant at or before `at` is below it.
          KeyConditionExpression: '#pk = :due AND #sk <= :until',
          ExpressionAttributeNames: { '#pk': dueClocks.partitionKey, '#sk': dueClocks.sortKey },
          ExpressionAttributeValues: { ':due': DUE_CLOCK_PARTITION, ':until': `${at.toISOString()}~` },
          Limit: limit - found.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) found.push(Incident.parse(item));
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }
}
