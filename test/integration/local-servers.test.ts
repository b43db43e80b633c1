import { connect } from 'node:net';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import {
  CreateTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { buildApp } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import desksJson from '../../config/desks.json' with { type: 'json' };
import {
  createLocalAwsClients,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalAwsClients,
  localEndpointEnv,
} from '../../local/aws-clients.ts';
import { withoutShimAttributes } from '../../local/fauxqs-compat.ts';
import { type LocalResources, provisionLocal } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import { DutyDeskList, deskFilterPolicy } from '../../shared/domain/duty-desks.ts';

const desks = DutyDeskList.parse(desksJson);
const provisionOptions = {
  tableName: 'sanwang-incidents',
  streamName: 'sanwang-events',
  shardCount: 2,
  topicName: 'sanwang-alerts',
  desks,
};

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

/** Receives and deletes everything in a queue; fauxqs enqueues during Publish, so nothing arrives later. */
async function takeAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const taken: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return taken;
    for (const message of Messages) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
    taken.push(...Messages);
  }
}

async function bodiesByDesk(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const [deskId, queue] of Object.entries(resources.deskQueues)) {
    result[deskId] = (await takeAll(clients.sqs, queue.queueUrl)).map((m) => m.Body ?? '').sort();
  }
  return result;
}

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

function alertAttributes(jurisdictions: string[], severity: number) {
  return {
    jurisdiction: { DataType: 'String.Array', StringValue: JSON.stringify(jurisdictions) },
    severity: { DataType: 'Number', StringValue: String(severity) },
  };
}

const VILLAGE = ['140581', '140581100', '140581100201'];
const MISHAN_TOWN = ['140581', '140581100'];
const NANCHENG = ['140581', '140581001'];
const COUNTY = ['140581'];

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
    const topics = await new SNSClient({}).send(new ListTopicsCommand({}));
    // The Kinesis client needs the HTTP/1.1 handler in code; the endpoint still comes from the environment.
    const streams = await new KinesisClient({ requestHandler: new NodeHttpHandler() }).send(new ListStreamsCommand({}));

    expect(tables.TableNames).toContain(provisionOptions.tableName);
    expect(topics.Topics?.map((t) => t.TopicArn)).toContain(resources.topicArn);
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

  it('subscribes one raw-delivery inbox per desk with the translated filter policy', async () => {
    expect(Object.keys(resources.deskQueues).sort()).toEqual(desks.map((d) => d.id).sort());
    for (const desk of desks) {
      const queue = resources.deskQueues[desk.id]!;
      const { Attributes } = await clients.sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: queue.subscriptionArn }),
      );
      expect(queue.queueName).toBe(`desk-${desk.id}`);
      expect(queue.filterPolicy).toEqual(deskFilterPolicy(desk));
      expect(Attributes).toMatchObject({ RawMessageDelivery: 'true', Endpoint: queue.queueArn });
      expect(JSON.parse(Attributes?.FilterPolicy ?? '{}')).toEqual({
        severity: [{ numeric: ['<=', desk.minSeverity] }],
        $or: [{ jurisdiction: [desk.jurisdiction] }, { [`jurisdiction#${desk.jurisdiction}`]: [{ exists: true }] }],
      });
    }
  });

  it('can run again without duplicating subscriptions', async () => {
    const again = await provisionLocal(clients, provisionOptions);
    const { Subscriptions = [] } = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: resources.topicArn }),
    );

    expect(again).toEqual(resources);
    expect(Subscriptions).toHaveLength(desks.length);
  });
});

