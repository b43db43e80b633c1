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
