import { KEY_PLACE_KINDS, type PlaceKind } from '../../events/common.ts';
import type { SanwangEvent } from '../../events/envelope.ts';
import type { AnyAlarmRule } from './alarm-rule.ts';
import { DEFAULT_NIGHT, isNight, localHour, type NightHours } from './local-time.ts';
import { raiseSeverity, type Severity } from './severity.ts';

export type Boost = 'key-place' | 'night';

/** A rule's three-state answer for one event (as cdk-nag's rules answer for one resource). */
export type RuleOutcome =
  | { status: 'not-applicable' }
  | { status: 'no-match'; ruleId: string; reason: string }
  | {
      status: 'match';
      rule: AnyAlarmRule;
      title: string;
      severity: Severity;
      baseSeverity: Severity;
      boosts: Boost[];
      dedupKey: string;
      windowMs: number;
      ackMs: number;
    };

/** The rule's few words about an event, for the timeline; asked only for events the timeline keeps. */
export function eventDetail(rule: AnyAlarmRule, event: SanwangEvent): string | undefined {
  return (rule as unknown as import('./alarm-rule.ts').AlarmRule<typeof event.type>).detail?.(event as never);
}

export interface EvaluationContext {
  timeZone: string;
  night?: NightHours;
}

const keyPlaces = new Set<PlaceKind>(KEY_PLACE_KINDS);

/**
 * Applies one rule to one event. Pure: night is read from the event's own time in the deployment's zone,
 * never from the clock.
 */
export function evaluateRule(rule: AnyAlarmRule, event: SanwangEvent, ctx: EvaluationContext): RuleOutcome {
  if (!(rule.eventTypes as readonly string[]).includes(event.type)) return { status: 'not-applicable' };
  // The registry guarantees the event's type is one this rule declares, so its typed functions accept it.
  const r = rule as unknown as import('./alarm-rule.ts').AlarmRule<typeof event.type>;
  const e = event as never;
  const reason = r.ignore?.(e);
  if (reason) return { status: 'no-match', ruleId: rule.id, reason };

  const baseSeverity = typeof r.severity === 'function' ? r.severity(e) : r.severity;
  const boosts: Boost[] = [];
  if (r.boosts.keyPlace && keyPlaces.has(event.place.kind)) boosts.push('key-place');
  if (r.boosts.night && isNight(localHour(Date.parse(event.occurredAt), ctx.timeZone), ctx.night ?? DEFAULT_NIGHT)) {
    boosts.push('night');
  }
  return {
    status: 'match',
    rule,
    title: typeof r.title === 'function' ? r.title(e) : r.title,
    // A device that grades its own alarms (GB/T 28181 AlarmPriority) can raise the level, never lower it.
    severity: Math.min(raiseSeverity(baseSeverity, boosts.length), event.devicePriority ?? 4) as Severity,
    baseSeverity,
    boosts,
    // Incidents never span counties: each county's desks hear about their own (and a source id is not owned).
    dedupKey: `${event.place.county}/${r.dedupKey(e)}`,
    windowMs: r.groupWindowMinutes * 60_000,
    ackMs: r.ackMinutes * 60_000,
  };
}

/** Every rule's answer for an event, from a type index built by `indexRules`. */
export function evaluateEvent(
  byType: ReadonlyMap<string, readonly AnyAlarmRule[]>,
  event: SanwangEvent,
  ctx: EvaluationContext,
): RuleOutcome[] {
  return (byType.get(event.type) ?? []).map((rule) => evaluateRule(rule, event, ctx));
}
