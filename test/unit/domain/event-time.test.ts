import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_TIME_POLICY,
  describeSpan,
  isLate,
  maxAgeFor,
  occurredAtIssue,
} from '../../../shared/domain/event-time.ts';

const received = Date.parse('2026-11-26T02:00:00+08:00');
const minutes = (n: number) => n * 60_000;

describe('occurredAtIssue', () => {
  it('accepts an event up to the clock skew ahead of its reception', () => {
    expect(occurredAtIssue(received + minutes(5), received, DEFAULT_EVENT_TIME_POLICY)).toBeUndefined();
  });

  it('refuses an event further ahead, naming occurredAt and the allowed skew but not the time sent', () => {
    const issue = occurredAtIssue(Date.parse('2999-01-01T00:00:00Z'), received, DEFAULT_EVENT_TIME_POLICY);
    expect(issue?.path).toBe('occurredAt');
    expect(issue?.message).toContain('at most 5 min of clock skew');
    expect(issue?.message).not.toContain('2999');
  });

  it('refuses an event older than the incident retention', () => {
    const issue = occurredAtIssue(Date.parse('1970-01-01T00:00:00Z'), received, DEFAULT_EVENT_TIME_POLICY);
    expect(issue).toEqual({ path: 'occurredAt', message: expect.stringContaining('180 days') });
  });
});

describe('isLate and maxAgeFor', () => {
  it('counts an event received more than the maximum age after it happened as late', () => {
    expect(isLate(received - minutes(61), received, minutes(60))).toBe(true);
    expect(isLate(received - minutes(60), received, minutes(60))).toBe(false);
  });

  it('takes a rule’s own maximum age over the global one', () => {
    const policy = { maxAgeMs: minutes(60), ruleMaxAgeMs: { 'internet.opinion': minutes(360) } };
    expect(maxAgeFor('internet.opinion', policy)).toBe(minutes(360));
    expect(maxAgeFor('sky.intrusion', policy)).toBe(minutes(60));
  });
});

describe('describeSpan', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect([45_000, minutes(90), minutes(192), minutes(60 * 24 * 180)].map(describeSpan)).toEqual([
      '45 s',
      '90 min',
      '3 h 12 min',
      '180 days',
    ]);
  });
});
