import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DutyDesk, type DutyDeskInput, onDuty } from '../../../shared/domain/duty-desks.ts';
import { DAYS, type Roster, rosterOnDuty } from '../../../shared/domain/duty-roster.ts';
import { rosterOf } from './roster-arbitraries.ts';

const ZONE = 'Asia/Shanghai';
/** An instant given as Beijing wall time: `local('2026-12-01 02:30')` (2026-12-01 is a Tuesday). */
const local = (wall: string) => new Date(`${wall.replace(' ', 'T')}:00+08:00`);

const officers: DutyDeskInput['officers'] = [
  { id: 'day-1', name: '张三', mobile: '+8613800000001', role: 'officer' },
  { id: 'night-1', name: '李四', mobile: '+8613800000002', role: 'officer' },
  { id: 'lead-1', name: '王五', mobile: '+8613800000003', role: 'desk-lead' },
];
const desk = (roster: DutyDeskInput['roster']) =>
  DutyDesk.parse({ id: 'mishan-station', name: '米山镇派出所', jurisdiction: '140581100', officers, roster });
const onDutyIds = (d: DutyDesk, wall: string) => onDuty(d, local(wall), ZONE).map((o) => o.id);

const weekly = desk({
  shifts: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '20:00', officers: ['day-1', 'lead-1'] },
    { days: ['sat', 'sun'], start: '08:00', end: '20:00', officers: ['day-1'] },
    { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '20:00', end: '08:00', officers: ['night-1'] },
  ],
});

describe('onDuty', () => {
  it('puts the day shift on duty from its start to the minute before its end', () => {
    expect(onDutyIds(weekly, '2026-12-01 08:00')).toEqual(['day-1', 'lead-1']);
    expect(onDutyIds(weekly, '2026-12-01 19:59')).toEqual(['day-1', 'lead-1']);
    expect(onDutyIds(weekly, '2026-12-01 20:00')).toEqual(['night-1']);
    expect(onDutyIds(weekly, '2026-12-05 12:00')).toEqual(['day-1']);
  });

  it('keeps a shift begun yesterday evening on duty after midnight', () => {
    const sundayNightOnly = desk({ shifts: [{ days: ['sun'], start: '22:00', end: '06:00', officers: ['night-1'] }] });
    // 2026-12-06 is a Sunday: its night runs into Monday morning, and Monday's own night is nobody's.
    expect(onDutyIds(sundayNightOnly, '2026-12-06 23:00')).toEqual(['night-1']);
    expect(onDutyIds(sundayNightOnly, '2026-12-07 05:59')).toEqual(['night-1']);
    expect(onDutyIds(sundayNightOnly, '2026-12-07 06:00')).toEqual([]);
    expect(onDutyIds(sundayNightOnly, '2026-12-07 23:00')).toEqual([]);
    expect(onDutyIds(sundayNightOnly, '2026-12-06 05:00')).toEqual([]);
  });

  it('runs a shift whose end equals its start for 24 hours', () => {
    const allDay = desk({ shifts: [{ days: ['tue'], start: '08:00', end: '08:00', officers: ['lead-1'] }] });
    expect(onDutyIds(allDay, '2026-12-01 08:00')).toEqual(['lead-1']);
    expect(onDutyIds(allDay, '2026-12-02 07:59')).toEqual(['lead-1']);
    expect(onDutyIds(allDay, '2026-12-02 08:00')).toEqual([]);
  });

  it('lets an override replace the weekly shifts for its span only', () => {
    const newYearsEve = desk({
      shifts: weekly.roster.shifts,
      overrides: [{ date: '2026-12-31', start: '20:00', end: '08:00', officers: ['lead-1', 'night-1'] }],
    });
    expect(onDutyIds(newYearsEve, '2026-12-31 19:59')).toEqual(['day-1', 'lead-1']);
    expect(onDutyIds(newYearsEve, '2026-12-31 20:00')).toEqual(['night-1', 'lead-1']);
    expect(onDutyIds(newYearsEve, '2027-01-01 07:59')).toEqual(['night-1', 'lead-1']);
    expect(onDutyIds(newYearsEve, '2027-01-01 08:00')).toEqual(['day-1', 'lead-1']);
    // The weekly night of 12-30 still holds into the morning of 12-31.
    expect(onDutyIds(newYearsEve, '2026-12-31 03:00')).toEqual(['night-1']);
  });

  it('reads an override without times as its whole date, and one without officers as nobody', () => {
    const holiday = desk({
      shifts: weekly.roster.shifts,
      overrides: [
        { date: '2026-10-01', officers: ['lead-1'] },
        { date: '2026-10-02', start: '12:00', officers: [] },
      ],
    });
    expect(onDutyIds(holiday, '2026-10-01 00:00')).toEqual(['lead-1']);
    expect(onDutyIds(holiday, '2026-10-01 23:59')).toEqual(['lead-1']);
    expect(onDutyIds(holiday, '2026-10-02 00:00')).toEqual(['night-1']);
    expect(onDutyIds(holiday, '2026-10-02 12:00')).toEqual([]);
    expect(onDutyIds(holiday, '2026-10-02 23:59')).toEqual([]);
    expect(onDutyIds(holiday, '2026-10-03 00:00')).toEqual(['night-1']);
  });

  it('reads the roster on the wall clock of the zone it is given', () => {
    const roster: Roster = {
      shifts: [{ days: ['sun'], start: '01:00', end: '04:00', officers: ['o'] }],
      overrides: [],
    };
    // 2026-03-29 is the Sunday Berlin moves its clocks from 02:00 to 03:00: 01:00–04:00 lasts two hours.
    expect(rosterOnDuty(roster, new Date('2026-03-28T23:59:00Z'), 'Europe/Berlin')).toEqual([]);
    expect(rosterOnDuty(roster, new Date('2026-03-29T00:00:00Z'), 'Europe/Berlin')).toEqual(['o']);
    expect(rosterOnDuty(roster, new Date('2026-03-29T01:59:00Z'), 'Europe/Berlin')).toEqual(['o']);
    expect(rosterOnDuty(roster, new Date('2026-03-29T02:00:00Z'), 'Europe/Berlin')).toEqual([]);
    expect(rosterOnDuty(roster, new Date('2026-03-28T17:00:00Z'), 'Asia/Shanghai')).toEqual(['o']);
  });
});

