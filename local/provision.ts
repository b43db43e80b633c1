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
import { tableDesign } from '../shared/table-design.ts';
import type { LocalAwsClients } from './aws-clients.ts';
import { waitFor } from './wait.ts';

/** What to create in the local servers. */
export interface ProvisionOptions {
  tableName: string;
  streamName: string;
  shardCount: number;
}

/** Names and ARNs of the provisioned local resources. */
export interface LocalResources {
  tableName: string;
  tableArn: string;
  streamName: string;
  streamArn: string;
}

/**
 * Creates the table (from `tableDesign`) and the Kinesis stream, and waits until both are ACTIVE. Existing resources
 * are reused, so calling it twice is harmless. The duty desks are data in the table, not resources.
 */
export async function provisionLocal(clients: LocalAwsClients, options: ProvisionOptions): Promise<LocalResources> {
  const [tableArn, streamArn] = await Promise.all([
    ensureTable(clients, options.tableName),
    ensureStream(clients, options.streamName, options.shardCount),
  ]);
  return { tableName: options.tableName, tableArn, streamName: options.streamName, streamArn };
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
