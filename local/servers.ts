import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import kinesalite from 'kinesalite';
import { installSnsCompat } from './fauxqs-compat.ts';

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
  ports: { dynamodb: number; kinesis: number; sns: number };
  stop(): Promise<void>;
}

/** A local server failed to start; names the server, the address and the cause (e.g. the port is in use). */
export class LocalServerError extends Error {
  override name = 'LocalServerError';
}

// Short state transitions keep table and stream creation fast; provision still waits for ACTIVE.
const TRANSITION_MS = 10;

/**
 * Starts dynalite (DynamoDB), kinesalite (Kinesis) and fauxqs (SNS + SQS) in memory on `host` (loopback by default).
 * @example const servers = await startLocalServers(); // ports chosen by the OS
 */
export async function startLocalServers(options: LocalServerOptions = {}): Promise<LocalServers> {
  const host = options.host ?? '127.0.0.1';
  const started: Array<() => Promise<void>> = [];
  const stopAll = () => Promise.allSettled(started.map((stop) => stop())).then(() => undefined);
  try {
    const dynamo = dynalite({
      createTableMs: TRANSITION_MS,
      deleteTableMs: TRANSITION_MS,
      updateTableMs: TRANSITION_MS,
    });
    const dynamodbPort = await listenHttp(dynamo, 'DynamoDB (dynalite)', host, options.dynamodbPort ?? 0);
    started.push(() => closeHttp(dynamo));

    const kinesis = kinesalite({
      createStreamMs: TRANSITION_MS,
      deleteStreamMs: TRANSITION_MS,
      updateStreamMs: TRANSITION_MS,
      shardLimit: 100,
    });
    const kinesisPort = await listenHttp(kinesis, 'Kinesis (kinesalite)', host, options.kinesisPort ?? 0);
    started.push(() => closeHttp(kinesis));

    // buildApp + listen instead of startFauxqs: startFauxqs always binds 0.0.0.0, and its `host` option only
    // rewrites queue URLs (to sqs.<region>.<host>), it does not choose the interface.
    const sns = buildApp({ logger: false });
    installSnsCompat(sns);
    const snsPort = await listenFauxqs(sns, host, options.snsPort ?? 0);
    started.push(() => sns.close());

    let stopping: Promise<void> | undefined;
    const snsEndpoint = endpoint(host, snsPort);
    return {
      host,
      endpoints: {
        dynamodb: endpoint(host, dynamodbPort),
        kinesis: endpoint(host, kinesisPort),
        sns: snsEndpoint,
        sqs: snsEndpoint,
      },
      ports: { dynamodb: dynamodbPort, kinesis: kinesisPort, sns: snsPort },
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function endpoint(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function listenHttp(server: Server, label: string, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(label, host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function listenFauxqs(app: ReturnType<typeof buildApp>, host: string, port: number): Promise<number> {
  try {
    const address = await app.listen({ host, port });
    return Number(new URL(address).port);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw listenError('SNS/SQS (fauxqs)', host, port, error as NodeJS.ErrnoException);
  }
}

function listenError(label: string, host: string, port: number, error: NodeJS.ErrnoException): LocalServerError {
  const reason =
    error.code === 'EADDRINUSE'
      ? `port ${port} is already in use (pass another port, or 0 for a free one)`
      : error.code === 'EADDRNOTAVAIL'
        ? `address ${host} is not available on this machine`
        : error.message;
  return new LocalServerError(`${label} could not listen on ${host}:${port}: ${reason}`, { cause: error });
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets of SDK clients would otherwise hold close() open until they time out.
    server.closeIdleConnections();
  });
}
