// Runs inside a worker thread started by servers.ts: one local server (dynalite, kinesalite or fauxqs), so the
// servers do their work on other cores than the event sources and the functions.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import kinesalite from 'kinesalite';
import { startH2cProxy } from './h2c-proxy.ts';
import { answerCpuRequests } from './thread-cpu.ts';

export type ServerKind = 'dynamodb' | 'kinesis' | 'sns';

/** What the parent asks for: the servers this thread runs, each on a port (0: a free one). */
export interface ServerWorkerData {
  host: string;
  servers: Array<{ kind: ServerKind; port: number }>;
}

/** Where one server listens; Kinesis also has its HTTP/2 front. */
export interface ServerPorts {
  port: number;
  http2Port?: number;
}

/** Worker → parent: listening, failed to listen (nothing left listening), or closed. */
export type ServerWorkerMessage =
  | { type: 'listening'; ports: Partial<Record<ServerKind, ServerPorts>> }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

/** Parent → worker: close the server, then the worker ends. */
export type ServerWorkerCommand = { type: 'close' };

export const SERVER_LABELS: Record<ServerKind, string> = {
  dynamodb: 'DynamoDB (dynalite)',
  kinesis: 'Kinesis (kinesalite)',
  sns: 'SNS/SQS (fauxqs)',
};

// Short state transitions keep table and stream creation fast; provision still waits for ACTIVE.
const TRANSITION_MS = 10;

/** Starts one server on host:port; resolves with its port and a close(). Throws a message naming server and cause. */
export async function startServer(kind: ServerKind, host: string, port: number) {
  if (kind === 'sns') {
    // buildApp + listen instead of startFauxqs: startFauxqs always binds 0.0.0.0, and its `host` option only
    // rewrites queue URLs (to sqs.<region>.<host>), it does not choose the interface.
    const sns = buildApp({ logger: false });
    try {
      const address = await sns.listen({ host, port });
      return { port: Number(new URL(address).port), close: () => sns.close() };
    } catch (error) {
      await sns.close().catch(() => undefined);
      throw listenError(kind, host, port, error as NodeJS.ErrnoException);
    }
  }
  const server: Server =
    kind === 'dynamodb'
      ? dynalite({ createTableMs: TRANSITION_MS, deleteTableMs: TRANSITION_MS, updateTableMs: TRANSITION_MS })
      : kinesalite({
          createStreamMs: TRANSITION_MS,
          deleteStreamMs: TRANSITION_MS,
          updateStreamMs: TRANSITION_MS,
          shardLimit: 100,
        });
  const actual = await new Promise<number>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(kind, host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
      server.closeIdleConnections();
    });
  if (kind !== 'kinesis') return { port: actual, close };
  // The AWS SDK's Kinesis client speaks only HTTP/2: its front lives beside kinesalite, on the same thread.
  const http2 = await startH2cProxy(`http://${urlHost(host)}:${actual}`, host);
  return {
    port: actual,
    http2Port: Number(new URL(http2.url).port),
    close: async () => {
      await http2.close();
      await close();
    },
  };
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listenError(kind: ServerKind, host: string, port: number, error: NodeJS.ErrnoException): Error {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${port} is already in use (pass another port, or 0 for a free one)`
      : error.code === 'EADDRNOTAVAIL'
        ? `address ${host} is not available on this machine`
        : error.message;
  return new Error(`${SERVER_LABELS[kind]} could not listen on ${host}:${port}: ${reason}`);
}

if (parentPort) {
  const port = parentPort;
  answerCpuRequests();
  const { host, servers } = workerData as ServerWorkerData;
  const started: Array<Awaited<ReturnType<typeof startServer>>> = [];
  const closeAll = () => Promise.allSettled(started.map((server) => server.close()));
  try {
    const ports: Partial<Record<ServerKind, ServerPorts>> = {};
    for (const { kind, port: wanted } of servers) {
      const server = await startServer(kind, host, wanted);
      started.push(server);
      ports[kind] = { port: server.port, ...('http2Port' in server ? { http2Port: server.http2Port } : {}) };
    }
    port.on('message', async (command: ServerWorkerCommand) => {
      if (command.type !== 'close') return;
      await closeAll();
      port.postMessage({ type: 'closed' } satisfies ServerWorkerMessage);
      port.close();
    });
    port.postMessage({ type: 'listening', ports } satisfies ServerWorkerMessage);
  } catch (error) {
    await closeAll();
    port.postMessage({ type: 'failed', message: (error as Error).message } satisfies ServerWorkerMessage);
    port.close();
  }
}
