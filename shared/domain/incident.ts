import * as z from 'zod';
import { Network, Place } from '../../events/common.ts';
import { Act, IncidentState, Level, OfficerRole, Outcome } from './incident-lifecycle.ts';
import { LogHead } from './incident-log.ts';
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

export const CLOCK_NAMES = ['sign', 'arrive', 'feedback', 'golden'] as const;
export type ClockName = (typeof CLOCK_NAMES)[number];

/**
 * One of an incident's clocks: sign within S minutes (签收), arrive within A (到场), feedback within F (反馈), or an
 * online-opinion post's 6-hour golden window. Reminders are instants still to come; a clock is stopped by the act
 * it waits for, and breached (once) when its deadline passes.
 */
export const Clock = z.object({
  startedAt: z.string(),
  dueAt: z.string(),
  reminders: z.array(z.string()).default([]),
  stoppedAt: z.string().optional(),
  breachedAt: z.string().optional(),
  /** Reminders sent to the county's desk leads after the sign clock ran out at the top of the ladder. */
  leadReminders: z.number().int().default(0),
});
export type Clock = z.infer<typeof Clock>;

export const STEP_KINDS = [
  'opened',
  'severity-raised',
  'escalated',
  'escalation-notice',
  'reminder',
  'breach',
  'signed',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/**
 * Something the duty desks must be told, with who: the notifier resolves the audience to desks and officers on duty
 * when it sends (levels of the place's ladder, named desks, roles), so routing lives in code and in the desk
 * directory, never in a template.
 */
export const AlertStep = z.object({
  seq: z.number().int(),
  kind: z.enum(STEP_KINDS),
  at: z.string(),
  levels: z.array(Level).default([]),
  deskIds: z.array(z.string()).default([]),
  exceptDeskIds: z.array(z.string()).default([]),
  /** Only officers of these roles (desk leads, say); all on duty when empty. */
  roles: z.array(OfficerRole).default([]),
  clock: z.enum(CLOCK_NAMES).optional(),
  /** Who signed, for the 已由…签收 notice. */
  by: Act.optional(),
  /** The level climbed to, for an escalation. */
  to: Level.optional(),
});
export type AlertStep = z.infer<typeof AlertStep>;

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
  state: IncidentState.default('open'),
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
  /**
   * The level responsible now (the lowest the place has when opened); an incident nobody signs for climbs. The
   * levels alerted so far, the acts of the duty desks, and the clocks that run.
   */
  level: Level.default('village'),
  alerted: z.array(Level).default([]),
  escalations: z.number().int().default(0),
  signed: Act.optional(),
  dispatched: Act.extend({ unit: z.string() }).optional(),
  arrived: Act.optional(),
  feedback: Act.extend({ outcome: Outcome, note: z.string().optional() }).optional(),
  closed: Act.extend({ note: z.string().optional() }).optional(),
  reopened: z.number().int().default(0),
  clocks: z.partialRecord(z.enum(CLOCK_NAMES), Clock).default({}),
  /** The next instant a clock wants the sweep: the sparse due-clocks index. */
  nextDueAt: z.string().optional(),
  /** One optimistic version for every writer (rules, notifier, duty-desk API, sweep); each write is a log entry. */
  version: z.number().int(),
  /** The head of the incident's log (incident-log.ts): the commit point of its chain. */
  logHead: LogHead.optional(),
  /** The latest alert steps (the outbox): every one with `seq` above `alertSentSeq` is still to be sent. */
  steps: z.array(AlertStep).default([]),
  alertSeq: z.number().int(),
  alertPending: z.boolean(),
  /** Since when an alert has waited (the pending-alerts index sorts by it; the sweep re-drives the old ones). */
  alertPendingSince: z.string().optional(),
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
