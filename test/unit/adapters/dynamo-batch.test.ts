import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  isConditionalCheckFailed,
  UnprocessedItemsError,
  withUnprocessedRetries,
} from '../../../shared/adapters/dynamo-batch.ts';

describe('withUnprocessedRetries', () => {
  it('calls once when everything is processed', async () => {
    const batches: number[][] = [];

    const results = await withUnprocessedRetries([1, 2, 3], async (items) => {
      batches.push(items);
      return { results: items.map((i) => i * 10), unprocessed: [] };
    });

    expect(batches).toEqual([[1, 2, 3]]);
    expect(results).toEqual([10, 20, 30]);
  });

  it('retries only the leftovers and gathers the results of every attempt', async () => {
    const batches: number[][] = [];

    const results = await withUnprocessedRetries(
      [1, 2, 3, 4],
      async (items) => {
        batches.push(items);
        const [first, ...rest] = items;
        return { results: [first! * 10], unprocessed: rest };
      },
      5,
      0,
    );

    expect(batches).toEqual([[1, 2, 3, 4], [2, 3, 4], [3, 4], [4]]);
    expect(results).toEqual([10, 20, 30, 40]);
  });

  it('throws UnprocessedItemsError naming the count after the last attempt', async () => {
    let calls = 0;

    const run = withUnprocessedRetries(
      ['a', 'b'],
      async (items) => {
        calls++;
        return { results: [], unprocessed: items };
      },
      3,
      0,
    );

    await expect(run).rejects.toThrow(new UnprocessedItemsError('2 item(s) still unprocessed after 3 attempts'));
    await expect(run).rejects.toHaveProperty('name', 'UnprocessedItemsError');
    expect(calls).toBe(3);
  });

  it('does not call for no items', async () => {
    let calls = 0;

    await withUnprocessedRetries([], async () => {
      calls++;
      return { results: [], unprocessed: [] };
    });

    expect(calls).toBe(0);
  });
});

describe('isConditionalCheckFailed', () => {
  it('recognises the SDK error by name and nothing else', () => {
    expect(isConditionalCheckFailed(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))).toBe(
      true,
    );
    expect(isConditionalCheckFailed(Object.assign(new Error('x'), { name: 'TransactionCanceledException' }))).toBe(
      false,
    );
    expect(isConditionalCheckFailed(null)).toBe(false);
    expect(isConditionalCheckFailed('ConditionalCheckFailedException')).toBe(false);
  });
});
