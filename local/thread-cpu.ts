// Where the load test's CPU figures per thread come from (Linux: /proc/thread-self/stat). No other imports: every
// worker thread loads this.
import { readFileSync } from 'node:fs';
import { parentPort, type Worker } from 'node:worker_threads';

/** CPU milliseconds the calling thread has used (Linux only; undefined elsewhere). */
export function ownThreadCpuMs(): number | undefined {
  try {
    // utime and stime, in clock ticks (100 a second), after the parenthesised command name.
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** In a worker: answers workerCpuMs() with this thread's CPU time. */
export function answerCpuRequests(): void {
  parentPort?.on('message', (message: { type?: string }) => {
    if (message?.type === 'thread-cpu')
      parentPort?.postMessage({ type: 'thread-cpu', cpuMs: ownThreadCpuMs() ?? null });
  });
}

/** CPU milliseconds a worker that calls answerCpuRequests() has used (Linux only); undefined when it cannot tell. */
export function workerCpuMs(worker: Worker): Promise<number | undefined> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string; cpuMs?: number | null }) => {
      if (message?.type !== 'thread-cpu') return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(message.cpuMs ?? undefined);
    };
    const onExit = () => {
      worker.off('message', onMessage);
      resolve(undefined);
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    worker.postMessage({ type: 'thread-cpu' });
  });
}
