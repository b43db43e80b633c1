import { connect } from 'node:net';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createLocalAwsClients,
  LOCAL_REGION,
  type LocalAwsClients,
  localEndpointEnv,
} from '../../local/aws-clients.ts';
import { type LocalResources, provisionLocal } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';

const provisionOptions = { tableName: 'sanwang-incidents', streamName: 'sanwang-events', shardCount: 2 };

let servers: LocalServers;
let clients: LocalAwsClients;
let resources: LocalResources;

beforeAll(async () => {
  // Node 20 is supported; the SDK's notice about Node 22 would only clutter the test output.
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  servers = await startLocalServers();
  clients = createLocalAwsClients(servers.endpoints);
  resources = await provisionLocal(clients, provisionOptions);
});

afterAll(async () => {
  clients?.destroy();
  await servers?.stop();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startLocalServers', () => {
  it('listens on loopback ports chosen by the OS', () => {
    for (const port of Object.values(servers.ports)) expect(port).toBeGreaterThan(0);
    expect(servers.endpoints).toEqual({
      dynamodb: `http://127.0.0.1:${servers.ports.dynamodb}`,
      kinesis: `http://127.0.0.1:${servers.ports.kinesis}`,
      sns: `http://127.0.0.1:${servers.ports.sns}`,
      sqs: `http://127.0.0.1:${servers.ports.sns}`,
    });
  });

  it('fails with the server and port named when a port is in use, and leaves nothing listening', async () => {
    const listeners = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = listeners();

    await expect(startLocalServers({ dynamodbPort: servers.ports.dynamodb })).rejects.toThrow(
      `DynamoDB (dynalite) could not listen on 127.0.0.1:${servers.ports.dynamodb}: port ${servers.ports.dynamodb} is already in use`,
    );
    await expect(startLocalServers({ snsPort: servers.ports.sns })).rejects.toThrow(
      `SNS/SQS (fauxqs) could not listen on 127.0.0.1:${servers.ports.sns}: port ${servers.ports.sns} is already in use`,
    );

    // Closed handles leave the list a few ticks after close() resolves.
    await vi.waitFor(() => expect(listeners()).toBe(before), { timeout: 2000, interval: 10 });
  });

  it('stops all three servers, and a second stop() is harmless', async () => {
    const other = await startLocalServers();
    const ports = Object.values(other.ports);
    for (const port of ports) expect(await accepts(port)).toBe(true);

    await other.stop();
    await other.stop();

    for (const port of ports) expect(await accepts(port)).toBe(false);
  });
});

describe('localEndpointEnv', () => {
  it('points default SDK clients at the local servers', async () => {
    for (const [name, value] of Object.entries(localEndpointEnv(servers.endpoints))) vi.stubEnv(name, value);

    const tables = await new DynamoDBClient({}).send(new ListTablesCommand({}));
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'endpoint-check' }));
    const queues = await new SQSClient({}).send(new ListQueuesCommand({}));
    // The Kinesis client needs the HTTP/1.1 handler in code; the endpoint still comes from the environment.
    const streams = await new KinesisClient({ requestHandler: new NodeHttpHandler() }).send(new ListStreamsCommand({}));

    expect(tables.TableNames).toContain(provisionOptions.tableName);
    expect(queues.QueueUrls).toContain(QueueUrl);
    expect(streams.StreamNames).toContain(provisionOptions.streamName);
  });
});

describe('provisionLocal', () => {
  it('creates an ACTIVE table with both indexes and an ACTIVE stream with the shards asked for', async () => {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: provisionOptions.tableName }));
    const stream = await clients.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: provisionOptions.streamName }),
    );

    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(
      Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus, i.Projection?.ProjectionType]),
    ).toEqual(
      expect.arrayContaining([
        ['pending-alerts', 'ACTIVE', 'ALL'],
        ['by-county', 'ACTIVE', 'ALL'],
      ]),
    );
    expect(stream.StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 2 });
    expect(resources.streamArn).toBe(
      `arn:aws:kinesis:${LOCAL_REGION}:000000000000:stream/${provisionOptions.streamName}`,
    );
  });
});
