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
