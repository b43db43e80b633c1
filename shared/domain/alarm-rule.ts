import type { EventOf, EventType, SanwangEvent } from '../../events/envelope.ts';
import type { Severity } from './severity.ts';

/**
 * An alarm rule as data plus two small pure functions. Ids are explicit strings because bundlers rename files
 * and functions, and incidents store the id.
 */
export interface AlarmRule<T extends EventType = EventType> {
  id: string;
  /** What happened, in at most six Chinese characters: it goes into a 70-character SMS. */
  title: string | ((event: EventOf<T>) => string);
  description: string;
  eventTypes: readonly T[];
  severity: Severity | ((event: EventOf<T>) => Severity);
  /** Raise one level at key places (schools, stations, cafés …) and at night. */
  boosts: { keyPlace: boolean; night: boolean };
  /** Events with one dedup key within this many minutes form one incident. */
  groupWindowMinutes: number;
  /** The desk must acknowledge within this many minutes of the first event, or the incident escalates. */
  ackMinutes: number;
  /**
   * Events received more than this many minutes after they happened are late (迟报) for this rule: counted, never
   * alerted as current. Absent: the deployment's global maximum age.
   */
  maxAgeMinutes?: number;
  /** What the deadline asks for, in the SMS: 确认 (acknowledge) or 回应 (respond publicly, for opinion). */
  deadlineVerb?: '确认' | '回应';
  /** Same key, same incident. Must not contain personal data: it becomes part of the incident's key. */
  dedupKey(event: EventOf<T>): string;
  /** Why an event of an applicable type is not an alarm (e.g. an analytics rule going back to inactive). */
  ignore?(event: EventOf<T>): string | undefined;
  /** A few words about this event for the timeline and push text, without personal data. */
  detail?(event: EventOf<T>): string | undefined;
}

/** A rule for any event type, as the registry holds it. */
export type AnyAlarmRule = { [T in EventType]: AlarmRule<T> }[EventType];

/** Keeps each rule's functions typed by its own event types. */
export function defineRule<T extends EventType>(rule: AlarmRule<T>): AlarmRule<T> {
  return rule;
}

/** Key for "the same camera channel" or "the same device". */
export function deviceKey(event: SanwangEvent): string {
  return event.source.channel ? `${event.source.id}/${event.source.channel}` : event.source.id;
}

/** Key for "the same place": the lowest jurisdiction level known, plus the place name or source. */
export function placeKey(event: SanwangEvent): string {
  const { place } = event;
  return `${place.village ?? place.township ?? place.county}/${place.name ?? event.source.id}`;
}

/** Alarms from analytics carry a state; only `active` opens or feeds an incident. */
export function ignoreInactive(event: { payload: { state?: 'active' | 'inactive' } }): string | undefined {
  return event.payload.state === 'inactive' ? 'state inactive: the alarm condition ended' : undefined;
}