// An independent reading of the roster: every shift and override as intervals of absolute local minutes.
const MINUTE = 60_000;
const DAY_MINUTES = 1440;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const ZONES = [
  { zone: 'Asia/Shanghai', offset: 480 },
  { zone: 'UTC', offset: 0 },
  { zone: 'Asia/Kolkata', offset: 330 },
];

function expected(roster: Roster, at: Date, offsetMinutes: number): Set<string> {
  const now = Math.floor(at.getTime() / MINUTE) + offsetMinutes;
  const today = Math.floor(now / DAY_MINUTES);
  const span = (day: number, start: number, end: number) => {
    const from = day * DAY_MINUTES + start;
    return now >= from && now < day * DAY_MINUTES + (end <= start ? end + DAY_MINUTES : end);
  };
  const overrides = roster.overrides.filter((o) =>
    span(
      Date.parse(`${o.date}T00:00:00Z`) / (DAY_MINUTES * MINUTE),
      o.start ? minutesOf(o.start) : 0,
      o.end ? minutesOf(o.end) : DAY_MINUTES,
    ),
  );
  // Day 0 of the epoch, 1970-01-01, was a Thursday.
  const weekday = (day: number) => DAYS[(((day + 3) % 7) + 7) % 7]!;
  const shifts = roster.shifts.filter((s) =>
    [today - 1, today].some((day) => s.days.includes(weekday(day)) && span(day, minutesOf(s.start), minutesOf(s.end))),
  );
  return new Set((overrides.length > 0 ? overrides : shifts).flatMap((c) => c.officers));
}

const roster = rosterOf(['a1', 'b2', 'c3', 'd4']);
/**
 * A roster and instants from 2026-12-01 to 12-10 in a zone: most of them on, or a millisecond or a minute either
 * side of, a time where one of the roster's shifts or overrides begins or ends.
 */
const rosterAndInstant = roster.chain((r) => {
  const times = [...r.shifts, ...r.overrides].flatMap((c) => [c.start, c.end]).filter((t) => t !== undefined);
  const wall = fc.oneof(
    { weight: 3, arbitrary: times.length > 0 ? fc.constantFrom(...times).map(minutesOf) : fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: DAY_MINUTES - 1 }) },
  );
  return fc
    .record({
      day: fc.integer({ min: 0, max: 9 }),
      wall,
      ms: fc.constantFrom(-MINUTE, -1, 0, 1, MINUTE - 1, MINUTE),
      zone: fc.constantFrom(...ZONES),
    })
    .map(({ day, wall, ms, zone }) => ({
      roster: r,
      zone,
      at: new Date(Date.parse('2026-12-01T00:00:00Z') + ((day * DAY_MINUTES + wall - zone.offset) * MINUTE + ms)),
    }));
});

describe('onDuty, for any roster and instant', () => {
  it('agrees with the roster read as intervals of local minutes', () => {
    fc.assert(
      fc.property(rosterAndInstant, ({ roster: r, at, zone }) => {
        expect(new Set(rosterOnDuty(r, at, zone.zone))).toEqual(expected(r, at, zone.offset));
      }),
      { numRuns: 500 },
    );
  });
});
