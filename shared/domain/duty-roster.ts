import * as z from 'zod';
import { localTime } from './local-time.ts';
import { strictObject as strict } from './strict-object.ts';

/** Days of a weekly shift, Monday first as on Chinese duty rosters (排班表). */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const Day = z.enum(DAYS);
export type Day = z.infer<typeof Day>;

/** A wall-clock time in the deployment's time zone, `HH:mm` from 00:00 to 23:59. */
export const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time HH:mm from 00:00 to 23:59' });

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30). */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date YYYY-MM-DD' })
  .refine((date) => new Date(`${date}T00:00:00Z`).toISOString().startsWith(date), {
    error: 'must be a date that exists',
  });

/**
 * A weekly shift: on each of `days`, from `start` to `end`. A shift whose end is not after its start runs across
 * midnight into the next day (`20:00`–`08:00`; `08:00`–`08:00` is 24 hours).
 */
export const WeeklyShift = strict({
  days: z
    .array(Day)
    .min(1)
    .refine((days) => new Set(days).size === days.length, { error: 'names a day twice' }),
  start: ClockTime,
  end: ClockTime,
  /** Officer ids of the shift's desk. */
  officers: z.array(z.string()).min(1),
});
export type WeeklyShift = z.infer<typeof WeeklyShift>;

/**
 * A dated change to the roster (a holiday, a sick officer): from `start` (default 00:00) on `date` to `end`
 * (default the next midnight; not after `start`: the next day), its officers replace the weekly shifts. No
 * officers means nobody: the desk's standing numbers are told.
 */
export const RosterOverride = strict({
  date: CalendarDate,
  start: ClockTime.optional(),
  end: ClockTime.optional(),
  officers: z.array(z.string()),
});
export type RosterOverride = z.infer<typeof RosterOverride>;

/** Who is on duty when, in the deployment's time zone. */
export const Roster = strict({
  shifts: z.array(WeeklyShift).default([]),
  overrides: z.array(RosterOverride).default([]),
});
export type Roster = z.infer<typeof Roster>;

const MINUTES_PER_DAY = 24 * 60;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const dayOf = (date: string): Day => DAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/** Whether a span from `start` to `end` minutes, begun on the day `begun` days ago (0 or 1), covers `minute`. */
function spans(start: number, end: number, begun: 0 | 1, minute: number): boolean {
  const overnight = end <= start;
  if (begun === 0) return minute >= start && (overnight || minute < end);
  return overnight && minute < end;
}

/**
 * Ids of the officers the roster puts on duty at `at` (wall clock in `timeZone`), each once: those of the
 * overrides whose span holds the instant, or else those of the weekly shifts, a shift begun the evening before
 * included. Throws a RangeError for an unknown time zone.
 * @example rosterOnDuty({ shifts: [{ days: ['mon'], start: '20:00', end: '08:00', officers: ['li'] }], overrides: [] },
 *   new Date('2026-12-01T23:30:00Z'), 'Asia/Shanghai') // ['li']: Tuesday 07:30, the Monday night shift
 */
export function rosterOnDuty(roster: Roster, at: Date, timeZone: string): string[] {
  const { date, hhmm } = localTime(at, timeZone);
  const minute = minutesOf(hhmm);
  const yesterday = dayBefore(date);
  const overrides = roster.overrides.filter((o) => {
    const start = o.start === undefined ? 0 : minutesOf(o.start);
    // An override without an end lasts to midnight; `end <= start` is kept for an end given as such.
    const end = o.end === undefined ? MINUTES_PER_DAY : minutesOf(o.end);
    return (o.date === date && spans(start, end, 0, minute)) || (o.date === yesterday && spans(start, end, 1, minute));
  });
  const covering =
    overrides.length > 0
      ? overrides
      : roster.shifts.filter((s) => {
          const start = minutesOf(s.start);
          const end = minutesOf(s.end);
          return (
            (s.days.includes(dayOf(date)) && spans(start, end, 0, minute)) ||
            (s.days.includes(dayOf(yesterday)) && spans(start, end, 1, minute))
          );
        });
  return [...new Set(covering.flatMap((c) => c.officers))];
}
