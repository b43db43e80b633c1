import * as z from 'zod';

/** One problem with one field; never echoes a submitted value. */
export const FieldIssueSchema = z
  .object({ path: z.string(), message: z.string() })
  .meta({ id: 'FieldIssue', description: 'A field path and what is wrong with it' });

/** The answer for one event of a request. */
export const EventResult = z
  .discriminatedUnion('status', [
    z.object({
      index: z.number().int(),
      id: z.string().optional(),
      status: z.literal('accepted'),
      sequenceNumber: z.string(),
      notes: z.array(FieldIssueSchema).optional().meta({
        description: 'What sanwang changed before accepting it, by field (a devicePriority over the ceiling)',
      }),
    }),
    z.object({
      index: z.number().int(),
      id: z.string().optional(),
      status: z.literal('rejected'),
      issues: z.array(FieldIssueSchema),
    }),
    z.object({ index: z.number().int(), id: z.string().optional(), status: z.literal('held'), reason: z.string() }),
    z.object({ index: z.number().int(), id: z.string().optional(), status: z.literal('failed'), reason: z.string() }),
  ])
  .meta({
    id: 'EventResult',
    description:
      "accepted: on the stream; rejected: fix and resend; held: from a device not yet registered (an operator must place it); failed: not written, resend later. `id` is the event's own id when it is a valid id, pseudonymized (pd-…) when it held personal data, and left out otherwise",
  });
export type EventResult = z.infer<typeof EventResult>;

/** The answer to a POST of events: 202 all accepted, 207 mixed, 422 none valid, 503 stream unavailable. */
export const IngestSummary = z
  .object({
    integration: z.string(),
    requestId: z.string(),
    format: z.string(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    held: z.number().int(),
    failed: z.number().int(),
    ignored: z.array(z.object({ reason: z.string(), count: z.number().int() })).meta({
      description: 'Messages acknowledged but not turned into events (heartbeats, states back to normal)',
    }),
    partsRejected: z.array(FieldIssueSchema).meta({ description: 'Parts of a device payload that could not be read' }),
    results: z.array(EventResult),
  })
  .meta({ id: 'IngestSummary' });
export type IngestSummary = z.infer<typeof IngestSummary>;

export const Problem = z
  .object({ error: z.string(), message: z.string() })
  .meta({ id: 'Problem', description: 'What went wrong, in words an integrator can act on' });
