import type { AlertOutbox, SentAlert } from '../../../shared/adapters/alert-outbox.ts';
import type { AlertPublisher, OutgoingAlert, PublishResult } from '../../../shared/adapters/alert-publisher.ts';
import type { IncidentStore } from '../../../shared/adapters/incident-store.ts';
import type { QuarantineStore } from '../../../shared/adapters/quarantine-store.ts';
import type { Log } from '../../../shared/app/rules-processor.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import type { IncidentChange } from '../../../shared/domain/incident-plan.ts';
import type { PoisonRecord } from '../../../shared/domain/poison-record.ts';

/**
 * Incidents in memory, with the Dynamo store's write conditions: a create fails if the incident exists, an update
 * if its version moved on; the notifier's attributes (alertPending, alertSentSeq) are never overwritten, only
 * alertPending raised with a new alert.
 */
export class InMemoryIncidentStore implements IncidentStore {
  readonly items = new Map<string, Incident>();
  readonly loads: string[][] = [];
  readonly saves: IncidentChange[] = [];
  /** Runs before a write is applied: throw to fail it, or change `items` to play a concurrent writer. */
  beforeSave: ((change: IncidentChange) => void | Promise<void>) | undefined;
  /** Thrown by the next load, once. */
  failNextLoad: Error | undefined;

  async load(ids: readonly string[]): Promise<Map<string, Incident>> {
    this.loads.push([...ids]);
    if (this.failNextLoad) {
      const error = this.failNextLoad;
      this.failNextLoad = undefined;
      throw error;
    }
    const found = new Map<string, Incident>();
    for (const id of new Set(ids)) {
      const incident = this.items.get(id);
      if (incident) found.set(id, structuredClone(incident));
    }
    return found;
  }

  async save(change: IncidentChange): Promise<'saved' | 'conflict'> {
    this.saves.push(change);
    await this.beforeSave?.(change);
    const { after, before, alertRaised } = change;
    const current = this.items.get(after.id);
    if (before === undefined ? current !== undefined : current?.version !== before.version) return 'conflict';
    const next: Incident = {
      ...structuredClone(after),
      alertPending: alertRaised ? true : (current?.alertPending ?? after.alertPending),
    };
    delete next.alertSentSeq;
    if (current?.alertSentSeq !== undefined) next.alertSentSeq = current.alertSentSeq;
    this.items.set(after.id, next);
    return 'saved';
  }

  /** What a duty officer would compare: per incident, how many events, when, how severe. */
  summary(): Record<string, Pick<Incident, 'eventCount' | 'firstSeen' | 'lastSeen' | 'severity'>> {
    return Object.fromEntries(
      [...this.items.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(({ id, eventCount, firstSeen, lastSeen, severity }) => [
          id,
          { eventCount, firstSeen, lastSeen, severity },
        ]),
    );
  }
}

/** Poison records keyed as the Dynamo store keys them (shard and sequence number), so a rewrite is idempotent. */
export class InMemoryQuarantineStore implements QuarantineStore {
  readonly records = new Map<string, PoisonRecord>();
  puts = 0;
  /** Thrown by every put while set. */
  failWith: Error | undefined;

  async put(records: readonly PoisonRecord[]): Promise<void> {
    this.puts++;
    if (this.failWith) throw this.failWith;
    for (const r of records) this.records.set(`${r.shardId}#${r.sequenceNumber}`, r);
  }
}

interface OutboxRow {
  incident: Incident;
  alertAttempts?: number;
}

/** The alert outbox in memory, with the Dynamo outbox's claim and mark-sent conditions. */
export class InMemoryAlertOutbox implements AlertOutbox {
  readonly rows = new Map<string, OutboxRow>();
  readonly sent: SentAlert[] = [];
  readonly claims: { incidentId: string; alertSeq: number }[] = [];
  /** Thrown by claim / markSent while set. */
  failClaimWith: Error | undefined;
  failMarkSentWith: Error | undefined;
  // Same shape as the Dynamo outbox's constructor; the in-memory claim needs no clock.
  constructor(_now: () => Date) {}

  /** Stores an incident as the rules wrote it. */
  put(incident: Incident): void {
    this.rows.set(incident.id, { incident: structuredClone(incident) });
  }

  incident(id: string): Incident | undefined {
    return this.rows.get(id)?.incident;
  }

  async claim(incidentId: string, alertSeq: number): Promise<Incident | undefined> {
    this.claims.push({ incidentId, alertSeq });
    if (this.failClaimWith) throw this.failClaimWith;
    const row = this.rows.get(incidentId);
    const { incident } = row ?? {};
    if (!row || !incident || incident.alertSeq !== alertSeq) return undefined;
    if (incident.alertSentSeq !== undefined && incident.alertSentSeq >= alertSeq) return undefined;
    row.alertAttempts = (row.alertAttempts ?? 0) + 1;
    return structuredClone(incident);
  }

  async markSent(alert: SentAlert): Promise<void> {
    if (this.failMarkSentWith) throw this.failMarkSentWith;
    this.sent.push(alert);
    const row = this.rows.get(alert.incidentId);
    if (!row) return;
    const { incident } = row;
    if (incident.alertSeq === alert.alertSeq) {
      row.incident = { ...incident, alertSentSeq: alert.alertSeq, alertPending: false };
    } else if (incident.alertSentSeq === undefined || incident.alertSentSeq < alert.alertSeq) {
      row.incident = { ...incident, alertSentSeq: alert.alertSeq };
    }
  }
}

/** An SNS topic in memory: records what was published; alerts of incidents in `failFor` fail, one by one. */
export class FakeAlertPublisher implements AlertPublisher {
  readonly topicArn = 'arn:aws-cn:sns:cn-north-1:123456789012:sanwang-alerts';
  readonly published: OutgoingAlert[] = [];
  readonly calls: (readonly OutgoingAlert[])[] = [];
  readonly failFor = new Set<string>();

  async publish(alerts: readonly OutgoingAlert[]): Promise<PublishResult[]> {
    this.calls.push(alerts);
    return alerts.map((alert) => {
      if (this.failFor.has(alert.id)) return { id: alert.id, ok: false, error: 'InternalError: SNS is unavailable' };
      this.published.push(alert);
      return {
        id: alert.id,
        ok: true,
        messageId: `3f9c2b1e-0000-4000-8000-${String(this.published.length).padStart(12, '0')}`,
      };
    });
  }
}

export interface LogEntry {
  level: 'info' | 'warn';
  message: string;
  extra: Record<string, unknown>;
}

/** A logger that keeps its lines for the test to read. */
export function memoryLog(): Log & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const write =
    (level: LogEntry['level']) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      entries.push({ level, message, extra: Object.assign({}, ...extra) });
    };
  return { entries, info: write('info'), warn: write('warn') };
}
