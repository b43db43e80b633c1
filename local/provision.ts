import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type GlobalSecondaryIndex,
  ResourceInUseException as TableInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException as StreamInUseException,
} from '@aws-sdk/client-kinesis';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type DutyDesk, deskFilterPolicy } from '../shared/domain/duty-desks.ts';
import { tableDesign } from '../shared/table-design.ts';
import type { LocalAwsClients } from './aws-clients.ts';
import { localFilterPolicy } from './fauxqs-compat.ts';
import { waitFor } from './wait.ts';

/** What to create in the local servers. */
export interface ProvisionOptions {
  tableName: string;
  streamName: string;
  shardCount: number;
  topicName: string;
  desks: ReadonlyArray<Pick<DutyDesk, 'id' | 'jurisdiction' | 'minSeverity'>>;
}

/** A desk's SQS inbox subscribed to the alert topic. */
export interface DeskQueue {
  deskId: string;
  queueName: string;
  queueUrl: string;
  queueArn: string;
  subscriptionArn: string;
  /** The policy the desk has in AWS (`deskFilterPolicy`). */
  filterPolicy: Record<string, unknown>;
  /** The equivalent policy given to fauxqs (see fauxqs-compat.ts). */
  localFilterPolicy: Record<string, unknown>;
}

/** Names and ARNs of the provisioned local resources. */
export interface LocalResources {
  tableName: string;
  tableArn: string;
  streamName: string;
  streamArn: string;
  topicName: string;
  topicArn: string;
  /** By desk id. */
  deskQueues: Record<string, DeskQueue>;
}

/** Name of a desk's local inbox queue. */
export function deskQueueName(deskId: string): string {
  return `desk-${deskId}`;
}

/**
 * Creates the table (from `tableDesign`), the Kinesis stream, the alert topic and one filtered SQS inbox per desk,
 * and waits until table and stream are ACTIVE. Existing resources are reused, so calling it twice is harmless.
 */
export async function provisionLocal(clients: LocalAwsClients, options: ProvisionOptions): Promise<LocalResources> {
  const [tableArn, streamArn] = await Promise.all([
    ensureTable(clients, options.tableName),
    ensureStream(clients, options.streamName, options.shardCount),
  ]);
  const { TopicArn: topicArn } = await clients.sns.send(new CreateTopicCommand({ Name: options.topicName }));
  if (!topicArn) throw new Error(`CreateTopic ${options.topicName} returned no TopicArn`);
  const deskQueues: Record<string, DeskQueue> = {};
  for (const desk of options.desks) deskQueues[desk.id] = await createDeskQueue(clients, topicArn, desk);
  return {
    tableName: options.tableName,
    tableArn,
    streamName: options.streamName,
    streamArn,
    topicName: options.topicName,
    topicArn,
    deskQueues,
  };
}

/** Creates the table from `tableDesign` unless it exists; resolves with its ARN once it and its indexes are ACTIVE. */
export async function ensureTable(clients: LocalAwsClients, tableName: string): Promise<string> {
  const { partitionKey, sortKey, indexes } = tableDesign;
  const keyNames = [partitionKey, sortKey, ...Object.values(indexes).flatMap((i) => [i.partitionKey, i.sortKey])];
  const attributeDefinitions: AttributeDefinition[] = keyNames.map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  const globalSecondaryIndexes: GlobalSecondaryIndex[] = Object.values(indexes).map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  }));
  try {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions,
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: globalSecondaryIndexes,
      }),
    );
  } catch (error) {
    if (!(error instanceof TableInUseException)) throw error;
  }
  // dynalite implements no UpdateTimeToLive (nor TTL deletion), so tableDesign.ttlAttribute is not configured here;
  // readers already filter expired items, as they must in AWS where TTL deletes lazily.
  return waitFor(`table ${tableName} to become ACTIVE`, async () => {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    return Table?.TableStatus === 'ACTIVE' && indexesActive ? Table.TableArn : undefined;
  });
}

/** Creates the stream unless it exists; resolves with its ARN once it is ACTIVE. */
export async function ensureStream(clients: LocalAwsClients, streamName: string, shardCount: number): Promise<string> {
  try {
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (error) {
    if (!(error instanceof StreamInUseException)) throw error;
  }
  return waitFor(`stream ${streamName} to become ACTIVE`, async () => {
    const { StreamDescriptionSummary: summary } = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    return summary?.StreamStatus === 'ACTIVE' ? summary.StreamARN : undefined;
  });
}

async function createDeskQueue(
  clients: LocalAwsClients,
  topicArn: string,
  desk: ProvisionOptions['desks'][number],
): Promise<DeskQueue> {
  const queueName = deskQueueName(desk.id);
  const { QueueUrl: queueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  if (!queueUrl) throw new Error(`CreateQueue ${queueName} returned no QueueUrl`);
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn;
  if (!queueArn) throw new Error(`queue ${queueName} has no QueueArn`);

  const filterPolicy = deskFilterPolicy(desk);
  const translated = localFilterPolicy(filterPolicy);
  const attributes = { RawMessageDelivery: 'true', FilterPolicy: JSON.stringify(translated) };
  const { Subscriptions = [] } = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  let subscriptionArn = Subscriptions.find((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn)?.SubscriptionArn;
  if (subscriptionArn) {
    for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
      await clients.sns.send(
        new SetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn, AttributeName, AttributeValue }),
      );
    }
  } else {
    const subscribed = await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
    subscriptionArn = subscribed.SubscriptionArn;
  }
  if (!subscriptionArn) throw new Error(`subscribing ${queueName} to ${topicArn} returned no SubscriptionArn`);
  return {
    deskId: desk.id,
    queueName,
    queueUrl,
    queueArn,
    subscriptionArn,
    filterPolicy,
    localFilterPolicy: translated,
  };
}
