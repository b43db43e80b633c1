import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoReplayGuard } from '../../../shared/adapters/replay-guard.ts';

const TABLE = 'sanwang';
const WINDOW_SECONDS = 300;
// Milliseconds on purpose: the TTL and the condition value are whole seconds, rounded down.
const NOW = new Date('2026-11-25T18:46:00.750Z');
const NOW_SECONDS = Date.parse('2026-11-25T18:46:00Z') / 1000;
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));
const guard = new DynamoReplayGuard({ client, tableName: TABLE, windowSeconds: WINDOW_SECONDS });

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoReplayGuard', () => {
  it('accepts the first use with a conditional put that expires after twice the window', async () => {
    ddb.on(PutCommand).resolves({});

    const first = await guard.firstUse('cam-platform', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', NOW);

    expect(first).toBe(true);
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'REPLAY#cam-platform#msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        sk: 'REQUEST',
        seenAt: '2026-11-25T18:46:00.750Z',
        expiresAt: NOW_SECONDS + 2 * WINDOW_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': NOW_SECONDS },
    });
  });

  it('keys request ids per integration', async () => {
    ddb.on(PutCommand).resolves({});

    await guard.firstUse('cam-platform', 'msg-1', NOW);
    await guard.firstUse('cafe-platform', 'msg-1', NOW);

    const pks = ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk);
    expect(pks).toEqual(['REPLAY#cam-platform#msg-1', 'REPLAY#cafe-platform#msg-1']);
  });

  it('answers false when the request id was already used (the condition failed)', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(guard.firstUse('cam-platform', 'msg-1', NOW)).resolves.toBe(false);
  });

  it('rethrows any other error, so the request fails rather than passing unchecked', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(PutCommand).rejects(throttled);

    await expect(guard.firstUse('cam-platform', 'msg-1', NOW)).rejects.toThrow(throttled);
  });
});
