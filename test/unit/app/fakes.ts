import type { AlertAttempt, AlertOutbox, AttemptOutcome, ClaimedAlert } from '../../../shared/adapters/alert-outbox.ts';
import type { AlertPublisher, OutgoingAlert, PublishResult } from '../../../shared/adapters/alert-publisher.ts';
import type { IncidentCommit, IncidentStore } from '../../../shared/adapters/incident-store.ts';
import type { QuarantineStore } from '../../../shared/adapters/quarantine-store.ts';
import { createRulesProcessor, type Log, type RulesProcessorDeps } from '../../../shared/app/rules-processor.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../../../shared/domain/event-time.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import type { ClaimChange, IncidentChange, IncidentView } from '../../../shared/domain/incident-plan.ts';
import type { PoisonRecord } from '../../../shared/domain/poison-record.ts';
import { ALARM_RULES } from '../../../shared/domain/rule-registry.ts';
import { MemoryIncidentTable } from '../domain/incident-table.ts';
import { NOW, RETENTION_DAYS, TIME_ZONE } from './builders.ts';

/**
 * Incidents in memory, with the Dynamo store's write conditions (see MemoryIncidentTable); hooks let a test fail a
 * write or play a concurrent writer.
 */
export class InMemoryIncidentStore implements IncidentStore {
  readonly table = new MemoryIncidentTable();
  readonly loads: string[][] = [];
  readonly saves: IncidentCommit[] = [];
  readonly claims: ClaimChange[] = [];
  /** Runs before a write is applied: throw to fail it, or change `table` to play a concurrent writer. */
  beforeSave: ((change: IncidentCommit) => void | Promise<void>) | undefined;
  beforeClaim: ((change: ClaimChange) => void | Promise<void>) | undefined;
  /** Thrown by the next load, once. */
  failNextLoad: Error | undefined;

  /** The stored incidents by id. */
  get items(): Map<string, Incident> {
    return this.table.incidents;
  }

  async load(ids: readonly string[]): Promise<IncidentView> {
    this.loads.push([...ids]);
    if (this.failNextLoad) {
      const error = this.failNextLoad;
      this.failNextLoad = undefined;
      throw error;
    }
    return this.table.view();
  }

  async claim(change: ClaimChange): Promise<'saved' | 'conflict'> {
    this.claims.push(change);
    await this.beforeClaim?.(change);
    return this.table.claim(change);
  }

  async save(change: IncidentCommit): Promise<'saved' | 'conflict'> {
    this.saves.push(change);
    await this.beforeSave?.(change);
    return this.table.save(change);
  }

  async saveAll(changes: readonly IncidentCommit[]): Promise<('saved' | 'conflict')[]> {
    return Promise.all(changes.map((change) => this.save(change)));
  }

  /** What a duty officer would compare: per incident, how many events, when, how severe. */
  summary() {
    return this.table.summary();
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

/** The alert outbox in memory, with the Dynamo outbox's claim and mark-sent conditions and its trail. */
export class InMemoryAlertOutbox implements AlertOutbox {
  readonly rows = new Map<string, Incident>();
  /** Trail items by incident id and attempt, as the table keys them: an attempt's outcome overwrites it. */
  readonly trail = new Map<string, AlertAttempt & { status: string; messageId?: string; error?: string }>();
  readonly claims: { incidentId: string; alertSeq: number }[] = [];
  /** Thrown by the call while set (markSent: the next `failMarkSentTimes` calls). */
  failClaimWith: Error | undefined;
  failBeginWith: Error | undefined;
  failFinishWith: Error | undefined;
  failMarkSentWith: Error | undefined;

  /** Stores an incident as the rules wrote it. */
  put(incident: Incident): void {
    this.rows.set(incident.id, structuredClone(incident));
  }

  incident(id: string): Incident | undefined {
    return this.rows.get(id);
  }

  /** Trail items that say the alert went out. */
  get sent() {
    return [...this.trail.values()].filter((t) => t.status === 'sent');
  }

  async claim(incidentId: string, alertSeq: number): Promise<ClaimedAlert | undefined> {
    this.claims.push({ incidentId, alertSeq });
    if (this.failClaimWith) throw this.failClaimWith;
    const incident = this.rows.get(incidentId);
    if (!incident || incident.alertSeq !== alertSeq) return undefined;
    if (incident.alertSentSeq !== undefined && incident.alertSentSeq >= alertSeq) return undefined;
    const sent = [...this.trail.values()].find(
      (t) => t.incidentId === incidentId && t.alertSeq === alertSeq && t.status === 'sent',
    );
    return { incident: structuredClone(incident), ...(sent ? { sentBy: sent as never } : {}) };
  }

  async begin(attempts: readonly AlertAttempt[]): Promise<void> {
    if (this.failBeginWith) throw this.failBeginWith;
    for (const a of attempts) this.trail.set(`${a.incidentId}#${a.attemptId}`, { ...a, status: 'sending' });
  }

  async finish(results: readonly { attempt: AlertAttempt; outcome: AttemptOutcome }[]): Promise<void> {
    if (this.failFinishWith) throw this.failFinishWith;
    for (const { attempt: a, outcome } of results)
      this.trail.set(`${a.incidentId}#${a.attemptId}`, { ...a, ...outcome });
  }

  async markSent(incidentId: string, alertSeq: number): Promise<void> {
    if (this.failMarkSentWith) throw this.failMarkSentWith;
    const incident = this.rows.get(incidentId);
    if (!incident) return;
    if (incident.alertSeq === alertSeq) {
      this.rows.set(incidentId, { ...incident, alertSentSeq: alertSeq, alertPending: false });
    } else if (incident.alertSentSeq === undefined || incident.alertSentSeq < alertSeq) {
      this.rows.set(incidentId, { ...incident, alertSentSeq: alertSeq });
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

/** The rules processor the use-case tests run: the real rules, the test clock, in-memory stores. */
export function testRulesProcessor(deps: Partial<RulesProcessorDeps> & Pick<RulesProcessorDeps, 'incidents'>) {
  return createRulesProcessor({
    quarantine: new InMemoryQuarantineStore(),
    rules: ALARM_RULES,
    timeZone: TIME_ZONE,
    incidentRetentionDays: RETENTION_DAYS,
    eventTime: DEFAULT_EVENT_TIME_POLICY,
    now: () => NOW,
    log: memoryLog(),
    ...deps,
  });
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
