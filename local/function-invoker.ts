import type { Context } from 'aws-lambda';
import { contextFor, FunctionTimeoutError, invocationSpec, type LocalFunction } from './lambda-context.ts';

/**
 * Runs invocations of one function as Lambda would: each with a fresh context whose deadline is the function's
 * timeout, failing (rejecting) when the handler throws or overruns, and with its own copy of the event (Lambda
 * hands over JSON), so a handler that mutates its event changes nothing its caller keeps. The event sources and
 * the local HTTP API call functions only through this.
 */
export interface FunctionInvoker {
  readonly functionName: string;
  readonly timeoutMs: number;
  invoke(event: unknown): Promise<unknown>;
}

/** A Lambda handler as the runtime calls it. */
export type LambdaHandler = (event: never, context: Context) => unknown;

/**
 * A handler run in this thread (tests, and sources given a plain function). Past the deadline the invocation fails
 * as in Lambda, but its work cannot be stopped: whatever it still awaits runs on. The platform runs its handlers
 * in worker-thread environments instead (lambda-function.ts), which are stopped.
 */
export function inProcessFunction(
  fn: LocalFunction & { timeoutMs: number },
  handler: LambdaHandler,
  now: () => number = Date.now,
): FunctionInvoker {
  return {
    functionName: fn.functionName,
    timeoutMs: fn.timeoutMs,
    invoke: (event) => {
      const spec = invocationSpec(fn, now);
      const context = contextFor(spec, now);
      return withDeadline(
        Promise.resolve().then(() => handler(structuredClone(event) as never, context)),
        spec.deadlineMs - now(),
        () => new FunctionTimeoutError(fn.functionName, fn.timeoutMs),
      );
    },
  };
}

/** `work`, or a rejection with `timeout()` once `ms` have passed, whichever comes first. */
export function withDeadline<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), Math.max(0, ms));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** A function the platform runs: invocations, plus its life and counters. */
export interface LocalFunctionRunner extends FunctionInvoker {
  /** Loads the handler (Init), so that a handler that cannot start fails here. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: {
    invocations: number;
    errors: number;
    timeouts: number;
    coldStarts: number;
    environments: number;
  };
  /** CPU milliseconds of threads of its own (none in this thread). */
  cpuMs(): Promise<number>;
}

/**
 * A handler module imported into this thread, once, and invoked with a fresh context and the function's timeout
 * per invocation: the cheaper way on a busy machine (no isolate per environment), at the price of what
 * inProcessFunction cannot do — an overrun fails but runs on, and concurrent invocations share one module.
 */
export function inProcessModule(fn: LocalFunction & { timeoutMs: number; module: URL }): LocalFunctionRunner {
  let invoker: FunctionInvoker | undefined;
  const stats = { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, environments: 0 };
  const start = async () => {
    if (invoker) return;
    const handler = ((await import(fn.module.href)) as { handler?: LambdaHandler }).handler;
    if (typeof handler !== 'function') throw new Error(`${fn.module.href} exports no function named handler`);
    invoker = inProcessFunction(fn, handler);
    stats.coldStarts = 1;
    stats.environments = 1;
  };
  return {
    functionName: fn.functionName,
    timeoutMs: fn.timeoutMs,
    start,
    stop: async () => {},
    stats,
    cpuMs: async () => 0,
    invoke: async (event) => {
      await start();
      stats.invocations += 1;
      try {
        return await (invoker as FunctionInvoker).invoke(event);
      } catch (error) {
        stats.errors += 1;
        if (error instanceof FunctionTimeoutError) stats.timeouts += 1;
        throw error;
      }
    },
  };
}
