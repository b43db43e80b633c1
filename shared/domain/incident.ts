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
  /** Received later than its rule's maximum age (迟报). */
  late: z.boolean().optional(),
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
  /** Events counted, exactly: each accepted event once, however often it was delivered or resent. */
  eventCount: z.number().int(),
  /** Of those, events received later than their rule's maximum age (迟报): counted, never alerted as current. */
  lateCount: z.number().int().default(0),
  sources: z.array(z.string()),
  timeline: z.array(TimelineEntry),
  /**
   * Keys of the events counted here (applied-events.ts), the latest INLINE_APPLIED_KEYS of them; earlier ones are in
   * the immutable page items named by `appliedPages`. Together they are the exact evidence that an event was applied.
   */
  applied: z.instanceof(Uint8Array).default(() => new Uint8Array()),
  appliedPages: z.array(z.string()).default([]),
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
export const MAX_SOURCES = 10;

/**
 * The item at a window's id when a storm crossed into that window: its events belong to the incident opened in the
 * window before (`incidentId`). Written once, with a condition, and never changed, so every shard and every retry
 * routes the window's events to the same incident.
 */
export const WindowClaim = z.object({
  id: z.string(),
  incidentId: z.string(),
  expiresAt: z.number().int(),
});
export type WindowClaim = z.infer<typeof WindowClaim>;
