import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoPendingAlerts } from '../../../shared/adapters/pending-alerts.ts';

const TABLE = 'sanwang';
const ddb = mockClient(DynamoDBDocumentClient);
const pending = new DynamoPendingAlerts({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' })),
  tableName: TABLE,
});
const NOW = new Date('2026-11-25T02:10:00.000Z');

beforeEach(() => ddb.reset());

describe('DynamoPendingAlerts', () => {
  it('queries the pending-alerts index below the cutoff, page by page, and skips alerts already sent', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ id: 'a', alertSeq: 1, alertPending: true, gsi1sk: '2026-11-25T02:00:00.000Z#a' }],
        LastEvaluatedKey: { pk: 'x' },
      })
      .resolvesOnce({
        Items: [
          { id: 'b', alertSeq: 2, alertSentSeq: 2, alertPending: true, gsi1sk: '2026-11-25T02:01:00.000Z#b' },
          { id: 'c', alertSeq: 3, alertSentSeq: 2, alertPending: true, gsi1sk: '2026-11-25T02:02:00.000Z#c' },
        ],
      });

    const found = await pending.overdue(new Date('2026-11-25T02:09:00.000Z'), 10);

    expect(found).toEqual([
      { incidentId: 'a', alertSeq: 1, pendingSince: '2026-11-25T02:00:00.000Z' },
      { incidentId: 'c', alertSeq: 3, pendingSince: '2026-11-25T02:02:00.000Z' },
    ]);
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: TABLE,
      IndexName: 'pending-alerts',
      KeyConditionExpression: '#pk = :pending AND #sk < :cutoff',
      ExpressionAttributeValues: { ':pending': 'ALERT#PENDING', ':cutoff': '2026-11-25T02:09:00.000Z' },
      Limit: 10,
    });
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, { ExclusiveStartKey: { pk: 'x' }, Limit: 9 });
  });

  it('re-drives with a write the table stream carries to the notifier, only while the alert is still due', async () => {
    ddb.on(UpdateCommand).resolves({});

    await expect(pending.redrive({ incidentId: 'a', alertSeq: 4, pendingSince: 'x' }, NOW)).resolves.toBe(true);

    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'INC#a', sk: 'INCIDENT' },
      UpdateExpression: 'SET #sk = :sk ADD alertWakes :one',
      ExpressionAttributeValues: { ':sk': `${NOW.toISOString()}#a`, ':one': 1, ':seq': 4, ':true': true },
    });
  });

  it('answers false when the alert was sent or superseded meanwhile', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

    await expect(pending.redrive({ incidentId: 'a', alertSeq: 4, pendingSince: 'x' }, NOW)).resolves.toBe(false);
  });
});
