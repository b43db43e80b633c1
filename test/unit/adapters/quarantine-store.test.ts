import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UnprocessedItemsError } from '../../../shared/adapters/dynamo-batch.ts';
import { DynamoQuarantineStore, quarantinePk } from '../../../shared/adapters/quarantine-store.ts';
import type { PoisonRecord } from '../../../shared/domain/poison-record.ts';
import { kinesisSeq, NOW, SHARD } from '../app/builders.ts';

const TABLE = 'sanwang';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));
const store = new DynamoQuarantineStore({ client, tableName: TABLE, retentionDays: 30, now: () => NOW });

function poison(n: number, arrivedAt = '2026-11-24T18:03:01.000Z'): PoisonRecord {
  return {
    shardId: SHARD,
    sequenceNumber: kinesisSeq(n),
    partitionKey: '14058110001320000017',
    arrivedAt,
    reason: 'payload.state: must be one of "active", "inactive"',
    raw: '{"type":"camera.intrusion","payload":{"state":"alarm"}}',
    rawEncoding: 'utf8',
    rawBytes: 52,
  };
}

const itemOf = (r: PoisonRecord) => ({
  pk: `QUARANTINE#${r.arrivedAt.slice(0, 10)}`,
  sk: `${r.shardId}#${r.sequenceNumber}`,
  ...r,
  quarantinedAt: NOW.toISOString(),
  expiresAt: NOW.getTime() / 1000 + 30 * 86_400,
});
const put = (r: PoisonRecord) => ({ PutRequest: { Item: itemOf(r) } });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoQuarantineStore', () => {
  it('writes each record under its arrival day, keyed by shard and sequence number, kept for the retention days', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const records = [poison(1), poison(2, '2026-11-25T00:00:00.000Z')];

    await store.put(records);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(BatchWriteCommand, {
      RequestItems: { [TABLE]: records.map(put) },
    });
    expect(itemOf(records[1]!).pk).toBe('QUARANTINE#2026-11-25');
  });

  it('masks a phone or ID number in the partition key the writer chose', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    await store.put([{ ...poison(1), partitionKey: 'cafe-138 1234 5678' }]);

    const item = ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems![TABLE]![0]!.PutRequest!.Item!;
    expect(item.partitionKey).toBe('cafe-138 **** 5678');
  });

  it('writes in BatchWrites of at most 25 items', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const records = Array.from({ length: 60 }, (_, i) => poison(i + 1));

    await store.put(records);

    const sizes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(ddb).toHaveReceivedNthCommandWith(BatchWriteCommand, 3, {
      RequestItems: { [TABLE]: records.slice(50).map(put) },
    });
  });

  it('writes again only the items DynamoDB left unprocessed', async () => {
    const records = [poison(1), poison(2), poison(3)];
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [put(records[2]!)] } })
      .resolvesOnce({});

    await store.put(records);

    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(BatchWriteCommand, 2, { RequestItems: { [TABLE]: [put(records[2]!)] } });
  });

  it('throws UnprocessedItemsError when items stay unprocessed after five attempts', async () => {
    ddb.on(BatchWriteCommand).callsFake((input) => ({ UnprocessedItems: input.RequestItems }));

    await expect(store.put([poison(1)])).rejects.toThrow(UnprocessedItemsError);
    expect(ddb).toHaveReceivedCommandTimes(BatchWriteCommand, 5);
  });

  it('passes a failed BatchWrite on', async () => {
    ddb.on(BatchWriteCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

    await expect(store.put([poison(1)])).rejects.toThrow('throttled');
  });

  it('writes nothing for no records', async () => {
    await store.put([]);

    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});

describe('quarantinePk', () => {
  it('names the UTC day the record arrived', () => {
    expect(quarantinePk('2026-11-24T23:59:59.999Z')).toBe('QUARANTINE#2026-11-24');
  });
});
