import type { Worker } from 'node:worker_threads';
import type {
  ServerKind,
  ServerPorts,
  ServerWorkerCommand,
  ServerWorkerData,
  ServerWorkerMessage,
} from './server-worker.ts';
import { workerCpuMs } from './thread-cpu.ts';
import { startWorker } from './worker-thread.ts';

/** Where to listen; port 0 lets the OS choose a free port. */
export interface LocalServerOptions {
  host?: string;
  dynamodbPort?: number;
  kinesisPort?: number;
  snsPort?: number;
  /** Default `shared`: one thread for the three servers. */
  serverThreads?: ServerThreads;
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
  /** CPU milliseconds of each server thread so far (Linux), by the servers it runs (`dynamodb+kinesis+sns`). */
  cpuMs(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** A local server failed to start; names the server, the address and the cause (e.g. the port is in use). */
export class LocalServerError extends Error {
  override name = 'LocalServerError';
}

/** One thread of servers and where they listen. */
interface ServerThread {
  worker: Worker;
  ports: Partial<Record<ServerKind, ServerPorts>>;
}

/**
 * How the servers share threads. One thread for all three is the default: at 500 events/s they need about half a
 * core between them, and each thread is a V8 isolate of its own (heap, collector and compiler work) on a 2-core
 * machine; `each` gives every server its own thread.
 */
export type ServerThreads = 'shared' | 'each' | 'main';

/**
 * Starts dynalite (DynamoDB), kinesalite (Kinesis, with its HTTP/2 front) and fauxqs (SNS + SQS) in memory on
 * `host` (loopback by default), in worker threads: these single-threaded servers then use the core the functions and
 * event sources leave free, instead of queueing behind them on one event loop.
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
  if (options.serverThreads === 'main') return startHere(host, kinds, wanted);
  const groups = (options.serverThreads ?? 'shared') === 'each' ? kinds.map((k) => [k]) : [kinds];
  const results = await Promise.allSettled(
    groups.map((group) => startThread({ host, servers: group.map((kind) => ({ kind, port: wanted[kind] })) })),
  );
  const threads = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = () => Promise.allSettled(threads.map(stopThread)).then(() => undefined);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  const ports = Object.assign({}, ...threads.map((t) => t.ports)) as Record<ServerKind, ServerPorts>;
  let stopping: Promise<void> | undefined;
  const snsEndpoint = endpoint(host, ports.sns.port);
  return {
    host,
    endpoints: {
      dynamodb: endpoint(host, ports.dynamodb.port),
      kinesis: endpoint(host, ports.kinesis.port),
      sns: snsEndpoint,
      sqs: snsEndpoint,
    },
    kinesisHttp2Endpoint: endpoint(host, ports.kinesis.http2Port ?? 0),
    ports: { dynamodb: ports.dynamodb.port, kinesis: ports.kinesis.port, sns: ports.sns.port },
    cpuMs: async () => {
      const cpu = await Promise.all(threads.map((t) => workerCpuMs(t.worker)));
      const named = threads.map((t, i) => [Object.keys(t.ports).join('+'), cpu[i]] as const);
      return Object.fromEntries(named.filter((entry): entry is [string, number] => entry[1] !== undefined));
    },
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** The servers in this thread (as before they had threads of their own), to compare under load. */
async function startHere(host: string, kinds: ServerKind[], wanted: Record<ServerKind, number>): Promise<LocalServers> {
  const { startServer } = await import('./server-worker.ts');
  const started: Array<Awaited<ReturnType<typeof startServer>>> = [];
  const ports: Partial<Record<ServerKind, ServerPorts>> = {};
  try {
    for (const kind of kinds) {
      const server = await startServer(kind, host, wanted[kind]);
      started.push(server);
      ports[kind] = { port: server.port, ...('http2Port' in server ? { http2Port: server.http2Port } : {}) };
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw new LocalServerError((error as Error).message);
  }
  const p = ports as Record<ServerKind, ServerPorts>;
  let stopping: Promise<void> | undefined;
  return {
    host,
    endpoints: {
      dynamodb: endpoint(host, p.dynamodb.port),
      kinesis: endpoint(host, p.kinesis.port),
      sns: endpoint(host, p.sns.port),
      sqs: endpoint(host, p.sns.port),
    },
    kinesisHttp2Endpoint: endpoint(host, p.kinesis.http2Port ?? 0),
    ports: { dynamodb: p.dynamodb.port, kinesis: p.kinesis.port, sns: p.sns.port },
    cpuMs: async () => ({}),
    stop: () => {
      stopping ??= Promise.allSettled(started.map((s) => s.close())).then(() => undefined);
      return stopping;
    },
  };
}

function endpoint(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function startThread(data: ServerWorkerData): Promise<ServerThread> {
  const worker = await startWorker(new URL('./server-worker.ts', import.meta.url), { ...data });
  const names = data.servers.map((s) => s.kind).join(', ');
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      void worker.terminate();
      reject(error);
    };
    worker.once('error', (error) => fail(new LocalServerError(`local servers (${names}) failed: ${error.message}`)));
    worker.once('exit', (code) => fail(new LocalServerError(`local servers (${names}) exited with code ${code}`)));
    worker.once('message', (message: ServerWorkerMessage) => {
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      if (message.type === 'failed') return fail(new LocalServerError(message.message));
      if (message.type !== 'listening') return fail(new LocalServerError(`local servers (${names}): no ports`));
      resolve({ worker, ports: message.ports });
    });
  });
}

/** Closes the thread's servers (their idle keep-alive sockets too), then ends it. */
async function stopThread(server: ServerThread): Promise<void> {
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
