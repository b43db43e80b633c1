// The platform side of `npm run load`: started by bench/load.ts as a child process (so the load generator never
// shares its event loop), it runs the local platform and answers the generator over the IPC channel.
import { startPlatform } from '../local/platform.ts';
import { ownThreadCpuMs } from '../local/thread-cpu.ts';

export interface PlatformReady {
  type: 'ready';
  apiUrl: string;
  endpoints: { dynamodb: string; sqs: string };
  tableName: string;
  smsEndpoint: string;
}

export interface PlatformStats {
  type: 'stats';
  at: number;
  rules: { batches: number; records: number; retries: number };
  notify: { batches: number; records: number; retries: number };
  failures: { rules: number; notify: number };
  memoryMB: number;
  /** CPU of the whole process (every thread), milliseconds. */
  cpuMs: number;
  /** CPU milliseconds of each thread or group of threads (Linux; empty elsewhere). */
  threadCpuMs: Record<string, number>;
  functions: Record<string, { coldStarts: number; timeouts: number; environments: number }>;
}

export type PlatformCommand = { type: 'stats' } | { type: 'stop' };

if (!process.send) throw new Error('bench/load-platform.ts runs as a child of bench/load.ts (IPC channel)');
const send = (message: PlatformReady | PlatformStats) => process.send?.(message);

// Set by `npm run load -- --batching-window MS --ingest-environments N --server-threads each`, to try settings.
const { LOAD_BATCHING_WINDOW_MS: window, LOAD_INGEST_ENVIRONMENTS: ingest, LOAD_SERVER_THREADS: threads } = process.env;
const platform = await startPlatform({
  deskApiPort: 0,
  apiPort: 0,
  logLevel: 'ERROR',
  ...(window ? { batchingWindowMs: Number(window) } : {}),
  ...(ingest ? { maxEnvironments: { ingest: Number(ingest) } } : {}),
  ...(threads === 'each' || threads === 'shared' || threads === 'main' ? { serverThreads: threads } : {}),
  ...(isFunctionsMode(process.env.LOAD_FUNCTIONS) ? { functions: process.env.LOAD_FUNCTIONS } : {}),
});
send({
  type: 'ready',
  apiUrl: platform.apiUrl,
  endpoints: { dynamodb: platform.servers.endpoints.dynamodb, sqs: platform.servers.endpoints.sqs },
  tableName: platform.resources.tableName,
  smsEndpoint: platform.sms.endpoint,
});

/** CPU per thread: this one (event sources, the HTTP API), each server, each function's environments. */
async function threadCpu(): Promise<Record<string, number>> {
  const main = ownThreadCpuMs();
  // Optional calls: a platform without worker threads (before they came) has only the main thread to show.
  const servers = (await platform.servers.cpuMs?.()) ?? {};
  const functions = (await platform.functionsCpuMs?.()) ?? {};
  return { ...(main === undefined ? {} : { main }), ...servers, ...functions };
}

function isFunctionsMode(mode: string | undefined): mode is 'shared' | 'environments' | 'in-process' {
  return mode === 'shared' || mode === 'environments' || mode === 'in-process';
}

process.on('message', async (command: PlatformCommand) => {
  if (command.type === 'stats') {
    const counts = (s: { batches: number; records: number; retries: number }) => ({
      batches: s.batches,
      records: s.records,
      retries: s.retries,
    });
    send({
      type: 'stats',
      at: Date.now(),
      rules: counts(platform.rules.stats),
      notify: counts(platform.notify.stats),
      failures: { rules: platform.failures.rules.length, notify: platform.failures.notify.length },
      memoryMB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      threadCpuMs: await threadCpu(),
      functions: Object.fromEntries(
        Object.entries(platform.functions ?? {}).map(([k, f]) => [
          k,
          { coldStarts: f.stats.coldStarts, timeouts: f.stats.timeouts, environments: f.stats.environments },
        ]),
      ),
    });
  } else if (command.type === 'stop') {
    await platform.stop();
    process.exit(0);
  }
});
process.on('disconnect', () => {
  void platform.stop().then(() => process.exit(0));
});
