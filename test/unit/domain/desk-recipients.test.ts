import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recipientsOf } from '../../../shared/domain/desk-recipients.ts';
import { DutyDesk, type DutyDeskInput, DutyDeskList, onDuty } from '../../../shared/domain/duty-desks.ts';
import { OFFICER_ROLES, type OfficerRole } from '../../../shared/domain/incident-lifecycle.ts';
import { rosterOf } from './roster-arbitraries.ts';

const ZONE = 'Asia/Shanghai';
const local = (wall: string) => new Date(`${wall.replace(' ', 'T')}:00+08:00`);

const station = DutyDesk.parse({
  id: 'mishan-station',
  name: '米山镇派出所',
  jurisdiction: '140581100',
  sms: ['+8613800000020', '+8613800000021'],
  officers: [
    { id: 'mishan-lead', name: '张三', mobile: '+8613800000008', role: 'desk-lead' },
    { id: 'mishan-day', name: '李四', mobile: '+8613800000009', role: 'officer' },
    { id: 'mishan-night', name: '陈二', mobile: '+8613800000010', role: 'officer' },
  ],
  roster: {
    shifts: [
      {
        days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        start: '08:00',
        end: '20:00',
        officers: ['mishan-lead', 'mishan-day'],
      },
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '20:00', end: '08:00', officers: ['mishan-night'] },
    ],
    overrides: [{ date: '2026-12-31', start: '20:00', end: '08:00', officers: ['mishan-lead', 'mishan-night'] }],
  },
});
const keysAt = (wall: string, roles?: OfficerRole[]) =>
  recipientsOf([station], local(wall), ZONE, roles ? { roles } : {}).map((r) => r.key);