describe('local SNS routing to desk inboxes', () => {
  it('routes on a String.Array jurisdiction and a numeric severity like SNS', async () => {
    const alerts: Array<[string, string[], number]> = [
      ['village-3', VILLAGE, 3],
      ['village-1', VILLAGE, 1],
      ['mishan-4', MISHAN_TOWN, 4],
      ['nancheng-2', NANCHENG, 2],
      ['county-1', COUNTY, 1],
      ['county-3', COUNTY, 3],
    ];
    for (const [body, jurisdictions, severity] of alerts) {
      await clients.sns.send(
        new PublishCommand({
          TopicArn: resources.topicArn,
          Message: body,
          MessageAttributes: alertAttributes(jurisdictions, severity),
        }),
      );
    }

    expect(await bodiesByDesk()).toEqual({
      'gaoping-command': ['county-1', 'nancheng-2', 'village-1'],
      'nancheng-station': ['nancheng-2'],
      'mishan-station': ['village-1', 'village-3'],
      'midong-post': ['village-1', 'village-3'],
    });
  });

  it('delivers the original attributes, plus shim attributes that withoutShimAttributes removes', async () => {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: resources.topicArn,
        Message: 'x',
        MessageAttributes: alertAttributes(VILLAGE, 1),
      }),
    );

    const [message] = await takeAll(clients.sqs, resources.deskQueues['midong-post']!.queueUrl);
    await bodiesByDesk();

    expect(withoutShimAttributes(message?.MessageAttributes)).toEqual({
      jurisdiction: { DataType: 'String.Array', StringValue: JSON.stringify(VILLAGE) },
      severity: { DataType: 'Number', StringValue: '1' },
    });
  });

  it("delivers the sqs variant of a MessageStructure 'json' message, else the default one", async () => {
    const publish = (variants: Record<string, string>) =>
      clients.sns.send(
        new PublishCommand({
          TopicArn: resources.topicArn,
          MessageStructure: 'json',
          Message: JSON.stringify(variants),
          MessageAttributes: alertAttributes(NANCHENG, 2),
        }),
      );
    await publish({ default: 'default text', sms: 'sms text' });
    await publish({ default: 'default text 2', sms: 'sms text', sqs: 'sqs text' });

    expect((await bodiesByDesk())['nancheng-station']).toEqual(['default text', 'sqs text']);
  });

  it('routes each PublishBatch entry on its own attributes', async () => {
    const result = await clients.sns.send(
      new PublishBatchCommand({
        TopicArn: resources.topicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'batch-village-4', MessageAttributes: alertAttributes(VILLAGE, 4) },
          { Id: 'b', Message: 'batch-county-2', MessageAttributes: alertAttributes(COUNTY, 2) },
          {
            Id: 'c',
            Message: JSON.stringify({ default: 'batch-json-default' }),
            MessageStructure: 'json',
            MessageAttributes: alertAttributes(NANCHENG, 4),
          },
        ],
      }),
    );

    expect(result.Successful?.map((s) => s.Id).sort()).toEqual(['a', 'b', 'c']);
    expect(result.Failed ?? []).toEqual([]);
    expect(await bodiesByDesk()).toEqual({
      'gaoping-command': ['batch-county-2'],
      'nancheng-station': ['batch-json-default'],
      'mishan-station': [],
      'midong-post': ['batch-village-4'],
    });
  });

  it('rejects requests SNS rejects instead of delivering them', async () => {
    const send = (entries: Array<{ Id: string; Message: string }>) =>
      clients.sns.send(new PublishBatchCommand({ TopicArn: resources.topicArn, PublishBatchRequestEntries: entries }));
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'm' }));

    await expect(send(eleven)).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequestException' });
    await expect(
      send([
        { Id: 'x', Message: 'm' },
        { Id: 'x', Message: 'n' },
      ]),
    ).rejects.toMatchObject({
      name: 'BatchEntryIdsNotDistinctException',
    });
    await expect(
      clients.sns.send(
        new PublishCommand({ TopicArn: resources.topicArn, MessageStructure: 'json', Message: '{"sms":"only"}' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      clients.sns.send(
        new PublishCommand({
          TopicArn: resources.topicArn,
          Message: 'm',
          MessageAttributes: { jurisdiction: { DataType: 'String.Array', StringValue: '140581' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    expect(Object.values(await bodiesByDesk()).flat()).toEqual([]);
  });
});

/**
 * What fauxqs 1.9 does on its own, without the shim in local/fauxqs-compat.ts. If one of these starts failing
 * after an upgrade, fauxqs has changed and the shim may no longer be needed (or may now double-handle).
 */
describe('fauxqs without the shim', () => {
  let app: ReturnType<typeof buildApp>;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;

  async function inbox(name: string, filterPolicy?: Record<string, unknown>): Promise<string> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: {
          RawMessageDelivery: 'true',
          ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}),
        },
      }),
    );
    return QueueUrl ?? '';
  }

  beforeAll(async () => {
    app = buildApp({ logger: false });
    const endpoint = await app.listen({ host: '127.0.0.1', port: 0 });
    const config = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint };
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'bare' }))).TopicArn ?? '';
  });

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await app?.close();
  });

  it('matches a numeric condition but compares a String.Array attribute as one raw string', async () => {
    const byMember = await inbox('by-member', { jurisdiction: ['140581100'], severity: [{ numeric: ['<=', 3] }] });
    const byRawText = await inbox('by-raw-text', { jurisdiction: [JSON.stringify(VILLAGE)] });
    const bySeverity = await inbox('by-severity', { severity: [{ numeric: ['<=', 3] }] });

    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'm', MessageAttributes: alertAttributes(VILLAGE, 3) }),
    );
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: 'n', MessageAttributes: alertAttributes(VILLAGE, 4) }),
    );

    expect(await takeAll(sqs, byMember)).toHaveLength(0);
    expect((await takeAll(sqs, byRawText)).map((m) => m.Body).sort()).toEqual(['m', 'n']);
    expect((await takeAll(sqs, bySeverity)).map((m) => m.Body)).toEqual(['m']);
  });

  it("delivers the whole MessageStructure 'json' document and accepts an 11-entry PublishBatch", async () => {
    const all = await inbox('all');
    const document = JSON.stringify({ default: 'default text', sqs: 'sqs text' });

    await sns.send(new PublishCommand({ TopicArn: topicArn, MessageStructure: 'json', Message: document }));
    const batch = await sns.send(
      new PublishBatchCommand({
        TopicArn: topicArn,
        PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: `b${i}` })),
      }),
    );

    expect(batch.Successful).toHaveLength(11);
    const bodies = (await takeAll(sqs, all)).map((m) => m.Body);
    expect(bodies).toHaveLength(12);
    expect(bodies).toContain(document);
  });
});
