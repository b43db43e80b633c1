import { describe, expect, it } from 'vitest';
import { alertPayload, smsText } from '../../../shared/domain/alert-message.ts';
import { planIncidents } from '../../../shared/domain/incident-plan.ts';
import { MemoryIncidentTable, planContext } from './incident-table.ts';
import { sightings } from './sightings.ts';

const ctx = planContext();
const options = { timeZone: 'Asia/Shanghai', now: new Date('2026-11-25T02:05:00+08:00') };

describe('incident identity', () => {
  it('keeps the key within DynamoDB limits for a post with a 2,000-character URL and no topic', () => {
    const url = `https://weibo.example.cn/search?q=${'%E7%B1%B3'.repeat(220)}`;
    const [one] = sightings('opinion.post_flagged', [0], {
      overrides: {
        payload: { platform: '微博', url, title: '米山镇', reach: 10, sentiment: 'neutral' },
      },
    });
    const [change] = planIncidents([one!], new MemoryIncidentTable().view(), ctx).changes;
    expect(Buffer.byteLength(`INC#${change!.after.id}`)).toBeLessThan(300);
    expect(Buffer.byteLength(`${change!.after.firstSeen}#${change!.after.id}`)).toBeLessThan(1024);
  });

  it('never merges incidents of two counties, even for the same badge or source id', () => {
    const here = sightings('patrol.sos', [0], { idPrefix: 'a' });
    const there = sightings('patrol.sos', [120], {
      idPrefix: 'b',
      firstSeq: 2,
      overrides: { place: { county: '140522', kind: 'public' } },
    });
    const { changes } = planIncidents([...here, ...there], new MemoryIncidentTable().view(), ctx);
    expect(changes.map((c) => c.after.place.county).sort()).toEqual(['140522', '140581']);
  });

  it('stores no phone number typed into a source id, a place name or a dedup key', () => {
    const [one] = sightings('patrol.sos', [0], {
      overrides: {
        source: { id: 'officer-13812345678', kind: 'patrol_app' },
        place: { county: '140581', kind: 'rental', name: '房东13812345678家' },
        payload: { kind: 'sos', officer: { badge: '13812345678' } },
      },
    });
    const incident = planIncidents([one!], new MemoryIncidentTable().view(), ctx).changes[0]!.after;
    const stored = JSON.stringify(incident);
    expect(stored).not.toContain('13812345678');
    expect(smsText(incident, options)).not.toContain('13812345678');
    expect(JSON.stringify(alertPayload(incident, options))).not.toContain('13812345678');
  });
});
