import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Thrown when DynamoDB keeps returning unprocessed items after every retry: the caller treats it as transient. */
export class UnprocessedItemsError extends Error {
  override name = 'UnprocessedItemsError';
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a batch call and retries only what DynamoDB left unprocessed (BatchGet/BatchWrite answer 200 with
 * leftovers when throttled), with a short exponential backoff.
 */
export async function withUnprocessedRetries<I, R>(
  items: I[],
  call: (items: I[]) => Promise<{ results: R[]; unprocessed: I[] }>,
  attempts = 5,
  baseDelayMs = 25,
): Promise<R[]> {
  const results: R[] = [];
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === attempts)
      throw new UnprocessedItemsError(`${pending.length} item(s) still unprocessed after ${attempts} attempts`);
    if (attempt > 0) await delay(baseDelayMs * 2 ** (attempt - 1));
    const out = await call(pending);
    results.push(...out.results);
    pending = out.unprocessed;
  }
  return results;
}

type Key = Record<string, unknown>;
type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Key } };

/** BatchGetItem over any number of keys: 100 a call, leftovers retried. */
export async function batchGet(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  options: { consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    const found = await withUnprocessedRetries(keys.slice(i, i + 100), async (batch) => {
      const out = await client.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: batch, ...(options.consistentRead ? { ConsistentRead: true } : {}) } },
        }),
      );
      return {
        results: out.Responses?.[tableName] ?? [],
        unprocessed: (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof batch,
      };
    });
    items.push(...found);
  }
  return items;
}

/** BatchWriteItem over any number of puts and deletes: 25 a call, leftovers retried. */
export async function batchWrite(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    await withUnprocessedRetries(requests.slice(i, i + 25), async (batch) => {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch } }));
      return { results: [], unprocessed: (out.UnprocessedItems?.[tableName] ?? []) as typeof batch };
    });
  }
}
