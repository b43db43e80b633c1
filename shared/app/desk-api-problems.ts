import type { z } from 'zod';
import type { Problem } from './desk-api-schemas.ts';

/** An HTTP answer of the duty-desk API (the edge turns it into API Gateway's result). */
export interface DeskApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The kinds of problem the API answers, with their titles; `type` is `urn:sanwang:problem:<kind>`. */
export const PROBLEM_KINDS = {
  'invalid-request': { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'No usable sign-in' },
  forbidden: { status: 403, title: 'Not within your desk' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'The incident has moved on' },
  'payload-too-large': { status: 413, title: 'Body too large' },
  'unsupported-media-type': { status: 415, title: 'Send JSON' },
  unprocessable: { status: 422, title: 'The request cannot be carried out' },
  unavailable: { status: 503, title: 'Try again shortly' },
} as const;
export type ProblemKind = keyof typeof PROBLEM_KINDS;

export const PROBLEM_TYPE_PREFIX = 'urn:sanwang:problem:';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): DeskApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * An RFC 9457 problem answer (`application/problem+json`). `extra` carries a 400's `field` or a 409's `state`/`by`.
 * @example problem('not-found', 'no incident has this id') // 404 { type: 'urn:sanwang:problem:not-found', … }
 */
export function problem(
  kind: ProblemKind,
  detail: string,
  extra: Partial<Omit<Problem, 'type' | 'title' | 'status' | 'detail'>> = {},
  headers: Record<string, string> = {},
): DeskApiResponse {
  const { status, title } = PROBLEM_KINDS[kind];
  const body: Problem = { type: `${PROBLEM_TYPE_PREFIX}${kind}`, title, status, detail, ...extra };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** Where a value came from: the query's parameters or the body's fields. */
export type Origin = 'query' | 'body';

/**
 * The first issue of a failed parse as a field and a message that says what is allowed and never repeats what was
 * sent (not even an unknown key, which is the sender's text too). Parse with `reportInput` so a missing field shows.
 */
export function describeIssue(
  error: z.ZodError,
  origin: Origin,
  allowedKeys: readonly string[],
): { field: string; message: string } {
  const issue = error.issues[0]!;
  // A query parameter is named as sent (`state`, not `state.1`); a body field by its whole path.
  const field = issue.path.length === 0 ? origin : origin === 'query' ? String(issue.path[0]) : issue.path.join('.');
  const noun = origin === 'query' ? 'parameter' : 'field';
  const unit = issue.code === 'too_big' || issue.code === 'too_small' ? unitOf(issue.origin) : '';
  switch (issue.code) {
    case 'invalid_type':
      return {
        field,
        message: issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`,
      };
    case 'invalid_value':
      return { field, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'unrecognized_keys':
      return {
        field,
        message: `has ${issue.keys.length} unknown ${noun}(s); allowed: ${allowedKeys.join(', ') || 'none'}`,
      };
    case 'too_big':
      return { field, message: `must be at most ${issue.maximum}${unit}` };
    case 'too_small':
      return { field, message: `must be at least ${issue.minimum}${unit}` };
    case 'invalid_union':
      return { field, message: 'does not match any allowed shape' };
    default:
      // Our own messages (regexes, refinements) and zod's for the remaining codes quote no input.
      return { field, message: issue.message };
  }
}

function unitOf(origin: string): string {
  return origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
