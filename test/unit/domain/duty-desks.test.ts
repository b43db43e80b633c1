import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, NotifyConfig, RulesConfig, readConfig } from '../../../shared/config.ts';
import { DutyDeskList, deskFilterPolicy, jurisdictionLevel } from '../../../shared/domain/duty-desks.ts';

describe('duty desks', () => {
  it('parses the demo desks file', () => {
    const desks = DutyDeskList.parse(JSON.parse(readFileSync('config/desks.json', 'utf8')));
    expect(desks.map((d) => jurisdictionLevel(d.jurisdiction))).toEqual(['county', 'township', 'township', 'village']);
  });

  it('filters on one jurisdiction level and a severity ceiling', () => {
    expect(deskFilterPolicy({ jurisdiction: '140581', minSeverity: 2 })).toEqual({
      jurisdiction: ['140581'],
      severity: [{ numeric: ['<=', 2] }],
    });
  });

  it('rejects duplicate ids and numbers that are not mainland mobiles, naming the field', () => {
    const result = DutyDeskList.safeParse([
      { id: 'a', name: '甲', jurisdiction: '140581', sms: ['12345'] },
      { id: 'a', name: '乙', jurisdiction: '140581100' },
    ]);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['0.sms.0', '1.id']);
  });
});

describe('configuration', () => {
  it('names every missing or malformed variable', () => {
    expect(() => readConfig(NotifyConfig, { TOPIC_ARN: 'topic', TIME_ZONE: 'Mars/Base' })).toThrowError(ConfigError);
    expect(() => readConfig(NotifyConfig, { TOPIC_ARN: 'topic', TIME_ZONE: 'Mars/Base' })).toThrowError(
      /TABLE_NAME: .*; TOPIC_ARN: .*; TIME_ZONE: must be an IANA time zone/,
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
