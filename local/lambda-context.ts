import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION } from './aws-clients.ts';

/** Account id the local servers put in their ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** What a local invocation needs to know about the function it plays. */
export interface LocalFunction {
  functionName: string;
  /** The timeout the function has in AWS; only feeds getRemainingTimeInMillis (nothing is killed locally). */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  region?: string;
}

/** ARN of the execution role the event source reports as invokeIdentityArn. */
export function localRoleArn(functionName: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${functionName}-role`;
}

/** A Lambda `Context` for one local invocation. */
export function localLambdaContext(fn: LocalFunction, now: () => number = Date.now): Context {
  const deadline = now() + (fn.timeoutMs ?? 60_000);
  const region = fn.region ?? LOCAL_REGION;
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported locally: return or throw from the handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryLimitInMB ?? 256),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
