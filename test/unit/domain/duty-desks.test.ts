import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, NotifyConfig, RulesConfig, readConfig } from '../../../shared/config.ts';
import {
  DutyDesk,
  type DutyDeskInput,
  DutyDeskList,
  describeDeskIssues,
  desksCovering,
  findOfficer,
  jurisdictionLevel,
} from '../../../shared/domain/duty-desks.ts';

const demoDesks = () => DutyDeskList.parse(JSON.parse(readFileSync('config/desks.json', 'utf8')));

/** A desk with one officer on a day shift; `extra` replaces any field. */
const deskInput = (extra: Partial<DutyDeskInput> = {}): DutyDeskInput => ({
  id: 'mishan-station',
  name: '米山镇派出所',
  jurisdiction: '140581100',
  officers: [{ id: 'mishan-lead', name: '张三', mobile: '+8613800000008', role: 'desk-lead' }],
  roster: { shifts: [{ days: ['mon'], start: '08:00', end: '20:00', officers: ['mishan-lead'] }] },
  ...extra,
});

/** Paths of the issues of a desk list that does not parse. */
const issuePaths = (input: unknown) => DutyDeskList.safeParse(input).error?.issues.map((i) => i.path.join('.'));

describe('duty desks', () => {
  it('parses the demo desks file, each desk at the level of its code', () => {
    const desks = demoDesks();
    expect(desks.map((d) => d.level)).toEqual(['county', 'township', 'township', 'village']);
    expect(desks.map((d) => jurisdictionLevel(d.jurisdiction))).toEqual(desks.map((d) => d.level));
  });

  it('gives every demo desk a desk lead and the county desk a county admin', () => {
    const desks = demoDesks();
    for (const desk of desks)
      expect(
        desk.officers.map((o) => o.role),
        desk.id,
      ).toContain('desk-lead');
    expect(desks[0]!.officers.map((o) => o.role)).toContain('county-admin');
  });

  it("still reads today's desks: no officers, no roster, minSeverity 4 by default", () => {
    expect(DutyDesk.parse({ id: 'a', name: '甲', jurisdiction: '140581' })).toEqual({
      id: 'a',
      name: '甲',
      jurisdiction: '140581',
      level: 'county',
      minSeverity: 4,
      sms: [],
      officers: [],
      roster: { shifts: [], overrides: [] },
    });
  });

  it('rejects duplicate ids and numbers that are not mainland mobiles, naming the field', () => {
    expect(
      issuePaths([
        { id: 'a', name: '甲', jurisdiction: '140581', sms: ['12345'] },
        { id: 'a', name: '乙', jurisdiction: '140581100' },
      ]),
    ).toEqual(['0.sms.0', '1.id']);
  });

  it('checks an explicit level against the code', () => {
    expect(DutyDesk.parse(deskInput({ level: 'township' })).level).toBe('township');
    expect(DutyDesk.safeParse(deskInput({ level: 'county' })).error?.issues).toEqual([
      expect.objectContaining({ path: ['level'], message: 'must be township for a jurisdiction of that length' }),
    ]);
  });

  it('refuses shifts naming officers the desk does not have, unknown days and impossible times', () => {
    const result = DutyDesk.safeParse(
      deskInput({
        roster: {
          shifts: [
            { days: ['mon'], start: '20:00', end: '08:00', officers: ['mishan-lead', 'nobody'] },
            { days: ['mon', 'funday' as 'mon'], start: '24:00', end: '7:00', officers: ['mishan-lead'] },
            { days: [], start: '08:00', end: '20:00', officers: [] },
          ],
          overrides: [{ date: '2026-02-30', officers: [] }],
        },
      }),
    );
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'roster.shifts.1.days.1',
      'roster.shifts.1.start',
      'roster.shifts.1.end',
      'roster.shifts.2.days',
      'roster.shifts.2.officers',
      'roster.overrides.0.date',
    ]);
    const named = DutyDesk.safeParse(
      deskInput({
        roster: {
          shifts: [{ days: ['mon'], start: '20:00', end: '08:00', officers: ['mishan-lead', 'nobody'] }],
          overrides: [{ date: '2026-12-31', officers: ['someone'] }],
        },
      }),
    );
    expect(named.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'roster.shifts.0.officers.1: names no officer of this desk',
      'roster.overrides.0.officers.0: names no officer of this desk',
    ]);
  });

  it('keeps officer ids unique across desks: they are sign-in names', () => {
    const other = deskInput({
      id: 'midong-post',
      jurisdiction: '140581100201',
      officers: [{ id: 'mishan-lead', name: '李四', mobile: '+8613800000011', role: 'officer' }],
      roster: { shifts: [] },
    });
    const result = DutyDeskList.safeParse([deskInput(), other]);
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '1.officers.0.id: is already the id of 0.officers.0',
    ]);
  });

  it('puts a county admin at a county desk only', () => {
    const admin = { id: 'x-admin', name: '赵六', mobile: '+8613800000001', role: 'county-admin' } as const;
    expect(DutyDesk.safeParse(deskInput({ officers: [admin] })).error?.issues[0]?.path).toEqual([
      'officers',
      0,
      'role',
    ]);
    expect(DutyDesk.safeParse(deskInput({ jurisdiction: '140581', officers: [admin], roster: {} })).success).toBe(true);
  });

  it('refuses ids that would carry a mobile number into keys and logs', () => {
    const officer = (id: string, mobile: string) => ({ id, name: '王五', mobile, role: 'officer' as const });
    // Spelled as a mobile: the masking rules see it.
    expect(issuePaths([deskInput({ officers: [officer('wang-13912345678', '+8613800000007')], roster: {} })])).toEqual([
      '0.officers.0.id',
    ]);
    // Inside a longer run of digits, a mobile of another desk: only the directory knows it is one.
    const first = deskInput({ officers: [officer('wang-5', '+8613800000007')], roster: {} });
    const second = deskInput({ id: 'x-913800000007', jurisdiction: '140581001', officers: [], roster: {} });
    expect(issuePaths([first, second])).toEqual(['1.id']);
    expect(issuePaths([deskInput({ officers: [officer('standing-1', '+8613800000007')], roster: {} })])).toEqual([
      '0.officers.0.id',
    ]);
  });

  it('names the field in every error and never quotes a name, a mobile or a stray key', () => {
    const result = DutyDeskList.safeParse([
      deskInput({
        officers: [
          { id: 'mishan-lead', name: '', mobile: '13800000008', role: 'boss' as 'officer' },
          { id: 'x', name: '张三丰', mobile: '+8613800000009', role: 'officer', '13912345678': '张三丰' } as never,
        ],
      }),
    ]);
    const line = describeDeskIssues(result.error!);
    expect(line).toMatch(/^0\.officers\.0\.name: .*; 0\.officers\.0\.mobile: must be a mainland mobile/);
    expect(line).toContain('0.officers.1: has 1 unknown field(s)');
    for (const value of ['13800000008', '13912345678', '13800000009', '张三丰', 'boss'])
      expect(line).not.toContain(value);
  });
});

