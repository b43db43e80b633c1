import type { PendingAlerts } from '../adapters/pending-alerts.ts';
import type { Log } from './rules-processor.ts';

export interface AlertSweeperDeps {
  pending: PendingAlerts;
  now: () => Date;
  log: Log;
  /** Alerts pending longer than this are re-driven. Default one minute. */
  minAgeMs?: number;
  /** At most this many a sweep; the next sweep takes the rest. Default 500. */
  limit?: number;
}

export interface SweepSummary {
  overdue: number;
  redriven: number;
  /** Sent or superseded between the query and the re-drive. */
  settled: number;
  failed: number;
}

const defaults = { minAgeMs: 60_000, limit: 500 };

/**
 * The sweep behind "no alert lost while it can still be sent": every alert still pending a minute after it became
 * due (SNS was down, the topic was recreated, the notifier's stream records aged out) is put before the notifier
 * again. It never sends itself: the notifier, fed in order per incident by the table stream, stays the only
 * sender, so a sweep can never race it into a second SMS.
 */
export function createAlertSweeper(deps: AlertSweeperDeps) {
  const minAgeMs = deps.minAgeMs ?? defaults.minAgeMs;
  const limit = deps.limit ?? defaults.limit;
  return async function sweep(): Promise<SweepSummary> {
    const now = deps.now();
    const overdue = await deps.pending.overdue(new Date(now.getTime() - minAgeMs), limit);
    const summary: SweepSummary = { overdue: overdue.length, redriven: 0, settled: 0, failed: 0 };
    await Promise.all(
      overdue.map(async (alert) => {
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
      }),
    );
    if (summary.overdue > 0) deps.log.warn('pending alerts re-driven', { ...summary });
    return summary;
  };
}
