import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INLINE_APPLIED_KEYS, keyCount } from '../../../shared/domain/applied-events.ts';
import { incidentCode } from '../../../shared/domain/incident-key.ts';
import { planIncidents, type Sighting } from '../../../shared/domain/incident-plan.ts';
import { MemoryIncidentTable, planContext } from './incident-table.ts';
import { sequenceNumber, sightings } from './sightings.ts';

const ctx = planContext();

/** Plans a batch against the table and writes the plan, as the processor would. */
function deliver(table: MemoryIncidentTable, batch: readonly Sighting[]) {
  return table.apply(planIncidents(batch, table.view(), ctx));
}

const fresh = () => new MemoryIncidentTable().view();
const totalCount = (table: MemoryIncidentTable) =>
  [...table.incidents.values()].reduce((n, incident) => n + incident.eventCount, 0);

describe('planIncidents', () => {
  it('opens one incident for a storm of 1,000 alarms from one camera', () => {
    const storm = sightings(
      'camera.intrusion',
      Array.from({ length: 1000 }, (_, i) => i % 1700),
    );
    const { changes, duplicates, claims } = planIncidents(storm, fresh(), ctx);
    expect(changes).toHaveLength(1);
    expect(duplicates).toHaveLength(0);
    expect(claims).toHaveLength(0);
    const [change] = changes;
    expect(change?.before).toBeUndefined();
    expect(change?.after).toMatchObject({
      eventCount: 1000,
      lateCount: 0,
      alertSeq: 1,
      alertPending: true,
      version: 1,
      state: 'open',
      level: 'village',
      alerted: ['village', 'township'], // 特急: its own desk and the one above
    });
    expect(keyCount(change?.after.applied)).toBe(1000);
    expect(change?.after.timeline).toHaveLength(20);
    expect(change?.after.timeline[0]?.eventId).toBe('ev-0');
    expect(change?.after.timeline.at(-1)?.eventId).toBe('ev-999');
    expect(change?.firstSequenceNumber).toBe(sequenceNumber(1));
  });

  it('changes nothing when the same batch is delivered again', () => {
    const table = new MemoryIncidentTable();
    const batch = sightings('camera.intrusion', [0, 10, 20]);
    deliver(table, batch);
    const again = planIncidents(batch, table.view(), ctx);
    expect(again.changes).toEqual([]);
    expect(again.duplicates).toHaveLength(3);
  });

  it('counts a resent event id once even under a new sequence number on another shard', () => {
    const table = new MemoryIncidentTable();
    deliver(table, sightings('camera.intrusion', [0], { idPrefix: 'same' }));
    const resent = sightings('camera.intrusion', [0], { idPrefix: 'same', firstSeq: 50 }).map((s) => ({
      ...s,
      shardId: 'shardId-000000000003',
    }));
    expect(planIncidents(resent, table.view(), ctx).changes).toEqual([]);
  });

  it('counts the same event id from two sources as two events', () => {
    const a = sightings('camera.crowd', [0], { idPrefix: 'alarm' });
    const b = sightings('camera.crowd', [5], {
      idPrefix: 'alarm',
      overrides: { source: { id: 'cam-east', kind: 'camera' } },
    });
    const { changes } = planIncidents([...a, ...b], fresh(), ctx);
    expect(changes.map((c) => c.after.eventCount)).toEqual([2]);
  });

  it('keeps a storm across a window boundary in one incident and claims the second window for it', () => {
    // Intrusion windows are 30 minutes: 02:25 → 02:35 crosses 02:30.
    const batch = sightings('camera.intrusion', [25 * 60, 29 * 60, 31 * 60, 35 * 60]);
    const { changes, claims } = planIncidents(batch, fresh(), ctx);
    expect(changes.map((c) => c.after.eventCount)).toEqual([4]);
    expect(claims).toEqual([
      expect.objectContaining({ incidentId: changes[0]!.after.id, firstSequenceNumber: sequenceNumber(3) }),
    ]);
  });

  it('routes a claimed window to its incident in every later batch, whatever else changed meanwhile', () => {
    const table = new MemoryIncidentTable();
    deliver(table, sightings('camera.intrusion', [25 * 60, 31 * 60]));
    // An hour later the storm still sends events stamped inside the claimed window.
    const later = sightings('camera.intrusion', [33 * 60], { idPrefix: 'late-arrival', firstSeq: 9 });
    deliver(table, later);
    expect([...table.incidents.values()].map((i) => i.eventCount)).toEqual([3]);
  });

  it('opens a new incident when the camera was quiet for longer than the window', () => {
    const batch = sightings('camera.intrusion', [0, 2 * 3600]);
    expect(planIncidents(batch, fresh(), ctx).changes).toHaveLength(2);
  });

  it('opens a new incident after two windows, so a desk hears again of an alarm that does not stop', () => {
    const minutes = Array.from({ length: 70 }, (_, i) => i * 60);
    const { changes } = planIncidents(sightings('camera.intrusion', minutes), fresh(), ctx);
    expect(changes.map((c) => c.after.eventCount)).toEqual([60, 10]);
  });

  it('raises a new alert when a later event is more severe', () => {
    const table = new MemoryIncidentTable();
    const day = sightings('camera.intrusion', [0], {
      overrides: {
        occurredAt: '2026-11-25T14:00:00+08:00',
        receivedAt: '2026-11-25T14:00:01+08:00',
        place: { county: '140581', kind: 'residential' },
      },
    });
    deliver(table, day);
    const first = [...table.incidents.values()][0]!;
    expect(first.severity).toBe(3);
    const night = sightings('camera.intrusion', [0], {
      firstSeq: 10,
      idPrefix: 'night',
      overrides: {
        occurredAt: '2026-11-25T14:10:00+08:00',
        receivedAt: '2026-11-25T14:10:01+08:00',
        place: { county: '140581', kind: 'school' },
      },
    });
    const { changes } = deliver(table, night);
    expect(changes[0]?.after).toMatchObject({
      severity: 2,
      alertSeq: 2,
      steps: [expect.objectContaining({ kind: 'opened' }), expect.objectContaining({ kind: 'severity-raised' })],
      alertPending: true,
    });
    expect(changes[0]?.alertRaised).toBe(true);
  });

  it('does not raise an alert for more events of the same severity', () => {
    const table = new MemoryIncidentTable();
    deliver(table, sightings('camera.intrusion', [0]));
    const { changes } = deliver(table, sightings('camera.intrusion', [60], { firstSeq: 2, idPrefix: 'more' }));
    expect(changes[0]).toMatchObject({ alertRaised: false, after: { alertSeq: 1, eventCount: 2, version: 2 } });
  });

  it('sets the acknowledgement deadline from the first event and the TTL from the last', () => {
    const { changes } = planIncidents(sightings('patrol.sos', [0, 120]), fresh(), ctx);
    const incident = changes[0]!.after;
    expect(incident.ackBy).toBe('2026-11-24T18:03:00.000Z');
    expect(incident.expiresAt).toBe(Date.parse('2026-11-24T18:02:00Z') / 1000 + 180 * 86_400);
  });

  it('gives the same short code to the same incident', () => {
    const a = planIncidents(sightings('camera.intrusion', [0]), fresh(), ctx).changes[0]!.after;
    expect(a.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(a.code).toBe(incidentCode(a.id));
  });
});

describe('planIncidents with late events (迟报)', () => {
  const lateBy = (minutes: number) => ({
    receivedAt: new Date(Date.parse('2026-11-25T02:00:00+08:00') + minutes * 60_000).toISOString(),
  });

  it('counts a late event, marks it in the timeline, and sends no alert for an incident it opens', () => {
    const { changes } = planIncidents(sightings('patrol.sos', [0], { overrides: lateBy(180) }), fresh(), ctx);
    expect(changes[0]).toMatchObject({
      alertRaised: false,
      late: 1,
      after: { eventCount: 1, lateCount: 1, alertSeq: 0, alertPending: false },
    });
    expect(changes[0]?.after.timeline[0]).toMatchObject({ late: true });
  });

  it('alerts when the first current event comes, with the deadline running from it', () => {
    const table = new MemoryIncidentTable();
    deliver(table, sightings('patrol.sos', [0], { overrides: lateBy(180) }));
    const now = sightings('patrol.sos', [60], { idPrefix: 'now', firstSeq: 5 });
    const { changes } = deliver(table, now);
    expect(changes[0]).toMatchObject({
      alertRaised: true,
      after: { eventCount: 2, lateCount: 1, alertSeq: 1, ackBy: '2026-11-24T18:04:00.000Z' },
    });
  });

  it('never raises the severity or moves the deadline for a late event', () => {
    const table = new MemoryIncidentTable();
    const day = { occurredAt: '2026-11-25T14:00:00+08:00', receivedAt: '2026-11-25T14:00:01+08:00' };
    deliver(
      table,
      sightings('camera.intrusion', [0], { overrides: { ...day, place: { county: '140581', kind: 'residential' } } }),
    );
    const before = [...table.incidents.values()][0]!;
    const lateNight = sightings('camera.intrusion', [0], {
      idPrefix: 'backfill',
      firstSeq: 3,
      overrides: {
        occurredAt: '2026-11-25T14:05:00+08:00',
        receivedAt: '2026-11-25T16:00:00+08:00',
        place: { county: '140581', kind: 'school' },
      },
    });
    const { changes } = deliver(table, lateNight);
    expect(changes[0]).toMatchObject({
      alertRaised: false,
      after: { severity: before.severity, ackBy: before.ackBy, lastSeen: '2026-11-25T14:05:00+08:00', lateCount: 1 },
    });
  });

  it('keeps an opinion post current for its 6-hour window (the rule’s own maximum age)', () => {
    const { changes } = planIncidents(sightings('opinion.post_flagged', [0], { overrides: lateBy(300) }), fresh(), {
      ...ctx,
      eventTime: { maxAgeMs: 3_600_000, ruleMaxAgeMs: { 'internet.opinion': 6 * 3_600_000 } },
    });
    expect(changes[0]).toMatchObject({ alertRaised: true, late: 0 });
  });
});

describe('planIncidents with long storms', () => {
  it('moves applied keys into pages past the inline limit and still recognises every earlier event', () => {
    const table = new MemoryIncidentTable();
    const total = INLINE_APPLIED_KEYS * 2 + 100;
    const all = sightings(
      'camera.intrusion',
      Array.from({ length: total }, (_, i) => Math.floor(i / 4)),
    );
    for (let i = 0; i < total; i += 500) deliver(table, all.slice(i, i + 500));
    const [incident] = [...table.incidents.values()];
    expect(incident?.eventCount).toBe(total);
    expect(incident?.appliedPages.length).toBeGreaterThan(0);
    expect(keyCount(incident?.applied)).toBeLessThanOrEqual(INLINE_APPLIED_KEYS);
    // Every event again, as a resend from the start: nothing counts twice.
    const again = planIncidents(all, table.view(), ctx);
    expect(again.changes).toEqual([]);
    expect(again.duplicates).toHaveLength(total);
  });

  it('refuses to plan without a page the incident names', () => {
    const table = new MemoryIncidentTable();
    const all = sightings(
      'camera.intrusion',
      Array.from({ length: INLINE_APPLIED_KEYS + 1 }, () => 0),
    );
    deliver(table, all);
    const view = { ...table.view(), pages: new Map() };
    expect(() => planIncidents(sightings('camera.intrusion', [1], { idPrefix: 'x' }), view, ctx)).toThrow(/not loaded/);
  });
});

describe('planIncidents under any delivery history (property)', () => {
  const types = ['camera.intrusion', 'camera.crowd', 'cafe.minor_admitted', 'patrol.sos'] as const;

  it('counts each distinct event exactly once, in any order, batching and redelivery, on any shard', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(...types),
            // Around window boundaries on purpose: 0–4 h in 1-minute steps.
            minute: fc.integer({ min: 0, max: 240 }),
            resendOf: fc.option(fc.nat(60), { nil: undefined }),
            shard: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (spec, cuts, replays) => {
          // Each event: its own id, or the id (and everything else) of an earlier one it resends.
          const records: Sighting[] = [];
          spec.forEach((s, i) => {
            const original = s.resendOf !== undefined && s.resendOf < i ? records[s.resendOf] : undefined;
            const [one] = original ? [{ ...original }] : sightings(s.type, [s.minute * 60], { idPrefix: `e${i}` });
            records.push({ ...one!, shardId: `shardId-00000000000${s.shard}`, sequenceNumber: sequenceNumber(i + 1) });
          });
          const distinct = new Set(records.map((r) => `${r.match.rule.id}|${r.event.source.id}|${r.event.id}`)).size;
          // Out of order: batches in a shuffled order, then stale redeliveries of batches already applied.
          const batches: Sighting[][] = [];
          for (let at = 0, c = 0; at < records.length; c++) {
            const size = cuts[c % cuts.length]!;
            batches.push(records.slice(at, at + size));
            at += size;
          }
          const order = batches
            .map((_, i) => i)
            .sort((a, b) => ((a * 7919 + cuts[0]!) % 13) - ((b * 7919 + cuts[0]!) % 13));
          const table = new MemoryIncidentTable();
          for (const i of order) deliver(table, batches[i]!);
          for (const r of replays) deliver(table, batches[r % batches.length]!);
          expect(totalCount(table)).toBe(distinct);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('planIncidents with resent bursts', () => {
  it('counts each event id once within a batch, however far apart the resends are', () => {
    const burst = sightings(
      'camera.intrusion',
      Array.from({ length: 200 }, (_, i) => i),
    );
    const resent = sightings(
      'camera.intrusion',
      Array.from({ length: 20 }, (_, i) => i),
      { firstSeq: 201 },
    );
    const { changes, duplicates } = planIncidents([...burst, ...resent], fresh(), ctx);
    expect(changes[0]?.after.eventCount).toBe(200);
    expect(duplicates).toHaveLength(20);
  });
});
