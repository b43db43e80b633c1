import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../shared/domain/incident.ts';
import { compareSequence, incidentCode } from '../../../shared/domain/incident-key.ts';
import { planIncidents, type Sighting } from '../../../shared/domain/incident-plan.ts';
import { SHARD, sequenceNumber, sightings } from './sightings.ts';

const ctx = { now: new Date('2026-11-24T18:10:00Z'), incidentRetentionDays: 180 };

/** Plays the store: applies a plan's changes to a map, as the conditional writes would. */
function apply(store: Map<string, Incident>, batch: readonly Sighting[]) {
  const plan = planIncidents(batch, store, ctx);
  for (const change of plan.changes) store.set(change.after.id, change.after);
  return plan;
}

describe('planIncidents', () => {
  it('opens one incident for a storm of 1,000 alarms from one camera', () => {
    const storm = sightings(
      'camera.intrusion',
      Array.from({ length: 1000 }, (_, i) => i),
    );
    const { changes, duplicates } = planIncidents(storm, new Map(), ctx);
    expect(changes).toHaveLength(1);
    expect(duplicates).toHaveLength(0);
    const [change] = changes;
    expect(change?.before).toBeUndefined();
    expect(change?.after).toMatchObject({
      eventCount: 1000,
      alertSeq: 1,
      alertPending: true,
      alertReason: 'opened',
      version: 0,
    });
    expect(change?.after.timeline).toHaveLength(20);
    expect(change?.after.timeline[0]?.eventId).toBe('ev-0');
    expect(change?.after.timeline.at(-1)?.eventId).toBe('ev-999');
    expect(change?.firstSequenceNumber).toBe(sequenceNumber(1));
  });

  it('changes nothing when the same batch is delivered again', () => {
    const store = new Map<string, Incident>();
    const batch = sightings('camera.intrusion', [0, 10, 20]);
    apply(store, batch);
    const again = planIncidents(batch, store, ctx);
    expect(again.changes).toEqual([]);
    expect(again.duplicates).toHaveLength(3);
  });

  it('counts a resent event id once even under a new sequence number', () => {
    const store = new Map<string, Incident>();
    apply(store, sightings('camera.intrusion', [0], { idPrefix: 'same' }));
    const resent = sightings('camera.intrusion', [0], { idPrefix: 'same', firstSeq: 50 });
    expect(planIncidents(resent, store, ctx).changes).toEqual([]);
  });

  it('keeps a storm across a window boundary in one incident', () => {
    // Intrusion windows are 30 minutes: 02:25 → 02:35 crosses 02:30.
    const batch = sightings('camera.intrusion', [25 * 60, 29 * 60, 31 * 60, 35 * 60]);
    const { changes } = planIncidents(batch, new Map(), ctx);
    expect(changes.map((c) => c.after.eventCount)).toEqual([4]);
  });

  it('opens a new incident when the camera was quiet for longer than the window', () => {
    const batch = sightings('camera.intrusion', [0, 2 * 3600]);
    expect(planIncidents(batch, new Map(), ctx).changes).toHaveLength(2);
  });

  it('raises a new alert when a later event is more severe', () => {
    const store = new Map<string, Incident>();
    const day = sightings('camera.intrusion', [0], {
      overrides: { occurredAt: '2026-11-25T14:00:00+08:00', place: { county: '140581', kind: 'residential' } },
    });
    apply(store, day);
    const first = [...store.values()][0]!;
    expect(first.severity).toBe(3);
    const night = sightings('camera.intrusion', [0], {
      firstSeq: 10,
      idPrefix: 'night',
      overrides: { occurredAt: '2026-11-25T14:10:00+08:00', place: { county: '140581', kind: 'school' } },
    });
    const { changes } = apply(store, night);
    expect(changes[0]?.after).toMatchObject({
      severity: 2,
      alertSeq: 2,
      alertReason: 'severity-raised',
      alertPending: true,
    });
    expect(changes[0]?.alertRaised).toBe(true);
  });

  it('does not raise an alert for more events of the same severity', () => {
    const store = new Map<string, Incident>();
    apply(store, sightings('camera.intrusion', [0]));
    const { changes } = apply(store, sightings('camera.intrusion', [60], { firstSeq: 2, idPrefix: 'more' }));
    expect(changes[0]).toMatchObject({ alertRaised: false, after: { alertSeq: 1, eventCount: 2, version: 1 } });
  });

  it('sets the acknowledgement deadline from the first event and the TTL from the last', () => {
    const { changes } = planIncidents(sightings('patrol.sos', [0, 120]), new Map(), ctx);
    const incident = changes[0]!.after;
    expect(incident.ackBy).toBe('2026-11-24T18:03:00.000Z');
    expect(incident.expiresAt).toBe(Date.parse('2026-11-24T18:02:00Z') / 1000 + 180 * 86_400);
  });

  it('gives the same short code to the same incident', () => {
    const a = planIncidents(sightings('camera.intrusion', [0]), new Map(), ctx).changes[0]!.after;
    expect(a.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(a.code).toBe(incidentCode(a.id));
  });

  it('yields the same incidents however often each batch is delivered (property)', () => {
    const types = ['camera.intrusion', 'camera.crowd', 'cafe.minor_admitted', 'patrol.sos'] as const;
    const events = fc.array(
      fc.record({
        type: fc.constantFrom(...types),
        offset: fc.integer({ min: 0, max: 4 * 3600 }),
        dupOf: fc.option(fc.nat(20)),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(
        events,
        fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 3 })),
        (spec, cuts, repeats) => {
          const all: Sighting[] = spec.map((s, i) => {
            const id = s.dupOf !== null && s.dupOf < i ? `id-${s.dupOf}` : `id-${i}`;
            const [one] = sightings(s.type, [s.offset], { firstSeq: i + 1 });
            return { ...one!, event: { ...one!.event, id } };
          });
          const batches: Sighting[][] = [];
          let at = 0;
          for (const cut of [...cuts, all.length]) {
            batches.push(all.slice(at, at + cut));
            at += cut;
            if (at >= all.length) break;
          }
          const once = new Map<string, Incident>();
          for (const b of batches) apply(once, b);
          const many = new Map<string, Incident>();
          batches.forEach((b, i) => {
            for (let r = 0; r < (repeats[i] ?? 1); r++) apply(many, b);
          });
          const view = (m: Map<string, Incident>) =>
            [...m.values()]
              .map((x) => ({ id: x.id, n: x.eventCount, f: x.firstSeen, l: x.lastSeen, s: x.severity, a: x.alertSeq }))
              .sort((x, y) => x.id.localeCompare(y.id));
          expect(view(many)).toEqual(view(once));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('remembers the highest sequence number per shard', () => {
    const { changes } = planIncidents(sightings('camera.intrusion', [0, 1, 2], { firstSeq: 98 }), new Map(), ctx);
    expect(changes[0]?.after.watermarks).toEqual({ [SHARD]: sequenceNumber(100) });
    expect(compareSequence(sequenceNumber(100), sequenceNumber(99))).toBeGreaterThan(0);
    expect(compareSequence('10', '9')).toBeGreaterThan(0);
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
    const { changes, duplicates } = planIncidents([...burst, ...resent], new Map(), ctx);
    expect(changes[0]?.after.eventCount).toBe(200);
    expect(duplicates).toHaveLength(20);
  });
});