describe('desksCovering', () => {
  it('finds the desk of each level whose code is the place’s', () => {
    const covering = desksCovering(demoDesks(), {
      county: '140581',
      township: '140581100',
      village: '140581100201',
    });
    expect({
      village: covering.village.map((d) => d.id),
      township: covering.township.map((d) => d.id),
      county: covering.county.map((d) => d.id),
    }).toEqual({ village: ['midong-post'], township: ['mishan-station'], county: ['gaoping-command'] });
  });

  it('leaves a level empty when the place has no code there or no desk holds it', () => {
    const covering = desksCovering(demoDesks(), { county: '140581', township: '140581002' });
    expect(covering.village).toEqual([]);
    expect(covering.township).toEqual([]);
    expect(covering.county.map((d) => d.id)).toEqual(['gaoping-command']);
    expect(desksCovering(demoDesks(), { county: '140525' })).toEqual({ village: [], township: [], county: [] });
  });
});

describe('findOfficer', () => {
  it('finds an officer by sign-in id, with their desk', () => {
    const found = findOfficer(demoDesks(), 'mishan-lead');
    expect(found?.desk.id).toBe('mishan-station');
    expect(found?.officer).toMatchObject({ id: 'mishan-lead', role: 'desk-lead' });
    expect(findOfficer(demoDesks(), 'nobody')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('names every missing or malformed variable', () => {
    const env = { SMS_SENDER_ID: 'not a sender id', TIME_ZONE: 'Mars/Base' };
    expect(() => readConfig(NotifyConfig, env)).toThrowError(ConfigError);
    expect(() => readConfig(NotifyConfig, env)).toThrowError(
      /TABLE_NAME: .*; TIME_ZONE: must be an IANA time zone.*; SMS_SENDER_ID: up to 11 letters or digits/,
    );
  });

  it('applies documented defaults', () => {
    expect(readConfig(RulesConfig, { TABLE_NAME: 't' })).toEqual({
      TABLE_NAME: 't',
      TIME_ZONE: 'Asia/Shanghai',
      INCIDENT_RETENTION_DAYS: 180,
      QUARANTINE_RETENTION_DAYS: 30,
      MAX_EVENT_AGE_MINUTES: 60,
      RULE_MAX_AGE_MINUTES: {},
      MAX_CLOCK_SKEW_SECONDS: 300,
    });
  });

  it('reads per-rule maximum ages as JSON and names the variable when they are not', () => {
    expect(readConfig(RulesConfig, { TABLE_NAME: 't', RULE_MAX_AGE_MINUTES: '{"ground.sos":15}' })).toMatchObject({
      RULE_MAX_AGE_MINUTES: { 'ground.sos': 15 },
    });
    expect(() => readConfig(RulesConfig, { TABLE_NAME: 't', RULE_MAX_AGE_MINUTES: '{ground' })).toThrow(
      /RULE_MAX_AGE_MINUTES: must be a JSON object/,
    );
  });
});
