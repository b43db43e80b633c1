// Runs inside a worker thread started by lambda-function.ts: one execution environment of one function.
import { parentPort, workerData } from 'node:worker_threads';
import { contextFor, type InvocationSpec } from './lambda-context.ts';
import { answerCpuRequests } from './thread-cpu.ts';

/** Parent → environment: run one invocation. */
export interface InvokeMessage {
  type: 'invoke';
  spec: InvocationSpec;
  event: unknown;
}

/** Environment → parent: Init finished, or an invocation's result (the JSON Lambda would return) or error. */
export type EnvironmentMessage =
  | { type: 'ready' }
  | { type: 'result'; ok: true; json: string }
  | { type: 'result'; ok: false; error: { name: string; message: string; stack?: string } };

if (parentPort) {
  const port = parentPort;
  answerCpuRequests();
  const { module, exportName } = workerData as { module: string; exportName: string };
  // Init: the module's top level runs once per environment, as in Lambda (config, clients, middy).
  const handler = ((await import(module)) as Record<string, unknown>)[exportName];
  if (typeof handler !== 'function') throw new Error(`${module} exports no function named ${exportName}`);

  port.on('message', async (message: InvokeMessage | { type: string }) => {
    if (message.type !== 'invoke') return;
    const { event, spec } = message as InvokeMessage;
    try {
      const value = await handler(event, contextFor(spec));
      // Lambda hands back the JSON of the result, never the object.
      port.postMessage({
        type: 'result',
        ok: true,
        json: JSON.stringify(value) ?? 'null',
      } satisfies EnvironmentMessage);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({
        type: 'result',
        ok: false,
        error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
      } satisfies EnvironmentMessage);
    }
  });
  port.postMessage({ type: 'ready' } satisfies EnvironmentMessage);
}
