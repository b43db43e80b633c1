import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION } from './aws-clients.ts';

/** Account id the local servers put in their ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** When a caller names no timeout: the longest the stack gives a function (rules, 60 s). */
const DEFAULT_TIMEOUT_MS = 60_000;

/** What a local invocation needs to know about the function it plays. */
export interface LocalFunction {
  functionName: string;
  /** The function's timeout (shared/function-settings.ts): the context's deadline, and when Lambda stops it. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  region?: string;
}

/** One invocation's context as plain data, so an execution environment in a worker thread can rebuild it. */
export interface InvocationSpec {
  functionName: string;
  memoryLimitInMB: number;
  region: string;
  awsRequestId: string;
  logStreamName: string;
  /** Epoch milliseconds: `getRemainingTimeInMillis()` counts down to it. */
  deadlineMs: number;
}

/**
 * Thrown when an invocation runs past its function's timeout: Lambda stops it and reports the invocation as
 * failed (`Sandbox.Timedout`), so a stream batch is retried and the HTTP API answers 500.
 */
export class FunctionTimeoutError extends Error {
  override name = 'Sandbox.Timedout';
  constructor(
    readonly functionName: string,
    readonly timeoutMs: number,
  ) {
    super(`${functionName}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/** ARN of the execution role the event source reports as invokeIdentityArn. */
export function localRoleArn(functionName: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${functionName}-role`;
}

/** The spec of a new invocation of `fn` starting now: a fresh request id and the function's whole timeout. */
export function invocationSpec(fn: LocalFunction, now: () => number = Date.now): InvocationSpec {
  return {
    functionName: fn.functionName,
    memoryLimitInMB: fn.memoryLimitInMB ?? 256,
    region: fn.region ?? LOCAL_REGION,
    awsRequestId: randomUUID(),
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    deadlineMs: now() + (fn.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  };
}

/** The Lambda `Context` of one invocation; build one per invocation, never share it. */
export function contextFor(spec: InvocationSpec, now: () => number = Date.now): Context {
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported locally: return or throw from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: spec.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${spec.region}:${LOCAL_ACCOUNT_ID}:function:${spec.functionName}`,
    memoryLimitInMB: String(spec.memoryLimitInMB),
    awsRequestId: spec.awsRequestId,
    logGroupName: `/aws/lambda/${spec.functionName}`,
    logStreamName: spec.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, spec.deadlineMs - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** A Lambda `Context` for one local invocation starting now. */
export function localLambdaContext(fn: LocalFunction, now: () => number = Date.now): Context {
  return contextFor(invocationSpec(fn, now), now);
}
