import * as z from 'zod';
import type { Place } from '../../events/common.ts';
import { Roster, rosterOnDuty } from './duty-roster.ts';
import { Level, OfficerRole } from './incident-lifecycle.ts';
import { containsPersonalData } from './personal-data-masking.ts';
import { SEVERITIES } from './severity.ts';
import { strictObject } from './strict-object.ts';

const JURISDICTION = /^(\d{6}|\d{9}|\d{12})$/;
const jurisdictionCode = z
  .string()
  .regex(JURISDICTION, { error: 'must be a 6-digit county, 9-digit township or 12-digit village code' });

/** A mainland mobile number in E.164; personal data, never logged or put in a key. */
export const Mobile = z
  .string()
  .regex(/^\+861[3-9]\d{9}$/, { error: 'must be a mainland mobile number in E.164 (+861…)' });

/** An id that goes into keys and logs: it must not hold a phone or ID number. */
const keyId = (pattern: RegExp, words: string) =>
  z
    .string()
    .regex(pattern, { error: `must be ${words}` })
    .refine((id) => !containsPersonalData(id), { error: 'must not hold a phone or ID number' });

/** An officer of a desk. The id is the officer's sign-in name, unique across all desks. */
export const Officer = strictObject({
  id: keyId(/^[a-z0-9-]{2,40}$/, 'lower-case letters, digits and dashes (2 to 40)').refine(
    (id) => !/^standing-\d+$/.test(id),
    // Recipient keys name a desk's standing numbers so.
    { error: 'must not be standing-<n>: that names a standing number' },
  ),
  /** Personal: masked in every output. */
  name: z.string().trim().min(1).max(20),
  /** Personal: masked in every output, never in a key. */
  mobile: Mobile,
  role: OfficerRole,
});
export type Officer = z.infer<typeof Officer>;

/**
 * Paths of the ids of a desk (its own, its officers') that hold the 11 digits of a mobile number `isMobile` knows.
 * Ids go into keys and logs, and the masking regexes cannot see a mobile inside a longer run of digits (a village
 * code has 12).
 */
function idsHolding(desk: Pick<DutyDesk, 'id' | 'officers'>, isMobile: (digits: string) => boolean) {
  const holds = (id: string) => {
    for (let i = 0; i + 11 <= id.length; i++) if (isMobile(id.slice(i, i + 11))) return true;
    return false;
  };
  return [
    ...(holds(desk.id) ? [['id']] : []),
    ...desk.officers.flatMap((o, j) => (holds(o.id) ? [['officers', j, 'id']] : [])),
  ];
}

/** The national 11 digits of every mobile number of a desk. */
const mobilesOf = (desk: Pick<DutyDesk, 'sms' | 'officers'>) =>
  [...desk.sms, ...desk.officers.map((o) => o.mobile)].map((m) => m.slice(3));
const HOLDS_A_MOBILE = 'must not hold a mobile number of the desks';

/** Level of a jurisdiction code: 6 digits county, 9 township, 12 village/community. */
export function jurisdictionLevel(code: string): Level {
  return code.length === 6 ? 'county' : code.length === 9 ? 'township' : 'village';
}

/**
 * A duty desk: the jurisdiction it answers for, its officers, who of them is on duty when, and the standing
 * numbers told when nobody is. `level` may be left out (it follows from the code); given, it must agree.
 */
export const DutyDesk = strictObject({
  id: keyId(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and dashes (≤ 40)'),
  name: z.string().min(1).max(30),
  jurisdiction: jurisdictionCode,
  level: Level.optional(),
  /** The least severe level this desk is told about through SNS: 2 means levels 1 and 2. */
  minSeverity: z.union(SEVERITIES.map((s) => z.literal(s))).default(4),
  /** The desk's standing mobile numbers (its duty phones): told when nobody is on duty; SMS subscriptions in AWS. */
  sms: z.array(Mobile).default([]),
  officers: z.array(Officer).default([]),
  roster: Roster.default({ shifts: [], overrides: [] }),
})
  .superRefine((desk, ctx) => {
    if (desk.level !== undefined && JURISDICTION.test(desk.jurisdiction)) {
      const level = jurisdictionLevel(desk.jurisdiction);
      if (desk.level !== level) {
        ctx.addIssue({
          code: 'custom',
          path: ['level'],
          message: `must be ${level} for a jurisdiction of that length`,
        });
      }
    }
    const ids = new Map<string, number>();
    desk.officers.forEach((officer, i) => {
      const first = ids.get(officer.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['officers', i, 'id'],
          message: `is already the id of officers.${first}`,
        });
      } else ids.set(officer.id, i);
      if (officer.role === 'county-admin' && desk.jurisdiction.length !== 6) {
        ctx.addIssue({
          code: 'custom',
          path: ['officers', i, 'role'],
          message: 'county-admin is for county desks only',
        });
      }
    });
    const rostered = [
      ...desk.roster.shifts.map((s, i) => ({ officers: s.officers, path: ['roster', 'shifts', i, 'officers'] })),
      ...desk.roster.overrides.map((o, i) => ({ officers: o.officers, path: ['roster', 'overrides', i, 'officers'] })),
    ];
    for (const { officers, path } of rostered) {
      officers.forEach((id, j) => {
        if (!ids.has(id)) {
          ctx.addIssue({ code: 'custom', path: [...path, j], message: 'names no officer of this desk' });
        }
      });
    }
    const own = new Set(mobilesOf(desk));
    for (const path of idsHolding(desk, (digits) => own.has(digits))) {
      ctx.addIssue({ code: 'custom', path, message: HOLDS_A_MOBILE });
    }
  })
  .transform(({ id, name, jurisdiction, level, ...rest }) => ({
    id,
    name,
    jurisdiction,
    level: level ?? jurisdictionLevel(jurisdiction),
    ...rest,
  }));
