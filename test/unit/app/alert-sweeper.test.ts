import { describe, expect, it } from 'vitest';
import type { DueClocks } from '../../../shared/adapters/due-clocks.ts';
import type { PendingAlert, PendingAlerts } from '../../../shared/adapters/pending-alerts.ts';
import { createSweeper } from '../../../shared/app/alert-sweeper.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../../shared/domain/lifecycle-policy.ts';
import { eventAt, kinesisEvent, kinesisRecords } from './builders.ts';
import { InMemoryIncidentStore, memoryLog, testRulesProcessor } from './fakes.ts';

const NOW = new Date('2026-11-25T02:10:00+08:00');

/** Pending alerts in memory: the index's order and the re-drive's condition. */
class MemoryPendingAlerts implements PendingAlerts {
  readonly alerts: (PendingAlert & { sent?: boolean })[] = [];
  readonly redriven: PendingAlert[] = [];
  failFor = new Set<string>();

  async overdue(before: Date, limit: number) {
    return this.alerts
      .filter((a) => !a.sent && a.pendingSince < before.toISOString())
      .sort((a, b) => a.pendingSince.localeCompare(b.pendingSince))
      .slice(0, limit);
  }

  async redrive(alert: PendingAlert, now: Date) {
    if (this.failFor.has(alert.incidentId)) throw new Error('ProvisionedThroughputExceededException');
    const stored = this.alerts.find((a) => a.incidentId === alert.incidentId);
    if (!stored || stored.sent || stored.alertSeq !== alert.alertSeq) return false;
    stored.pendingSince = now.toISOString();
    this.redriven.push(alert);
    return true;
  }
}

const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000).toISOString();

describe('createSweeper: pending alerts', () => {
  it('re-drives alerts pending for more than a minute, and leaves younger ones to the notifier', async () => {
    const pending = new MemoryPendingAlerts();
    pending.alerts.push(
      { incidentId: 'a', alertSeq: 1, pendingSince: minutesAgo(12) },
      { incidentId: 'b', alertSeq: 2, pendingSince: minutesAgo(2) },
      { incidentId: 'c', alertSeq: 1, pendingSince: minutesAgo(0.5) },
    );
    const sweep = createSweeper({ pending, now: () => NOW, log: memoryLog() });

    expect(await sweep()).toMatchObject({ overdue: 2, redriven: 2, settled: 0, failed: 0 });
    expect(pending.redriven.map((a) => a.incidentId)).toEqual(['a', 'b']);
    // Each waits another minute before the next try: a dead topic is tried once a minute, not in a loop.
    expect(await sweep()).toMatchObject({ overdue: 0, redriven: 0, settled: 0, failed: 0 });
  });

  it('counts an alert sent between the query and the re-drive as settled, and one that fails for the next sweep', async () => {
    const pending = new MemoryPendingAlerts();
    pending.alerts.push(
      { incidentId: 'a', alertSeq: 1, pendingSince: minutesAgo(5) },
      { incidentId: 'b', alertSeq: 1, pendingSince: minutesAgo(5) },
    );
    pending.failFor.add('b');
    const overdue = pending.overdue.bind(pending);
    pending.overdue = async (before, limit) => {
      const found = await overdue(before, limit);
      pending.alerts[0]!.sent = true;
      return found;
    };
    const log = memoryLog();
    const sweep = createSweeper({ pending, now: () => NOW, log });

    expect(await sweep()).toMatchObject({ overdue: 2, redriven: 0, settled: 1, failed: 1 });
    expect(log.entries.some((e) => e.message.includes('next sweep tries again'))).toBe(true);
  });

  it('takes at most the limit in one sweep', async () => {
    const pending = new MemoryPendingAlerts();
    for (let i = 0; i < 30; i++) pending.alerts.push({ incidentId: `i${i}`, alertSeq: 1, pendingSince: minutesAgo(9) });
    const sweep = createSweeper({ pending, now: () => NOW, log: memoryLog(), limit: 25 });

    expect((await sweep()).redriven).toBe(25);
  });
});

describe('createSweeper: the clocks', () => {
  async function openIncidents() {
    const incidents = new InMemoryIncidentStore();
    const rules = testRulesProcessor({ incidents });
    await rules(
      kinesisEvent(
        kinesisRecords([eventAt('patrol.sos', 200, { id: 'sos-1' }), eventAt('camera.crowd', 190, { id: 'crowd-1' })]),
      ),
    );
    const dueClocks: DueClocks = {
      async due(at, limit) {
        return [...incidents.items.values()]
          .filter((i) => i.nextDueAt !== undefined && i.nextDueAt <= at.toISOString())
          .sort((a, b) => (a.nextDueAt ?? '').localeCompare(b.nextDueAt ?? ''))
          .slice(0, limit)
          .map((i) => structuredClone(i));
      },
    };
    return { incidents, dueClocks };
  }
  const noPending: PendingAlerts = { overdue: async () => [], redrive: async () => false };

  it('ticks only the incidents that are due, and two sweeps at once escalate an incident once', async () => {
    const { incidents, dueClocks } = await openIncidents();
    const sos = [...incidents.items.values()].find((i) => i.ruleId === 'ground.sos')!;
    const crowd = [...incidents.items.values()].find((i) => i.ruleId === 'sky.crowd')!;
    // A second after the SOS's sign deadline, before the crowd's.
    const at = new Date(NOW.getTime() + 1000);
    expect(sos.clocks.sign!.dueAt < at.toISOString() && crowd.clocks.sign!.dueAt > at.toISOString()).toBe(true);
    const make = () =>
      createSweeper({
        pending: noPending,
        clocks: { dueClocks, incidents, policy: DEFAULT_LIFECYCLE_POLICY },
        now: () => at,
        log: memoryLog(),
      });
    const dueNow = await dueClocks.due(at, 100);

    const [a, b] = await Promise.all([make()(), make()()]);

    expect(dueNow.map((i) => i.id)).toEqual([sos.id]);
    expect(a.due + b.due).toBe(2);
    expect(a.ticked + b.ticked).toBe(1);
    expect(a.unchanged + b.unchanged).toBe(1);
    const after = incidents.items.get(sos.id)!;
    // Up one level: the township (already alerted by the 特急 opening) is reminded, the village told.
    expect(after.level).toBe('township');
    expect(after.steps.filter((s) => s.clock === 'sign').map((s) => [s.kind, s.levels])).toEqual([
      ['reminder', ['township']],
    ]);
    expect(after.steps.filter((s) => s.kind === 'escalation-notice').map((s) => s.levels)).toEqual([['village']]);
    expect(incidents.items.get(crowd.id)?.version).toBe(crowd.version);
    // The sweep's entry is the one after the rules' and names the sweep as the actor.
    expect(incidents.table.log.get(sos.id)?.at(-1)?.actor).toEqual({ kind: 'function', name: 'sweep' });
  });

  it('leaves an incident that is not due yet alone', async () => {
    const { incidents, dueClocks } = await openIncidents();
    const first = Math.min(...[...incidents.items.values()].map((i) => Date.parse(i.nextDueAt!)));
    const sweep = createSweeper({
      pending: noPending,
      clocks: { dueClocks, incidents, policy: DEFAULT_LIFECYCLE_POLICY },
      now: () => new Date(first - 1000),
      log: memoryLog(),
    });
    const versions = [...incidents.items.values()].map((i) => i.version);

    expect(await sweep()).toMatchObject({ due: 0, ticked: 0 });
    expect([...incidents.items.values()].map((i) => i.version)).toEqual(versions);
  });
});
