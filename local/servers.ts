import type { Worker } from 'node:worker_threads';
import type { ServerKind, ServerWorkerCommand, ServerWorkerData, ServerWorkerMessage } from './server-worker.ts';
import { workerCpuMs } from './thread-cpu.ts';
import { startWorker } from './worker-thread.ts';

/** Where to listen; port 0 lets the OS choose a free port. */
export interface LocalServerOptions {
  host?: string;
  dynamodbPort?: number;
  kinesisPort?: number;
  snsPort?: number;
}

/** Base URLs of the local servers; SNS and SQS share one fauxqs server. */
export interface LocalEndpoints {
  dynamodb: string;
  kinesis: string;
  sns: string;
  sqs: string;
}

/** Running local servers: their endpoints, actual ports and an idempotent `stop()`. */
export interface LocalServers {
  host: string;
  endpoints: LocalEndpoints;
  /** kinesalite behind an HTTP/2 front, for the AWS SDK's default Kinesis client (h2c-proxy.ts). */
  kinesisHttp2Endpoint: string;
  ports: { dynamodb: number; kinesis: number; sns: number };
  /** CPU milliseconds of each server's thread so far (Linux), for the load test's account of the time. */
  cpuMs(): Promise<Partial<Record<ServerKind, number>>>;
  stop(): Promise<void>;
}

/** A local server failed to start; names the server, the address and the cause (e.g. the port is in use). */
export class LocalServerError extends Error {
  override name = 'LocalServerError';
}

interface RunningServer {
  worker: Worker;
  port: number;
  http2Port?: number;
}

/**
 * Starts dynalite (DynamoDB), kinesalite (Kinesis, with its HTTP/2 front) and fauxqs (SNS + SQS) in memory on
 * `host` (loopback by default), each in its own worker thread: these single-threaded servers then use the cores the
 * functions and event sources leave free, instead of queueing behind them on one event loop.
 * @example const servers = await startLocalServers(); // ports chosen by the OS
 */
export async function startLocalServers(options: LocalServerOptions = {}): Promise<LocalServers> {
  const host = options.host ?? '127.0.0.1';
  const wanted: Record<ServerKind, number> = {
    dynamodb: options.dynamodbPort ?? 0,
    kinesis: options.kinesisPort ?? 0,
    sns: options.snsPort ?? 0,
  };
  const kinds = Object.keys(wanted) as ServerKind[];
  const results = await Promise.allSettled(kinds.map((kind) => startServer({ kind, host, port: wanted[kind] })));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = () => Promise.allSettled(running.map(stopServer)).then(() => undefined);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const [dynamodb, kinesis, sns] = running as [RunningServer, RunningServer, RunningServer];
  let stopping: Promise<void> | undefined;
  const snsEndpoint = endpoint(host, sns.port);
  return {
    host,
    endpoints: {
      dynamodb: endpoint(host, dynamodb.port),
      kinesis: endpoint(host, kinesis.port),
      sns: snsEndpoint,
      sqs: snsEndpoint,
    },
    kinesisHttp2Endpoint: endpoint(host, kinesis.http2Port ?? 0),
    ports: { dynamodb: dynamodb.port, kinesis: kinesis.port, sns: sns.port },
    cpuMs: async () => {
      const [d, k, s] = await Promise.all([dynamodb, kinesis, sns].map((server) => workerCpuMs(server.worker)));
      return {
        ...(d === undefined ? {} : { dynamodb: d }),
        ...(k === undefined ? {} : { kinesis: k }),
        ...(s === undefined ? {} : { sns: s }),
      };
    },
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

function endpoint(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function startServer(data: ServerWorkerData): Promise<RunningServer> {
  const worker = await startWorker(new URL('./server-worker.ts', import.meta.url), { ...data });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      void worker.terminate();
      reject(error);
    };
    worker.once('error', (error) => fail(new LocalServerError(`local server ${data.kind} failed: ${error.message}`)));
    worker.once('exit', (code) => fail(new LocalServerError(`local server ${data.kind} exited with code ${code}`)));
    worker.once('message', (message: ServerWorkerMessage) => {
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      if (message.type === 'failed') return fail(new LocalServerError(message.message));
      if (message.type !== 'listening') return fail(new LocalServerError(`local server ${data.kind}: no port`));
      // The server's thread keeps the process alive only while the process has other work.
      resolve({
        worker,
        port: message.port,
        ...(message.http2Port === undefined ? {} : { http2Port: message.http2Port }),
      });
    });
  });
}

/** Closes the server (its idle keep-alive sockets too), then ends its thread. */
async function stopServer(server: RunningServer): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.worker.on('message', (message: ServerWorkerMessage) => {
      if (message.type === 'closed') resolve();
    });
    server.worker.once('exit', () => resolve());
  });
  server.worker.postMessage({ type: 'close' } satisfies ServerWorkerCommand);
  await closed;
  await server.worker.terminate();
}
