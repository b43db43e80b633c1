import { describe, expect, it } from 'vitest';
import { deviceTime, isoInZone } from '../../../../events/adapters/device-time.ts';

describe('device time', () => {
  it.each([
    ['2026-11-26T02:00:00+08:00', '2026-11-26T02:00:00+08:00'],
    ['2026-11-26T02:00:00+0800', '2026-11-26T02:00:00+08:00'],
    ['2026-11-25T18:00:00Z', '2026-11-25T18:00:00+00:00'],
    ['2026-11-25T18:00:00.5Z', '2026-11-25T18:00:00.500+00:00'],
    ['2026-11-26T02:00:00', '2026-11-26T02:00:00+08:00'],
    ['2026-11-26 02:00:00', '2026-11-26T02:00:00+08:00'],
    ['2026-11-26T02:00+08:00', '2026-11-26T02:00:00+08:00'],
    ['2026-11-26T02:00', '2026-11-26T02:00:00+08:00'],
    ['2026-11-25T18:00Z', '2026-11-25T18:00:00+00:00'],
  ])('reads %s as %s', (text, iso) => {
    expect(deviceTime(text, 'Asia/Shanghai')).toBe(iso);
  });

  it.each([
    '2026-02-30T02:00:00',
    '2026-11-26T24:00:00',
    '2026-11-26',
    '2026-11-26T02',
    '2026-11-26T02:00:',
    '2026-11-26T02:00.5',
    'now',
    '2026-11-26T02:00:00+15:00',
    '1969-12-31T23:00:00Z',
  ])('refuses %s', (text) => {
    expect(deviceTime(text, 'Asia/Shanghai')).toBeUndefined();
  });

  it('finds the right offset on both sides of a DST change', () => {
    expect(deviceTime('2026-03-29T01:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00+01:00');
    expect(deviceTime('2026-03-29T03:30:00', 'Europe/Berlin')).toBe('2026-03-29T03:30:00+02:00');
    expect(deviceTime('2026-10-25T04:00:00', 'Europe/Berlin')).toBe('2026-10-25T04:00:00+01:00');
    // Inside the spring-forward gap: moved forward, still a real instant.
    expect(deviceTime('2026-03-29T02:30:00', 'Europe/Berlin')).toBe('2026-03-29T03:30:00+02:00');
  });

  it('writes an epoch instant with the zone offset', () => {
    expect(isoInZone(1_795_629_600_000, 'Asia/Shanghai')).toBe('2026-11-26T02:00:00+08:00');
    expect(isoInZone(1_795_629_600_123, 'America/New_York')).toBe('2026-11-25T13:00:00.123-05:00');
    expect(isoInZone(Number.NaN, 'Asia/Shanghai')).toBeUndefined();
  });
});
