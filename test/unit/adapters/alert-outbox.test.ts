import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AlertAttempt, DynamoAlertOutbox } from '../../../shared/adapters/alert-outbox.ts';
import { eventAt, NOW, plannedChange } from '../app/builders.ts';

const TABLE = 'sanwang';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));
const outbox = new DynamoAlertOutbox({ client, tableName: TABLE });

const incident = plannedChange([eventAt('camera.intrusion', 180, { id: 'ivs-1' })]).after;
const key = { pk: `INC#${incident.id}`, sk: 'INCIDENT' };
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const throttled = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
  });

const attempt: AlertAttempt = {
  incidentId: incident.id,
  alertSeq: 3,
  attemptId: `${NOW.toISOString()}-5f2a9c01`,
  startedAt: NOW.toISOString(),
  topicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:sanwang-alerts',
  sms: '【特急】米山镇第一小学 区域入侵 02:03起 02:13前确认 码K7Q2M',
  attributes: { jurisdiction: '140581,140581100,140581100201', severity: '1', network: 'sky' },
  expiresAt: incident.expiresAt,
};
const trailKey = { pk: key.pk, sk: `ALERT#0003#${attempt.attemptId}` };

beforeEach(() => {
  ddb.reset();
});

describe('DynamoAlertOutbox.claim', () => {
  const query = (items: Record<string, unknown>[]) => ddb.on(QueryCommand).resolves({ Items: items });

  it('reads the incident and the alert’s attempts in one consistent query, and returns it while it is due', async () => {
    query([{ ...key, ...incident }]);

    const claimed = await outbox.claim(incident.id, 1);

    expect(claimed).toEqual({ incident });
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :incident',
      ExpressionAttributeValues: { ':pk': key.pk, ':from': 'ALERT#0001#', ':incident': 'INCIDENT' },
      ConsistentRead: true,
    });
    // A write here would put a record on the table stream and wake the notifier again.
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('names the attempt that already sent the alert when the trail has one', async () => {
    const first = { pk: key.pk, sk: 'ALERT#0001#a1', ...attempt, alertSeq: 1, status: 'failed' };
    const sent = { ...first, sk: 'ALERT#0001#a2', status: 'sent', messageId: 'm-1', at: NOW.toISOString() };
    query([first, sent, { ...key, ...incident }]);

    const claimed = await outbox.claim(incident.id, 1);

    expect(claimed?.sentBy).toMatchObject({ messageId: 'm-1', status: 'sent' });
  });

  it('returns undefined when the alert was sent, superseded, or the incident is gone', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ ...key, ...incident, alertSentSeq: 1 }] })
      .resolvesOnce({ Items: [{ ...key, ...incident, alertSeq: 2 }] })
      .resolvesOnce({ Items: [] });
    for (let i = 0; i < 3; i++) await expect(outbox.claim(incident.id, 1)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
  });

  it('passes any error on', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    await expect(outbox.claim(incident.id, 1)).rejects.toThrow('Rate of requests exceeds the allowed throughput');
  });
});

describe('DynamoAlertOutbox trail', () => {
  it('writes each attempt as its own item before the publish, then overwrites it with how it ended', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const failed = { ...attempt, incidentId: 'other', attemptId: 'a2' };

    await outbox.begin([attempt]);
    await outbox.finish([
      { attempt, outcome: { status: 'sent', messageId: 'm-1', at: NOW.toISOString() } },
      { attempt: failed, outcome: { status: 'failed', error: 'Throttled', at: NOW.toISOString() } },
    ]);

    expect(ddb).toHaveReceivedNthCommandWith(BatchWriteCommand, 1, {
      RequestItems: { [TABLE]: [{ PutRequest: { Item: { ...trailKey, ...attempt, status: 'sending' } } }] },
    });
    expect(ddb).toHaveReceivedNthCommandWith(BatchWriteCommand, 2, {
      RequestItems: {
        [TABLE]: [
          {
            PutRequest: { Item: { ...trailKey, ...attempt, status: 'sent', messageId: 'm-1', at: NOW.toISOString() } },
          },
          {
            PutRequest: {
              Item: {
                pk: 'INC#other',
                sk: 'ALERT#0003#a2',
                ...failed,
                status: 'failed',
                error: 'Throttled',
                at: NOW.toISOString(),
              },
            },
          },
        ],
      },
    });
    // Never the incident item: a write there would wake the notifier again.
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('DynamoAlertOutbox.markSent', () => {
  it('takes the incident off the pending-alerts index', async () => {
    ddb.on(UpdateCommand).resolves({});

    await outbox.markSent(incident.id, 3);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: key,
      UpdateExpression: 'SET alertSentSeq = :seq, alertPending = :false REMOVE gsi1pk, gsi1sk',
      ConditionExpression: 'alertSeq = :seq',
      ExpressionAttributeValues: { ':seq': 3, ':false': false },
    });
  });

  it('only records the alert as sent, leaving it pending, when a newer alert was raised meanwhile', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});

    await outbox.markSent(incident.id, 3);

    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      TableName: TABLE,
      Key: key,
      UpdateExpression: 'SET alertSentSeq = :seq',
      ConditionExpression: 'attribute_not_exists(alertSentSeq) OR alertSentSeq < :seq',
      ExpressionAttributeValues: { ':seq': 3 },
    });
  });

  it('leaves a later alert recorded as sent in place', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(outbox.markSent(incident.id, 3)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('passes on an error of the fallback update', async () => {
    ddb.on(UpdateCommand).rejectsOnce(conditionFailed()).rejects(throttled());

    await expect(outbox.markSent(incident.id, 3)).rejects.toThrow('Rate of requests exceeds the allowed throughput');
  });

  it('passes on an error of the first update without trying the fallback', async () => {
    ddb.on(UpdateCommand).rejects(throttled());

    await expect(outbox.markSent(incident.id, 3)).rejects.toThrow('Rate of requests exceeds the allowed throughput');
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });
});
