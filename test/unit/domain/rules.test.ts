import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType, type SanwangEvent } from '../../../events/envelope.ts';
import { exampleEvent } from '../../../events/examples.ts';
import { parseEvent } from '../../../events/validation.ts';
import { evaluateEvent, evaluateRule } from '../../../shared/domain/evaluate-event.ts';
import { ALARM_RULES, indexRules, ruleById } from '../../../shared/domain/rule-registry.ts';

const ctx = { timeZone: 'Asia/Shanghai' };
const byType = indexRules(ALARM_RULES);

function event<T extends EventType>(type: T, overrides: Parameters<typeof exampleEvent<T>>[1] = {}): SanwangEvent {
  const parsed = parseEvent(exampleEvent(type, overrides));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.event;
}
const daytime = { occurredAt: '2026-11-25T14:00:00+08:00' };
const ordinaryPlace = { place: { county: '140581', township: '140581100', kind: 'residential' as const } };

describe('rule registry', () => {
  it('gives every rule a unique explicit id and a short Chinese title', () => {
    expect(new Set(ALARM_RULES.map((r) => r.id)).size).toBe(ALARM_RULES.length);
    for (const rule of ALARM_RULES) expect(rule.id).toMatch(/^(sky|ground|internet)\.[a-z-]+$/);
  });

  it('has an alarm rule for every event type except the routine check-in and unknown device types', () => {
    const uncovered = EVENT_TYPES.filter((t) => !byType.has(t));
    expect(uncovered).toEqual(['camera.other', 'patrol.checkin']);
  });

  it('is not applicable to events of other types', () => {
    const rule = ruleById('sky.intrusion')!;
    expect(evaluateRule(rule, event('patrol.sos'), ctx)).toEqual({ status: 'not-applicable' });
  });
});

describe.each(ALARM_RULES.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
  it('Compliance: matches its example event with a dedup key free of personal data', () => {
    for (const type of rule.eventTypes) {
      const e = event(type);
      const [outcome] = evaluateEvent(new Map([[type, [rule]]]), e, ctx);
      expect(outcome?.status).toBe('match');
      if (outcome?.status !== 'match') return;
      expect(outcome.dedupKey).not.toMatch(/(?<!\d)\d{17}[\dX](?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)/);
      expect(outcome.title.length).toBeLessThanOrEqual(6);
      expect(outcome.severity).toBeLessThanOrEqual(outcome.baseSeverity);
    }
  });
});

describe('severity boosts', () => {
  it('raises an intrusion at a school at night by two levels', () => {
    const outcome = evaluateRule(ruleById('sky.intrusion')!, event('camera.intrusion'), ctx);
    expect(outcome).toMatchObject({ status: 'match', baseSeverity: 3, severity: 1, boosts: ['key-place', 'night'] });
  });

  it('leaves a daytime intrusion in a residential area at its base level', () => {
    const outcome = evaluateRule(
      ruleById('sky.intrusion')!,
      event('camera.intrusion', { ...daytime, ...ordinaryPlace }),
      ctx,
    );
    expect(outcome).toMatchObject({ status: 'match', severity: 3, boosts: [] });
  });

  it('reads night in the deployment time zone, not UTC', () => {
    // 15:00 UTC is 23:00 in Shanghai but 15:00 in London.
    const e = event('camera.intrusion', { occurredAt: '2026-11-25T15:00:00Z', ...ordinaryPlace });
    expect(evaluateRule(ruleById('sky.intrusion')!, e, ctx)).toMatchObject({ boosts: ['night'] });
    expect(evaluateRule(ruleById('sky.intrusion')!, e, { timeZone: 'Europe/London' })).toMatchObject({ boosts: [] });
  });

  it('never raises past level 1', () => {
    const outcome = evaluateRule(ruleById('ground.sos')!, event('patrol.sos'), ctx);
    expect(outcome).toMatchObject({ severity: 1 });
  });
});

describe('no-match answers', () => {
  it('Noncompliance 1: an analytics alarm going back to inactive opens nothing', () => {
    const outcome = evaluateRule(
      ruleById('sky.intrusion')!,
      event('camera.intrusion', { payload: { state: 'inactive' } }),
      ctx,
    );
    expect(outcome).toEqual({
      status: 'no-match',
      ruleId: 'sky.intrusion',
      reason: 'state inactive: the alarm condition ended',
    });
  });

  it('Noncompliance 2: a café after hours with nobody online is not an alarm', () => {
    const outcome = evaluateRule(
      ruleById('internet.cafe-after-hours')!,
      event('cafe.after_hours', { payload: { venue: {}, activeUsers: 0 } }),
      ctx,
    );
    expect(outcome.status).toBe('no-match');
  });
});

describe('online opinion', () => {
  it('gives a widely read post the 6-hour golden window to respond', () => {
    const outcome = evaluateRule(ruleById('internet.opinion')!, event('opinion.post_flagged'), ctx);
    expect(outcome).toMatchObject({ status: 'match', severity: 2, ackMs: 6 * 3_600_000 });
  });

  it('keeps a small neutral post at level 3', () => {
    const e = exampleEvent('opinion.post_flagged');
    const outcome = evaluateRule(
      ruleById('internet.opinion')!,
      event('opinion.post_flagged', { payload: { ...e.payload, reach: 40, sentiment: 'neutral' } }),
      ctx,
    );
    expect(outcome).toMatchObject({ severity: 3 });
  });
});

describe('dedup keys', () => {
  it('groups crowd alarms from two cameras at one place', () => {
    const rule = ruleById('sky.crowd')!;
    const a = evaluateRule(rule, event('camera.crowd', { source: { id: 'cam-a', kind: 'camera' } }), ctx);
    const b = evaluateRule(rule, event('camera.crowd', { source: { id: 'cam-b', kind: 'camera' } }), ctx);
    expect(a.status === 'match' && a.dedupKey).toBe(b.status === 'match' && b.dedupKey);
  });

  it('keeps two camera channels of one NVR apart for intrusion', () => {
    const rule = ruleById('sky.intrusion')!;
    const a = evaluateRule(
      rule,
      event('camera.intrusion', { source: { id: 'nvr-1', kind: 'nvr', channel: '1' } }),
      ctx,
    );
    const b = evaluateRule(
      rule,
      event('camera.intrusion', { source: { id: 'nvr-1', kind: 'nvr', channel: '2' } }),
      ctx,
    );
    expect(a.status === 'match' && a.dedupKey).not.toBe(b.status === 'match' && b.dedupKey);
  });
});

describe('device priority', () => {
  it('raises a residential daytime intrusion to the GB/T 28181 AlarmPriority 1 the device reported', () => {
    const e = { ...event('camera.intrusion', { ...daytime, ...ordinaryPlace }), devicePriority: 1 as const };
    expect(evaluateRule(ruleById('sky.intrusion')!, e, ctx)).toMatchObject({
      status: 'match',
      baseSeverity: 3,
      severity: 1,
    });
  });

  it('never lowers what the rule decided', () => {
    const e = { ...event('camera.fire_smoke'), devicePriority: 4 as const };
    expect(evaluateRule(ruleById('sky.fire-smoke')!, e, ctx)).toMatchObject({ severity: 1 });
  });
});
