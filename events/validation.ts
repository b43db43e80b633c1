import type { z } from 'zod';
import { EVENT_NETWORK, EventEnvelope, type SanwangEvent } from './envelope.ts';

/** One problem with one field, in words an integrator can act on; never echoes the submitted value. */
export interface FieldIssue {
  path: string;
  message: string;
}

export type EventParseResult = { ok: true; event: SanwangEvent } | { ok: false; issues: FieldIssue[] };

/** Validates an untrusted value as a canonical event envelope v1. */
export function parseEvent(input: unknown): EventParseResult {
  const parsed = EventEnvelope.safeParse(input);
  if (parsed.success) return { ok: true, event: parsed.data as SanwangEvent };
  return { ok: false, issues: describeIssues(parsed.error.issues, input) };
}

/** Joins issues into one line: `payload.state: must be one of active, inactive; place.county: …`. */
export function formatIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ');
}

function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldIssue[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: plainMessage(issue, input) }));
}

// zod's defaults read like "Invalid input: expected string, received number"; integrators get shorter words.
function plainMessage(issue: z.core.$ZodIssue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const received = valueAt(input, issue.path);
      return received === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    }
    case 'invalid_value':
      if (issue.path.length === 1 && issue.path[0] === 'network') {
        // Only a known type gets here (the union is discriminated by it): naming it names what is allowed.
        const type = (input as { type?: string }).type as keyof typeof EVENT_NETWORK;
        if (Object.hasOwn(EVENT_NETWORK, type)) return `must be "${EVENT_NETWORK[type]}" for type ${type}`;
      }
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator === 'type') {
        return valueAt(input, ['type']) === undefined
          ? 'is required'
          : `is not a known event type (known: ${Object.keys(EVENT_NETWORK).join(', ')})`;
      }
      return 'does not match any allowed shape';
    case 'unrecognized_keys':
      // The names are what was sent (a key may be a name or a number): count them, do not repeat them.
      return `has ${issue.keys.length} unknown field(s); only the fields of the schema are allowed`;
    case 'too_big':
      return `must be at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    case 'too_small':
      return `must be at least ${issue.minimum}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
    default:
      // Our own messages (refinements, custom errors) and zod's defaults for the other codes quote no input.
      return issue.message;
  }
}

function article(expected: string): string {
  return expected === 'object' || expected === 'array' ? `an ${expected}` : `a ${expected}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
