import { Worker, type WorkerOptions } from 'node:worker_threads';
import { bundleModule } from './bundle.ts';

/**
 * A worker thread running the TypeScript module `entry` (e.g. `new URL('./server-worker.ts', import.meta.url)`),
 * bundled first (bundle.ts), with `data` as its workerData.
 */
export async function startWorker(
  entry: URL,
  data: Record<string, unknown>,
  options: Omit<WorkerOptions, 'workerData'> = {},
): Promise<Worker> {
  return new Worker(await bundleModule(entry), { execArgv: workerExecArgv(), ...options, workerData: data });
}

/**
 * This process's profiling options (`--cpu-prof`, `--heap-prof` …), for a worker. Not the rest: the TypeScript
 * loader `npm start` runs under would start a module-hooks thread in each worker (they load bundles), and V8 and
 * process-wide options apply to every thread anyway (a worker given one fails to start).
 */
export function workerExecArgv(): string[] {
  const args: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!/^--(cpu|heap)-prof/.test(arg)) continue;
    args.push(arg);
    // --cpu-prof-dir DIR and the like take the next argument when not written with `=`.
    if (/^--(cpu|heap)-prof-(dir|name|interval)$/.test(arg) && argv[i + 1] !== undefined) args.push(argv[++i]!);
  }
  return args;
}
