import type { Level } from './incident-lifecycle.ts';
import { LEVELS } from './incident-lifecycle.ts';
import type { Severity } from './severity.ts';

/**
 * How the duty desks' clocks run, and how far an alarm reaches: data an operator may change, apart from the rules
 * that detect. Minutes by severity (1 特急 … 4 一般); a rule's own acknowledge time is its sign clock.
 */
export interface LifecyclePolicy {
  /** Minutes from dispatch to arrival (到场), by severity. */
  arriveMinutes: Readonly<Record<Severity, number>>;
  /** Minutes from arrival — or from signing, when nobody needs to go — to feedback (反馈), by severity. */
  feedbackMinutes: Readonly<Record<Severity, number>>;
  /**
   * How many levels the first alert reaches, from the level responsible upwards, by severity: 3 alerts village,
   * township and county at once. By default a 特急 alarm reaches the responsible desk and the one above it at once
   * (the leaders take the case) and climbs on to the county if nobody signs.
   */
  openingReach: Readonly<Record<Severity, number>>;
  /** Rules whose incidents run the 6-hour golden window (online opinion): reminders, then a breach. */
  goldenWindow: { ruleIds: readonly string[]; remindersAtMinutes: readonly number[]; breachAtMinutes: number };
  /** At the county, an unsigned incident reminds the desk leads this often (its sign minutes apart), at most. */
  leadReminders: number;
  /** A closed incident may be reopened for this long. */
  reopenWindowMinutes: number;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  arriveMinutes: { 1: 15, 2: 30, 3: 60, 4: 120 },
  feedbackMinutes: { 1: 60, 2: 120, 3: 240, 4: 1440 },
  openingReach: { 1: 2, 2: 1, 3: 1, 4: 1 },
  goldenWindow: { ruleIds: ['internet.opinion'], remindersAtMinutes: [60, 180, 300], breachAtMinutes: 360 },
  leadReminders: 3,
  reopenWindowMinutes: 24 * 60,
};

/** The lowest level a place has a code for: where responsibility starts. */
export function startLevel(place: { township?: string; village?: string }): Level {
  return place.village ? 'village' : place.township ? 'township' : 'county';
}

/** The levels from `from` upwards, `count` of them (never past the county). */
export function levelsFrom(from: Level, count: number): Level[] {
  const i = LEVELS.indexOf(from);
  return LEVELS.slice(i, Math.min(LEVELS.length, i + Math.max(1, count)));
}

/** The level above, for a place that has it (a place without a township code climbs straight to the county). */
export function levelAbove(level: Level): Level | undefined {
  return LEVELS[LEVELS.indexOf(level) + 1];
}
