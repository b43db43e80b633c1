import type { FieldIssue } from '../../events/validation.ts';

/**
 * How far an event's own time may stray from the time sanwang received it. Device clocks drift, NVRs backfill
 * after a reconnect, and firmware garbles dates: an event is judged by `receivedAt − occurredAt`, a property of the
 * event itself, so every retry and every shard judges it alike.
 */
export interface EventTimePolicy {
  /** Older than this when received: late (迟报). Counted on its incident, never alerted as if current. */
  maxAgeMs: number;
  /** Rule ids with their own maximum age (an opinion post keeps its 6-hour window, an SOS is stale in minutes). */
  ruleMaxAgeMs?: Readonly<Record<string, number>>;
  /** Further ahead of receivedAt than this: refused, naming `occurredAt` (a device clock set wrong). */
  maxSkewMs: number;
  /** Older than this: refused, it could not be kept (the incident retention). */
  retentionMs: number;
}

/** Defaults: late after an hour, five minutes of clock skew, as long as incidents are kept (180 days). */
export const DEFAULT_EVENT_TIME_POLICY: EventTimePolicy = {
  maxAgeMs: 60 * 60_000,
  maxSkewMs: 5 * 60_000,
  retentionMs: 180 * 86_400_000,
};

/**
 * Why an event's time cannot be accepted at all, or undefined. Never quotes the submitted time: it says by how
 * much it is off and what is allowed.
 * @example occurredAtIssue(Date.parse('2999-01-01T00:00:00Z'), Date.parse('2026-11-25T02:05:00+08:00'), DEFAULT_EVENT_TIME_POLICY)
 *   // { path: 'occurredAt', message: 'is … ahead of the time sanwang received it; …' }
 */
export function occurredAtIssue(
  occurredAtMs: number,
  receivedAtMs: number,
  policy: Pick<EventTimePolicy, 'maxSkewMs' | 'retentionMs'>,
): FieldIssue | undefined {
  const ahead = occurredAtMs - receivedAtMs;
  if (ahead > policy.maxSkewMs) {
    return {
      path: 'occurredAt',
      message:
        `is ${describeSpan(ahead)} ahead of the time sanwang received it; at most ${describeSpan(policy.maxSkewMs)} ` +
        'of clock skew is accepted (check the device clock and its NTP server)',
    };
  }
  if (receivedAtMs - occurredAtMs > policy.retentionMs) {
    return {
      path: 'occurredAt',
      message: `is older than the ${describeSpan(policy.retentionMs)} sanwang keeps incidents; it cannot be recorded`,
    };
  }
  return undefined;
}

/**
 * The policy a deployment runs: global limits from configuration, each rule's own maximum age, and per-rule
 * overrides from configuration over both.
 */
export function eventTimePolicy(options: {
  rules: readonly { id: string; maxAgeMinutes?: number }[];
  maxAgeMinutes: number;
  ruleMaxAgeMinutes?: Readonly<Record<string, number>>;
  maxSkewSeconds: number;
  retentionDays: number;
}): EventTimePolicy {
  const ruleMaxAgeMs: Record<string, number> = {};
  for (const rule of options.rules) if (rule.maxAgeMinutes) ruleMaxAgeMs[rule.id] = rule.maxAgeMinutes * 60_000;
  for (const [id, min] of Object.entries(options.ruleMaxAgeMinutes ?? {})) {
    if (!options.rules.some((r) => r.id === id)) throw new Error(`maximum age given for unknown rule ${id}`);
    ruleMaxAgeMs[id] = min * 60_000;
  }
  return {
    maxAgeMs: options.maxAgeMinutes * 60_000,
    ruleMaxAgeMs,
    maxSkewMs: options.maxSkewSeconds * 1000,
    retentionMs: options.retentionDays * 86_400_000,
  };
}

/** The maximum age that applies to a rule's events. */
export function maxAgeFor(ruleId: string, policy: Pick<EventTimePolicy, 'maxAgeMs' | 'ruleMaxAgeMs'>): number {
  return policy.ruleMaxAgeMs?.[ruleId] ?? policy.maxAgeMs;
}

/** Whether an event was received later than its rule's maximum age after it happened (迟报). */
export function isLate(occurredAtMs: number, receivedAtMs: number, maxAgeMs: number): boolean {
  return receivedAtMs - occurredAtMs > maxAgeMs;
}

/** `3 h 12 min`, `45 s`, `180 days`: spans in words an integrator reads at a glance. */
export function describeSpan(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 72) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}
