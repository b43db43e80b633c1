import fc from 'fast-check';
import { DAYS, type Roster } from '../../../shared/domain/duty-roster.ts';

/** Times on the half hour: shifts often begin or end where others do. */
export const halfHour = fc
  .integer({ min: 0, max: 47 })
  .map((n) => `${String(Math.floor(n / 2)).padStart(2, '0')}:${n % 2 ? '30' : '00'}`);

/**
 * Rosters of these officers: up to three weekly shifts (none without officers) and two overrides dated
 * 2026-12-01 to 12-09, with or without their times, some with nobody.
 */
export function rosterOf(officerIds: readonly string[]): fc.Arbitrary<Roster> {
  const shift = fc.record({
    days: fc.subarray([...DAYS], { minLength: 1 }),
    start: halfHour,
    end: halfHour,
    officers: fc.subarray([...officerIds], { minLength: Math.min(1, officerIds.length) }),
  });
  const override = fc.record(
    {
      date: fc.integer({ min: 1, max: 9 }).map((d) => `2026-12-0${d}`),
      start: halfHour,
      end: halfHour,
      officers: fc.subarray([...officerIds]),
    },
    { requiredKeys: ['date', 'officers'] },
  );
  return fc.record({
    shifts: fc.array(shift, { maxLength: officerIds.length === 0 ? 0 : 3 }),
    overrides: fc.array(override, { maxLength: 2 }),
  });
}
