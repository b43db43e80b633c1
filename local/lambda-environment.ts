// Runs inside a worker thread started by lambda-function.ts: one execution environment, hosting one function (or,
// shared, every function), each handler module imported once.
import { parentPort, workerData } from 'node:worker_threads';
import { installClock } from '../shared/adapters/clock.ts';
import { contextFor, type InvocationSpec } from './lambda-context.ts';
import { SharedClock } from './shared-clock.ts';
import { answerCpuRequests } from './thread-cpu.ts';

/** Parent → environment: run one invocation of one hosted function. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  functionName: string;
  spec: InvocationSpec;
  event: unknown;
}

/** Environment → parent: Init finished, or an invocation's result (the JSON Lambda would return) or error. */
export type EnvironmentMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; ok: true; json: string }
  | { type: 'result'; id: number; ok: false; error: { name: string; message: string; stack?: string } };

type Handler = (event: unknown, context: unknown) => unknown;

if (parentPort) {
  const port = parentPort;
  answerCpuRequests();
  const { functions, clock } = workerData as {
    functions: Record<string, { module: string; exportName: string }>;
    clock?: SharedArrayBuffer;
  };
  // The platform's clock, before Init: the handlers read it through globalThis, whatever bundle they come from.
  if (clock) installClock(new SharedClock(clock));
  // Init: each module's top level runs once per environment, as in Lambda (config, clients, middy).
  const handlers = new Map<string, Handler>();
  for (const [name, { module, exportName }] of Object.entries(functions)) {
    const handler = ((await import(module)) as Record<string, unknown>)[exportName];
    if (typeof handler !== 'function') throw new Error(`${module} exports no function named ${exportName}`);
    handlers.set(name, handler as Handler);
  }

  port.on('message', async (message: InvokeMessage | { type: string }) => {
    if (message.type !== 'invoke') return;
    const { id, functionName, event, spec } = message as InvokeMessage;
    try {
      const handler = handlers.get(functionName);
      if (!handler) throw new Error(`no function ${functionName} in this environment`);
      const value = await handler(event, contextFor(spec));
      // Lambda hands back the JSON of the result, never the object.
      port.postMessage({
        type: 'result',
        id,
        ok: true,
        json: JSON.stringify(value) ?? 'null',
      } satisfies EnvironmentMessage);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.postMessage({
        type: 'result',
        id,
        ok: false,
        error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) },
      } satisfies EnvironmentMessage);
    }
  });
  port.postMessage({ type: 'ready' } satisfies EnvironmentMessage);
}
