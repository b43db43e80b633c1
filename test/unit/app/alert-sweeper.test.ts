import { describe, expect, it } from 'vitest';
import type { PendingAlert, PendingAlerts } from '../../../shared/adapters/pending-alerts.ts';
import { createAlertSweeper } from '../../../shared/app/alert-sweeper.ts';
import { memoryLog } from './fakes.ts';

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

describe('createAlertSweeper', () => {
  it('re-drives alerts pending for more than a minute, and leaves younger ones to the notifier', async () => {
    const pending = new MemoryPendingAlerts();
    pending.alerts.push(
      { incidentId: 'a', alertSeq: 1, pendingSince: minutesAgo(12) },
      { incidentId: 'b', alertSeq: 2, pendingSince: minutesAgo(2) },
      { incidentId: 'c', alertSeq: 1, pendingSince: minutesAgo(0.5) },
    );
    const sweep = createAlertSweeper({ pending, now: () => NOW, log: memoryLog() });

    expect(await sweep()).toEqual({ overdue: 2, redriven: 2, settled: 0, failed: 0 });
    expect(pending.redriven.map((a) => a.incidentId)).toEqual(['a', 'b']);
    // Each waits another minute before the next try: a dead topic is tried once a minute, not in a loop.
    expect(await sweep()).toEqual({ overdue: 0, redriven: 0, settled: 0, failed: 0 });
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
    const sweep = createAlertSweeper({ pending, now: () => NOW, log });

    expect(await sweep()).toEqual({ overdue: 2, redriven: 0, settled: 1, failed: 1 });
    expect(log.entries.some((e) => e.message.includes('next sweep tries again'))).toBe(true);
  });

  it('takes at most the limit in one sweep', async () => {
    const pending = new MemoryPendingAlerts();
    for (let i = 0; i < 30; i++) pending.alerts.push({ incidentId: `i${i}`, alertSeq: 1, pendingSince: minutesAgo(9) });
    const sweep = createAlertSweeper({ pending, now: () => NOW, log: memoryLog(), limit: 25 });

    expect((await sweep()).redriven).toBe(25);
  });
});