describe('recipientsOf', () => {
  it('tells the officers on duty, each by a key without personal data and their mobile', () => {
    expect(recipientsOf([station], local('2026-12-01 10:00'), ZONE)).toEqual([
      {
        key: 'mishan-station/mishan-lead',
        deskId: 'mishan-station',
        officerId: 'mishan-lead',
        role: 'desk-lead',
        channel: 'sms',
        address: '+8613800000008',
      },
      {
        key: 'mishan-station/mishan-day',
        deskId: 'mishan-station',
        officerId: 'mishan-day',
        role: 'officer',
        channel: 'sms',
        address: '+8613800000009',
      },
    ]);
  });

  it('tells the night shift after midnight, and whom an override puts on duty', () => {
    // 2026-12-02 is a Wednesday: Tuesday's night shift is still on.
    expect(keysAt('2026-12-02 03:00')).toEqual(['mishan-station/mishan-night']);
    expect(keysAt('2027-01-01 02:00')).toEqual(['mishan-station/mishan-lead', 'mishan-station/mishan-night']);
  });

  it('tells the standing numbers when nobody is on duty', () => {
    // Saturday: no shift.
    expect(recipientsOf([station], local('2026-12-05 10:00'), ZONE)).toEqual([
      { key: 'mishan-station/standing-1', deskId: 'mishan-station', channel: 'sms', address: '+8613800000020' },
      { key: 'mishan-station/standing-2', deskId: 'mishan-station', channel: 'sms', address: '+8613800000021' },
    ]);
  });

  it('tells only the roles asked for, or the standing numbers when none of them is on duty', () => {
    expect(keysAt('2026-12-01 10:00', ['desk-lead'])).toEqual(['mishan-station/mishan-lead']);
    expect(keysAt('2026-12-01 22:00', ['desk-lead'])).toEqual([
      'mishan-station/standing-1',
      'mishan-station/standing-2',
    ]);
    expect(keysAt('2026-12-01 22:00', ['officer', 'desk-lead'])).toEqual(['mishan-station/mishan-night']);
  });

  it('adds nobody for a desk with nobody on duty and no standing numbers', () => {
    expect(recipientsOf([{ ...station, sms: [] }], local('2026-12-05 10:00'), ZONE)).toEqual([]);
  });

  it('tells each key and each address once', () => {
    const sharedPhone = DutyDesk.parse({
      id: 'midong-post',
      name: '米东村警务室',
      jurisdiction: '140581100201',
      // The post's duty phone is the one the station's night officer carries.
      sms: ['+8613800000010'],
    });
    expect(recipientsOf([station, sharedPhone, station], local('2026-12-01 22:00'), ZONE).map((r) => r.key)).toEqual([
      'mishan-station/mishan-night',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Generated directories: ids with digits in them (parts of the mobiles too), shifts and overrides of every shape.

const mobileDigits = fc.stringMatching(/^1[3-9]\d{9}$/);
// Built once: an arbitrary from a regular expression is costly to make.
const plainIds = { 1: fc.stringMatching(/^[a-z0-9-]{1,16}$/), 2: fc.stringMatching(/^[a-z0-9-]{2,16}$/) };
const idPrefix = fc.stringMatching(/^[a-z][a-z0-9]{0,3}$/);
/**
 * Ids of letters and digits, some with digits of a mobile of the directory in them: a part of one (which the model
 * takes), or all of one, after a dash or inside a longer run of digits (which it refuses).
 */
const idFrom = (mobiles: readonly string[], minLength: 1 | 2) =>
  fc.oneof(
    { weight: 2, arbitrary: plainIds[minLength] },
    {
      weight: 1,
      arbitrary: fc
        .record({
          mobile: fc.constantFrom(...mobiles),
          digits: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 10 }) }, fc.constant(11)),
          prefix: idPrefix,
          glue: fc.constantFrom('', '-'),
        })
        .map(({ mobile, digits, prefix, glue }) => `${prefix}${glue}${mobile.slice(0, digits)}`),
    },
  );

const directory = fc
  .uniqueArray(mobileDigits, { minLength: 4, maxLength: 14 })
  .chain((mobiles) => {
    const e164 = mobiles.map((m) => `+86${m}`);
    const desk = fc
      .record({
        id: idFrom(mobiles, 1),
        jurisdiction: fc.constantFrom('140581', '140581100', '140581100201'),
        sms: fc.subarray(e164, { maxLength: 2 }),
        officers: fc.uniqueArray(
          fc.record({
            id: idFrom(mobiles, 2),
            mobile: fc.constantFrom(...e164),
            role: fc.constantFrom(...OFFICER_ROLES),
          }),
          { maxLength: 4, selector: (o) => o.id },
        ),
      })
      .chain((d) =>
        rosterOf(d.officers.map((o) => o.id)).map(
          (roster): DutyDeskInput => ({
            ...d,
            name: '某派出所',
            officers: d.officers.map((o) => ({
              ...o,
              name: '张三',
              // Only a county desk has county admins.
              role: o.role === 'county-admin' && d.jurisdiction.length !== 6 ? 'desk-lead' : o.role,
            })),
            roster,
          }),
        ),
      );
    return fc.array(desk, { minLength: 1, maxLength: 4 });
  })
  .map((desks) => DutyDeskList.safeParse(desks))
  // Ids that would hold a mobile, or clash, are refused by the model: the property is about directories it takes.
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data!);

const instant = fc
  .integer({ min: 0, max: 7 * 96 })
  .map((quarterHours) => new Date(Date.parse('2026-11-30T16:00:00Z') + quarterHours * 15 * 60_000));
const roles = fc.option(fc.subarray([...OFFICER_ROLES], { minLength: 1 }), { nil: undefined });

describe('recipientsOf, for any directory and instant', () => {
  it('tells only officers on duty (in the roles asked) or, when none is, standing numbers', () => {
    fc.assert(
      fc.property(directory, instant, roles, (desks, at, asked) => {
        const wanted = (desk: DutyDesk) =>
          onDuty(desk, at, ZONE).filter((o) => asked === undefined || asked.includes(o.role));
        for (const r of recipientsOf(desks, at, ZONE, asked ? { roles: asked } : {})) {
          const desk = desks.find((d) => d.id === r.deskId)!;
          if (r.officerId !== undefined) {
            const officer = wanted(desk).find((o) => o.id === r.officerId);
            expect(officer).toBeDefined();
            expect(r).toEqual({
              ...r,
              key: `${desk.id}/${officer!.id}`,
              role: officer!.role,
              address: officer!.mobile,
            });
          } else {
            expect(wanted(desk)).toEqual([]);
            const n = Number(/^standing-(\d+)$/.exec(r.key.slice(desk.id.length + 1))?.[1]);
            expect(desk.sms[n - 1]).toBe(r.address);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('tells everyone it should unless their address was told already', () => {
    fc.assert(
      fc.property(directory, instant, roles, (desks, at, asked) => {
        const told = recipientsOf(desks, at, ZONE, asked ? { roles: asked } : {});
        const addresses = new Set(told.map((r) => r.address));
        for (const desk of desks) {
          const officers = onDuty(desk, at, ZONE).filter((o) => asked === undefined || asked.includes(o.role));
          const due = officers.length > 0 ? officers.map((o) => o.mobile) : desk.sms;
          for (const address of due) expect(addresses.has(address)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives unique keys and addresses, and no key holds the digits of any mobile', () => {
    fc.assert(
      fc.property(directory, instant, roles, (desks, at, asked) => {
        const told = recipientsOf(desks, at, ZONE, asked ? { roles: asked } : {});
        expect(new Set(told.map((r) => r.key)).size).toBe(told.length);
        expect(new Set(told.map((r) => r.address)).size).toBe(told.length);
        const mobiles = desks.flatMap((d) => [...d.sms, ...d.officers.map((o) => o.mobile)]).map((m) => m.slice(3));
        for (const { key } of told) for (const digits of mobiles) expect(key).not.toContain(digits);
      }),
      { numRuns: 300 },
    );
  });
});