export type DutyDesk = z.infer<typeof DutyDesk>;
/** A desk as written in `config/desks.json`: defaults and `level` may be left out. */
export type DutyDeskInput = z.input<typeof DutyDesk>;

/** Every desk of a deployment: desk ids unique, officer ids unique across all desks (they are sign-in names). */
export const DutyDeskList = z.array(DutyDesk).superRefine((desks, ctx) => {
  const deskIds = new Map<string, number>();
  const officerIds = new Map<string, string>();
  desks.forEach((desk, i) => {
    const first = deskIds.get(desk.id);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `is already the id of desk ${first}` });
    } else deskIds.set(desk.id, i);
    desk.officers.forEach((officer, j) => {
      const where = officerIds.get(officer.id);
      // Within a desk the desk's own check has said it.
      if (where !== undefined && !where.startsWith(`${i}.`)) {
        ctx.addIssue({ code: 'custom', path: [i, 'officers', j, 'id'], message: `is already the id of ${where}` });
      } else if (where === undefined) officerIds.set(officer.id, `${i}.officers.${j}`);
    });
  });
  // Desk index by mobile: a desk's own numbers its own check has looked for.
  const holders = new Map<string, Set<number>>();
  desks.forEach((desk, i) => {
    for (const digits of mobilesOf(desk)) holders.set(digits, (holders.get(digits) ?? new Set()).add(i));
  });
  desks.forEach((desk, i) => {
    const ofAnother = (digits: string) => [...(holders.get(digits) ?? [])].some((k) => k !== i);
    for (const path of idsHolding(desk, ofAnother)) {
      ctx.addIssue({ code: 'custom', path: [i, ...path], message: HOLDS_A_MOBILE });
    }
  });
});

/**
 * One line naming each invalid field of a desk list and what is wrong, never the value:
 * `0.officers.1.mobile: must be a mainland mobile number in E.164 (+861…)`.
 * @example describeDeskIssues(DutyDeskList.safeParse([{ id: 'X' }]).error!) // '0.id: must be lower-case …; 0.name: …'
 */
export function describeDeskIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(desks)'}: ${issue.message}`).join('; ');
}

/**
 * The officers of `desk` on duty at `at` by its roster (wall clock in `timeZone`), in the desk's order.
 * @example onDuty(midong, new Date('2026-12-01T18:30:00Z'), 'Asia/Shanghai') // the night shift of Tuesday 02:30
 */
export function onDuty(desk: Pick<DutyDesk, 'officers' | 'roster'>, at: Date, timeZone: string): Officer[] {
  const ids = new Set(rosterOnDuty(desk.roster, at, timeZone));
  return desk.officers.filter((officer) => ids.has(officer.id));
}

/**
 * The desks responsible for a place, by level: a desk whose jurisdiction is the place's code at the desk's level.
 * @example desksCovering(desks, { county: '140581', township: '140581100', village: '140581100201' })
 *   // { village: [米东村警务室], township: [米山镇派出所], county: [高平市公安局指挥中心] }
 */
export function desksCovering(
  desks: readonly DutyDesk[],
  place: Pick<Place, 'county' | 'township' | 'village'>,
): Record<Level, DutyDesk[]> {
  const codes: Record<Level, string | undefined> = {
    village: place.village,
    township: place.township,
    county: place.county,
  };
  const covering: Record<Level, DutyDesk[]> = { village: [], township: [], county: [] };
  for (const desk of desks) if (codes[desk.level] === desk.jurisdiction) covering[desk.level].push(desk);
  return covering;
}

/**
 * The officer with this sign-in id and the desk they belong to, or undefined.
 * @example findOfficer(desks, 'mishan-lead') // { officer: { id: 'mishan-lead', role: 'desk-lead', … }, desk: 米山镇派出所 }
 */
export function findOfficer(
  desks: readonly DutyDesk[],
  officerId: string,
): { officer: Officer; desk: DutyDesk } | undefined {
  for (const desk of desks) {
    const officer = desk.officers.find((o) => o.id === officerId);
    if (officer) return { officer, desk };
  }
  return undefined;
}
