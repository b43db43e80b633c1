import type { DueClocks } from '../adapters/due-clocks.ts';
import type { IncidentRecords } from '../adapters/incident-store.ts';
import type { PendingAlerts } from '../adapters/pending-alerts.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import { applyCommand } from './incident-commands.ts';
import type { Log } from './rules-processor.ts';

export interface SweeperDeps {
  pending: PendingAlerts;
  /** The clocks to tick; without them (npx sanwang replay notify) the sweep only re-drives pending alerts. */
  clocks?: { dueClocks: DueClocks; incidents: IncidentRecords; policy: LifecyclePolicy };
  now: () => Date;
  log: Log;
  newToken?: () => string;
  /** Alerts pending longer than this are re-driven. Default one minute. */
  minAgeMs?: number;
  /** At most this many alerts, and this many due incidents, a sweep; the next sweep takes the rest. Default 500. */
  limit?: number;
  /** Incidents ticked at once. Default 8. */
  concurrency?: number;
}

export interface SweepSummary {
  /** Incidents whose clocks were due. */
  due: number;
  /** Of those, changed: a reminder, an escalation or a breach recorded. */
  ticked: number;
  /** Due in the index, but already handled (by another sweep, or an officer just before). */
  unchanged: number;
  overdue: number;
  redriven: number;
  /** Sent or superseded between the query and the re-drive. */
  settled: number;
  failed: number;
}

const defaults = { minAgeMs: 60_000, limit: 500, concurrency: 8 };

/**
 * The clock of the duty desks, every minute: each incident whose next due instant has come is ticked through the
 * state machine — reminders, escalations up the ladder, breaches — on its version, so two sweeps at once change
 * an incident once (the second reads the first's result and finds nothing due). The alert steps a tick adds go out
 * through the table stream and the notifier, like every other alert.
 *
 * Then the sweep behind "no alert lost while it can still be sent": every alert still pending a minute after it
 * became due (the SMS channel was down, the notifier's stream records aged out) is put before the notifier again.
 * The sweep never sends itself: the notifier stays the only sender.
 */
export function createSweeper(deps: SweeperDeps) {
  const minAgeMs = deps.minAgeMs ?? defaults.minAgeMs;
  const limit = deps.limit ?? defaults.limit;
  const concurrency = deps.concurrency ?? defaults.concurrency;
  const clocks = deps.clocks;

  /** Each due incident through the state machine, on its version: a second sweep finds nothing due. */
  async function tickDue(c: NonNullable<SweeperDeps['clocks']>, now: Date, summary: SweepSummary) {
    const commands = {
      records: c.incidents,
      policy: c.policy,
      now: deps.now,
      ...(deps.newToken ? { newToken: deps.newToken } : {}),
    };
    const due = await c.dueClocks.due(now, limit);
    summary.due = due.length;
    await eachLimited(due, concurrency, async (incident) => {
      try {
        const result = await applyCommand(
          commands,
          incident.id,
          { kind: 'tick' },
          { kind: 'function', name: 'sweep' },
          incident,
        );
        if (result.ok && result.entry) summary.ticked++;
        else summary.unchanged++;
      } catch (error) {
        summary.failed++;
        deps.log.warn('incident clock could not be ticked; the next sweep tries again', {
          incidentId: incident.id,
          error: String(error),
        });
      }
    });
  }

  return async function sweep(): Promise<SweepSummary> {
    const now = deps.now();
    const summary: SweepSummary = {
      due: 0,
      ticked: 0,
      unchanged: 0,
      overdue: 0,
      redriven: 0,
      settled: 0,
      failed: 0,
    };
    if (clocks) await tickDue(clocks, now, summary);

    const overdue = await deps.pending.overdue(new Date(now.getTime() - minAgeMs), limit);
    summary.overdue = overdue.length;
    await eachLimited(overdue, concurrency, async (alert) => {
      try {
        if (await deps.pending.redrive(alert, now)) summary.redriven++;
        else summary.settled++;
      } catch (error) {
        summary.failed++;
        deps.log.warn('pending alert could not be re-driven; the next sweep tries again', {
          incidentId: alert.incidentId,
          error: String(error),
        });
      }
    });
    if (summary.ticked > 0 || summary.overdue > 0 || summary.failed > 0) deps.log.info('swept', { ...summary });
    return summary;
  };
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
