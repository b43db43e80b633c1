import * as z from 'zod';
import { Network, Place } from '../../events/common.ts';
import { SEVERITIES } from './severity.ts';

const Severity = z.union(SEVERITIES.map((s) => z.literal(s)));

export const TimelineEntry = z.object({
  eventId: z.string(),
  type: z.string(),
  at: z.string(),
  source: z.string(),
  detail: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/**
 * An incident: the events of one rule and dedup key within its window. It holds no personal data — timeline
 * details are written by rules that leave it out — so the table keeps nothing that needs masking.
 */
export const Incident = z.object({
  id: z.string(),
  /** Five characters a duty officer can read over the phone; printed in the SMS. */
  code: z.string(),
  ruleId: z.string(),
  dedupKey: z.string(),
  title: z.string(),
  network: Network,
  status: z.enum(['open', 'acknowledged', 'closed']),
  severity: Severity,
  baseSeverity: Severity,
  boosts: z.array(z.enum(['key-place', 'night'])),
  place: Place,
  firstSeen: z.string(),
  lastSeen: z.string(),
  openedAt: z.string(),
  ackBy: z.string(),
  deadlineVerb: z.enum(['确认', '回应']),
  eventCount: z.number().int(),
  sources: z.array(z.string()),
  timeline: z.array(TimelineEntry),
  /** Source event ids seen lately: a device that resends an event (new Kinesis record, same id) is not counted twice. */
  recentEventIds: z.array(z.string()),
  /** Highest Kinesis sequence number applied, per shard: a redelivered record at or below it changes nothing. */
  watermarks: z.record(z.string(), z.string()),
  /** Optimistic-lock counter of the rules function's writes. */
  version: z.number().int(),
  /** Bumped whenever the incident needs a (new) alert: opened, or severity raised. The notifier sends each once. */
  alertSeq: z.number().int(),
  alertReason: z.enum(['opened', 'severity-raised']),
  alertPending: z.boolean(),
  alertSentSeq: z.number().int().optional(),
  /** Epoch seconds after which DynamoDB TTL deletes the incident. */
  expiresAt: z.number().int(),
});
export type Incident = z.infer<typeof Incident>;

export const TIMELINE_HEAD = 5;
export const TIMELINE_TAIL = 15;
export const RECENT_EVENT_IDS = 64;
export const MAX_SOURCES = 10;
