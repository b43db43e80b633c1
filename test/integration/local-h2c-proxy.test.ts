import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/aws-clients.ts';
import { startH2cProxy } from '../../local/h2c-proxy.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';

// kinesalite speaks HTTP/1.1 only; the proxy lets a default KinesisClient (HTTP/2) reach it, as the ingest does.
let servers: LocalServers;
const opened: { client: KinesisClient; proxy: { close(): Promise<void> } }[] = [];

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  servers = await startLocalServers();
});

afterAll(async () => {
  for (const { client, proxy } of opened) {
    client.destroy();
    await proxy.close();
  }
  await servers?.stop();
  vi.unstubAllEnvs();
});

/** A proxy in front of kinesalite and a KinesisClient with the SDK's default (HTTP/2) request handler. */
async function proxiedClient() {
  const proxy = await startH2cProxy(servers.endpoints.kinesis);
  const client = new KinesisClient({ endpoint: proxy.url, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  opened.push({ client, proxy });
  return { proxy, client };
}

/** Resolves with 'closed', or with 'still open' if close() has not returned within `ms`. */
function closedWithin(close: Promise<void>, ms: number): Promise<'closed' | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still open'>((resolve) => {
    timer = setTimeout(() => resolve('still open'), ms);
  });
  return Promise.race([close.then(() => 'closed' as const), late]).finally(() => clearTimeout(timer));
}

describe('HTTP/2 proxy in front of kinesalite', () => {
  it('listens on loopback with a port the OS chose, for a client with the default HTTP/2 handler', async () => {
    const { proxy, client } = await proxiedClient();

    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy.url).not.toBe(servers.endpoints.kinesis);
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttp2Handler);
  });

  it('carries CreateStream, PutRecords and ListStreams of a default KinesisClient', async () => {
    const { client } = await proxiedClient();
    const StreamName = 'sanwang-events-h2c';

    await client.send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
    await waitUntilStreamExists({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 }, { StreamName });
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName }));
    const put = await client.send(
      new PutRecordsCommand({
        StreamName,
        Records: [
          { PartitionKey: '14058110001320000017', Data: Buffer.from('{"id":"hik-0017-1000"}') },
          { PartitionKey: '4419b66d2485', Data: Buffer.from('{"id":"米山-1001"}') },
        ],
      }),
    );
    const listed = await client.send(new ListStreamsCommand({}));

    expect(summary.StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 2 });
    expect(put.FailedRecordCount).toBe(0);
    expect(put.Records).toHaveLength(2);
    for (const record of put.Records ?? []) {
      expect(record.SequenceNumber).toMatch(/^\d+$/);
      expect(record.ShardId).toMatch(/^shardId-\d{12}$/);
    }
    expect(listed.StreamNames).toContain(StreamName);
  });

  it('passes kinesalite errors through as the SDK error', async () => {
    const { client } = await proxiedClient();

    await expect(client.send(new DescribeStreamSummaryCommand({ StreamName: 'no-such-stream' }))).rejects.toMatchObject(
      { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } },
    );
  });

  it('closes promptly while the client still holds its HTTP/2 session open', async () => {
    const { proxy, client } = await proxiedClient();
    await client.send(new ListStreamsCommand({}));

    // The client is not destroyed: its session to the proxy stays open, which would hold server.close() for ever.
    expect(await closedWithin(proxy.close(), 5_000)).toBe('closed');
    await expect(client.send(new ListStreamsCommand({}))).rejects.toThrow();
  });
});
