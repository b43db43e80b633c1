import * as z from 'zod';
import { EventEnvelope } from './envelope.ts';

/** The published JSON Schema (draft 2020-12) of envelope v1, generated from the zod schema. */
export function eventEnvelopeJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EventEnvelope, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }),
    $id: 'https://sanwang.example/schemas/event-envelope.v1.json',
  };
}

export const EVENT_SCHEMA_FILE = 'events/schema/event-envelope.v1.json';
