import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../events/envelope.ts';
import { EXAMPLE_ADULT_ID } from '../../../events/examples.ts';
import {
  alertPayload,
  jurisdictionPath,
  SMS_SEGMENT,
  smsLength,
  smsText,
} from '../../../shared/domain/alert-message.ts';
import { type Incident, STEP_KINDS } from '../../../shared/domain/incident.ts';
import { planIncidents } from '../../../shared/domain/incident-plan.ts';
import { ALARM_RULES, indexRules } from '../../../shared/domain/rule-registry.ts';
import { SEVERITIES } from '../../../shared/domain/severity.ts';
import { MemoryIncidentTable, planContext } from './incident-table.ts';
import { sightings } from './sightings.ts';

// The night of the example events, a few minutes after them.
const options = { timeZone: 'Asia/Shanghai', now: new Date('2026-11-25T02:05:00+08:00') };
const LONGEST_PLACE = '高平市米山镇米东村第一小学北门东侧围墙区域入口处一号通道附近的摄像机点位四十字'.slice(0, 40);

function incidentOf(type: (typeof EVENT_TYPES)[number]): Incident {
  const [change] = planIncidents(sightings(type, [0]), new MemoryIncidentTable().view(), planContext()).changes;
  return change!.after;
}

/** The incident with its deadline at `iso`: the golden window's end for online opinion, as the SMS reads it. */
function dueAt(incident: Incident, iso: string): Incident {
  const golden = incident.clocks.golden;
  return {
    ...incident,
    ackBy: iso,
    clocks: { ...incident.clocks, ...(golden ? { golden: { ...golden, dueAt: iso } } : {}) },
  };
}

describe('SMS text', () => {
  it('reads as a duty officer expects', () => {
    const incident = { ...incidentOf('camera.intrusion'), eventCount: 37 };
    expect(smsText(incident, options)).toBe(
      `【特急】米山镇第一小学 区域入侵×37 02:00起 02:10前确认 码${incident.code}`,
    );
  });

  const alarmTypes = EVENT_TYPES.filter((t) => indexRules(ALARM_RULES).has(t));
  it.each(alarmTypes)('fits one 70-character segment for %s at the longest place, any severity and count', (type) => {
    const base = incidentOf(type);
    for (const severity of SEVERITIES) {
      for (const kind of STEP_KINDS) {
        const incident: Incident = {
          ...base,
          severity,
          steps: [{ ...base.steps[0]!, kind, by: { officerId: 'o-1', deskId: 'mishan-station', at: base.ackBy } }],
          eventCount: 999_999,
          ackBy: '2026-11-27T18:00:00.000Z',
          place: { ...base.place, name: LONGEST_PLACE },
        };
        // Sent the same night, and much later (both times then carry their full dates).
        for (const now of [options.now, new Date('2027-06-01T12:00:00+08:00')]) {
          const deskName = () => '高平市公安局米山镇派出所值班室';
          const text = smsText(incident, { ...options, now, ackHint: '回1确认', deskName });
          expect(smsLength(text)).toBeLessThanOrEqual(SMS_SEGMENT);
          expect(text).toContain(`码${incident.code}`);
          expect(text).toContain(incident.title);
        }
      }
    }
  });

  it('covers every rule title in the segment test', () => {
    const titled = new Set(alarmTypes.map((t) => incidentOf(t).ruleId));
    expect(titled).toEqual(new Set(ALARM_RULES.map((r) => r.id)));
  });

  it('falls back to the most precise jurisdiction code when a place has no name', () => {
    const base = incidentOf('patrol.checkpoint_missed');
    const { name: _name, ...place } = base.place;
    expect(smsText({ ...base, place }, options)).toContain('140581100201');
  });

  it('shows the respond-by time for online opinion', () => {
    expect(smsText(incidentOf('opinion.post_flagged'), options)).toContain('08:00前回应');
  });

  it('names the date of a deadline on another day', () => {
    expect(smsText(dueAt(incidentOf('opinion.post_flagged'), '2026-11-25T18:00:00.000Z'), options)).toContain(
      '02:00起 11-26 02:00前回应',
    );
  });

  it('shows the full date of an alarm that did not happen today, and the year', () => {
    const nextYear = { ...options, now: new Date('2027-01-03T09:00:00+08:00') };
    expect(smsText(incidentOf('camera.intrusion'), nextYear)).toContain('2026-11-25 02:00起 02:10前确认');
    const opinion = dueAt(incidentOf('opinion.post_flagged'), '2026-11-25T18:00:00.000Z');
    expect(smsText(opinion, nextYear)).toContain('2026-11-25 02:00起 11-26 02:00前回应');
  });

  it('gives a deadline in the next year its year', () => {
    const newYearsEve = {
      ...dueAt(incidentOf('opinion.post_flagged'), '2026-12-31T21:30:00.000Z'),
      firstSeen: '2026-12-31T15:30:00.000Z',
    };
    const now = new Date('2026-12-31T15:31:00.000Z');
    expect(smsText(newYearsEve, { ...options, now })).toContain('23:30起 2027-01-01 05:30前回应');
  });

  it('marks an alert sent because severity rose, and one handed up the ladder unsigned', () => {
    const base = incidentOf('camera.intrusion');
    const step = (kind: (typeof STEP_KINDS)[number]) => ({ ...options, step: { ...base.steps[0]!, kind } });
    expect(smsText(base, step('severity-raised'))).toMatch(/^【特急】升级 /);
    expect(smsText(base, step('escalated'))).toMatch(/^【特急】上报 /);
  });

  it('tells the desks who signed, by desk name, and the desk below that it went up', () => {
    const base = incidentOf('camera.intrusion');
    const by = { officerId: 'o-7', deskId: 'mishan-station', at: '2026-11-24T18:04:00.000Z' };
    const signed = smsText(base, {
      ...options,
      step: { ...base.steps[0]!, kind: 'signed', by },
      deskName: () => '米山镇派出所',
    });
    expect(signed).toBe(`【已签收】码${base.code} 区域入侵 米山镇第一小学 已由米山镇派出所签收 02:04`);
    const notice = smsText(base, {
      ...options,
      step: { ...base.steps[0]!, kind: 'escalation-notice', to: 'township' },
    });
    expect(notice).toBe(`【已上报】码${base.code} 区域入侵 米山镇第一小学 逾时未签收 已上报乡镇/街道`);
  });
});

describe('alert payload', () => {
  it('carries detail for push without any personal data', () => {
    const incident = incidentOf('cafe.wanted_person_hit');
    const json = JSON.stringify(alertPayload(incident, options));
    expect(json).not.toContain(EXAMPLE_ADULT_ID);
    expect(json).not.toContain('陈某某');
    expect(json).not.toContain('13812345678');
    expect(JSON.parse(json)).toMatchObject({ code: incident.code, severity: 1, title: '网吧比中在逃', eventCount: 1 });
  });

  it('lists every jurisdiction level for desk filters, county first', () => {
    expect(jurisdictionPath(incidentOf('camera.intrusion'))).toEqual(['140581', '140581100', '140581100201']);
  });
});
