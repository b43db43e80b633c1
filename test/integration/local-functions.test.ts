import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import middy from '@middy/core';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalAwsClients, type LocalAwsClients } from '../../local/aws-clients.ts';
import { startIngestServer } from '../../local/ingest-server.ts';
import { KinesisEventSource } from '../../local/kinesis-event-source.ts';
import { FunctionTimeoutError } from '../../local/lambda-context.ts';
import {
  FunctionError,
  LambdaFunction,
  type LambdaFunctionOptions,
  SharedEnvironment,
} from '../../local/lambda-function.ts';
import { ensureStream } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import { functionSettings } from '../../shared/function-settings.ts';

// Execution environments of local functions (worker threads), as Lambda runs them: a fresh context per invocation
// with the function's timeout; an invocation that overruns fails and its environment is stopped and replaced.
const fixture = (name: string) => new URL(`../fixtures/local-functions/${name}.ts`, import.meta.url);
const running: Array<{ stop(): Promise<void> }> = [];

function lambda(options: Partial<LambdaFunctionOptions> & { module: URL }): LambdaFunction {
  const fn = new LambdaFunction({
    functionName: 'sanwang-test',
    timeoutMs: 1_000,
    memoryMB: 256,
    environment: { FIXTURE_VALUE: 'from the function settings' },
    ...options,
  });
  running.push(fn);
  return fn;
}

type Summary = {
  invocations: number;
  awsRequestId: string;
  remainingMs: number;
  functionName: string;
  memoryLimitInMB: string;
  fixtureValue: string | null;
  lambdaName: string | null;
  home: string | null;
};

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

describe('LambdaFunction (execution environments in worker threads)', () => {
  it('gives every invocation a fresh context with the whole timeout, in a warm environment', async () => {
    const fn = lambda({ module: fixture('counting-handler'), timeoutMs: 15_000, memoryMB: 512 });
    await fn.start();
    const first = (await fn.invoke({})) as Summary;
    const second = (await fn.invoke({})) as Summary;
    expect(second.awsRequestId).not.toBe(first.awsRequestId);
    for (const s of [first, second]) {
      expect(s.remainingMs).toBeGreaterThan(10_000);
      expect(s.remainingMs).toBeLessThanOrEqual(15_000);
      expect(s).toMatchObject({ functionName: 'sanwang-test', memoryLimitInMB: '512' });
    }
    // Module scope lives as long as the environment: the second invocation found the first one's count.
    expect([first.invocations, second.invocations]).toEqual([1, 2]);
    expect(fn.stats).toMatchObject({ invocations: 2, coldStarts: 1, environments: 1, errors: 0 });
  });

  it("sees the function's environment variables and Lambda's, and none of this process", async () => {
    const fn = lambda({ module: fixture('counting-handler') });
    const seen = (await fn.invoke({})) as Summary;
    expect(seen).toMatchObject({ fixtureValue: 'from the function settings', lambdaName: 'sanwang-test', home: null });
  });

  it.each(['await', 'spin'] as const)(
    'fails an invocation that overruns (%s) and stops its environment',
    async (overrun) => {
      const fn = lambda({ module: fixture('counting-handler') });
      await fn.start();
      await expect(fn.invoke({ overrun })).rejects.toBeInstanceOf(FunctionTimeoutError);
      await expect(fn.invoke({ overrun })).rejects.toThrow('Task timed out after 1.00 seconds');
      // The next invocation runs in a new environment: a cold start, the module's state begun afresh.
      const after = (await fn.invoke({})) as Summary;
      expect(after.invocations).toBe(1);
      expect(fn.stats).toMatchObject({ timeouts: 2, errors: 2, coldStarts: 3, environments: 1 });
    },
  );

  it('runs concurrent invocations in separate environments, up to its limit', async () => {
    const fn = lambda({ module: fixture('counting-handler'), maxEnvironments: 2, timeoutMs: 15_000 });
    const results = (await Promise.all(Array.from({ length: 6 }, () => fn.invoke({})))) as Summary[];
    // Two environments each counted from 1; the other invocations waited for one of them.
    expect(results.filter((r) => r.invocations === 1)).toHaveLength(2);
    expect(new Set(results.map((r) => r.awsRequestId)).size).toBe(6);
    expect(fn.stats).toMatchObject({ coldStarts: 2, environments: 2, invocations: 6 });
  });

  it('fails start() with the Init error, as a function with a bad configuration does', async () => {
    const fn = lambda({ module: fixture('failing-init') });
    await expect(fn.start()).rejects.toThrow('invalid configuration: TABLE_NAME: required');
    await expect(fn.invoke({})).rejects.toBeInstanceOf(FunctionError);
  });
});

describe('SharedEnvironment (every function in one worker thread)', () => {
  const settings = (functionName: string, timeoutMs: number): LambdaFunctionOptions => ({
    functionName,
    module: fixture('counting-handler'),
    timeoutMs,
    memoryMB: 256,
    environment: { FIXTURE_VALUE: functionName },
  });

  it('runs the functions side by side with a fresh context each, and stops all of them when one overruns', async () => {
    const host = new SharedEnvironment([settings('sanwang-fast', 15_000), settings('sanwang-slow', 1_000)]);
    running.push(host);
    const fast = host.function('sanwang-fast');
    const slow = host.function('sanwang-slow');
    await host.start();
    const first = (await fast.invoke({})) as Summary;
    expect(first.remainingMs).toBeGreaterThan(10_000);

    // The fast function's invocation was still running when the slow one's overran: it stops with the environment.
    const [overrun, bystander] = await Promise.allSettled([
      slow.invoke({ overrun: 'await' }),
      fast.invoke({ overrun: 'await' }),
    ]);
    expect(overrun).toMatchObject({ status: 'rejected', reason: expect.any(FunctionTimeoutError) });
    expect(bystander).toMatchObject({ status: 'rejected', reason: { name: 'Runtime.ExitError' } });

    const after = (await fast.invoke({})) as Summary;
    expect(after.invocations).toBe(1);
    expect(fast.stats).toMatchObject({ invocations: 3, errors: 1, timeouts: 0, coldStarts: 2, environments: 1 });
    expect(slow.stats).toMatchObject({ invocations: 1, errors: 1, timeouts: 1 });
  });
});

describe('local HTTP API in front of a function', () => {
  const post = (url: string, path: string) => fetch(`${url}${path}`, { method: 'POST', body: '{}' });

  it('answers a request after the first minute like the first one: each request is a new invocation', async () => {
    let now = Date.now();
    const seen: number[] = [];
    // middy fails an invocation whose context has run out of time, as a shared context did after 60 s.
    const handler = middy(async (_event: unknown, context: { getRemainingTimeInMillis(): number }) => {
      seen.push(context.getRemainingTimeInMillis());
      return { statusCode: 202, body: '{}' };
    });
    const server = await startIngestServer({ handler: handler as never, now: () => now });
    running.push({ stop: server.close });
    expect((await post(server.url, '/v1/events')).status).toBe(202);
    now += 61_000;
    expect((await post(server.url, '/v1/events')).status).toBe(202);
    now += 60 * 60_000;
    expect((await post(server.url, '/v1/events')).status).toBe(202);
    expect(seen).toEqual(Array(3).fill(functionSettings.ingest.timeoutSeconds * 1000));
  });

  it('answers 500 when the function overruns its timeout, and 202 again from a fresh environment', async () => {
    const fn = lambda({ module: fixture('counting-handler') });
    const server = await startIngestServer({ function: fn });
    running.push({ stop: server.close });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect((await post(server.url, '/v1/events/overrun')).status).toBe(500);
      expect(error).toHaveBeenCalledWith('ingest function failed:', expect.stringContaining('Sandbox.Timedout'));
    } finally {
      error.mockRestore();
    }
    const next = await post(server.url, '/v1/events');
    expect(next.status).toBe(202);
    expect(((await next.json()) as Summary).invocations).toBe(1);
  });

  it('answers 504 when the integration times out before the function does', async () => {
    const fn = lambda({ module: fixture('counting-handler'), timeoutMs: 60_000 });
    const server = await startIngestServer({ function: fn, integrationTimeoutMs: 500 });
    running.push({ stop: server.close });
    const response = await post(server.url, '/v1/events/overrun');
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ message: 'Gateway Timeout' });
  });
});

describe('stream event source in front of a function', () => {
  let servers: LocalServers;
  let clients: LocalAwsClients;

  beforeAll(async () => {
    vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    servers = await startLocalServers();
    clients = createLocalAwsClients(servers.endpoints);
  });

  afterAll(async () => {
    clients?.destroy();
    await servers?.stop();
  });

  it('retries a batch whose invocation overran, in a new environment, and then moves on', async () => {
    const streamName = `overrun-${randomUUID().slice(0, 8)}`;
    await ensureStream(clients, streamName, 1);
    await clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [1, 2, 3].map((n) => ({ PartitionKey: 'cam', Data: Buffer.from(String(n)) })),
      }),
    );
    const marker = join(mkdtempSync(join(tmpdir(), 'sanwang-')), 'marker');
    const fn = lambda({ module: fixture('overrun-once'), environment: { FIXTURE_MARKER: marker } });
    const delivered: KinesisStreamEvent[] = [];
    const source = new KinesisEventSource({
      kinesis: clients.kinesis,
      streamName,
      function: {
        functionName: fn.functionName,
        timeoutMs: fn.timeoutMs,
        invoke: (event) => {
          delivered.push(event as KinesisStreamEvent);
          return fn.invoke(event);
        },
      },
      pollIntervalMs: 5,
      retryBackoffMs: 2,
      logger: { warn: () => {} },
    });
    running.push(source);
    await source.start();
    await source.drain({ timeoutMs: 20_000 });
    expect(existsSync(marker)).toBe(true);
    expect(delivered.map((e) => e.Records.length)).toEqual([3, 3]);
    expect(source.stats).toMatchObject({ batches: 2, retries: 1, failuresSentToDestination: 0 });
    expect(source.stats.lastError).toContain('Sandbox.Timedout');
    expect(fn.stats).toMatchObject({ timeouts: 1, coldStarts: 2 });
  });
});
