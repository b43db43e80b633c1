import { randomUUID } from 'node:crypto';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { IncidentStore } from '../adapters/incident-store.ts';
import type { QuarantineStore } from '../adapters/quarantine-store.ts';
import type { AnyAlarmRule } from '../domain/alarm-rule.ts';
import { evaluateEvent } from '../domain/evaluate-event.ts';
import type { EventTimePolicy } from '../domain/event-time.ts';
import { compareSequence } from '../domain/incident-key.ts';
import {
  groupKey,
  type IncidentChange,
  type IncidentView,
  planIncidents,
  type Sighting,
  viewIds,
} from '../domain/incident-plan.ts';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import type { PoisonRecord } from '../domain/poison-record.ts';
import { indexRules } from '../domain/rule-registry.ts';
import { decodeRecord } from './decode-record.ts';

/** The two logger methods the processor calls (Powertools' Logger fits). */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface RulesProcessorDeps {
  incidents: IncidentStore;
  quarantine: QuarantineStore;
  rules: readonly AnyAlarmRule[];
  timeZone: string;
  incidentRetentionDays: number;
  eventTime: EventTimePolicy;
  /** Clocks and reach of the duty desks' lifecycle; the default unless configured. */
  lifecycle?: LifecyclePolicy;
  now: () => Date;
  log: Log;
  /** Unique tokens for page items; random by default. */
  newToken?: () => string;
  /** Re-reads after a lost optimistic-lock race before the batch is handed back for retry. */
  maxConflictRetries?: number;
}

/** What one batch did, logged once per batch and returned to callers that want it (local mode, bench). */
export interface BatchSummary {
  records: number;
  events: number;
  poison: number;
  matched: number;
  /** Sightings whose event was counted already: redeliveries and resends. */
  duplicates: number;
  /** Events applied by this batch, and how many of them were late (迟报). */
  applied: number;
  late: number;
  incidentsTouched: number;
  incidentsOpened: number;
  windowsClaimed: number;
  alertsRaised: number;
  failedFrom?: string;
}

const defaults = { maxConflictRetries: 3 };

/**
 * The rules function's work: decode every record in order, quarantine poison, fold matches into incidents with
 * one read and one conditional write per incident touched, and name the first record to retry if a write fails.
 * Retrying from there is always safe: every incident knows exactly which events it counted.
 */
export function createRulesProcessor(deps: RulesProcessorDeps) {
  const byType = indexRules(deps.rules);
  const maxConflictRetries = deps.maxConflictRetries ?? defaults.maxConflictRetries;
  const newToken = deps.newToken ?? (() => randomUUID().slice(0, 8));
  const timeChecks = { maxSkewMs: deps.eventTime.maxSkewMs, retentionMs: deps.eventTime.retentionMs };

  async function processBatch(
    event: KinesisStreamEvent,
  ): Promise<KinesisStreamBatchResponse & { summary: BatchSummary }> {
    const now = deps.now();
    const poison: PoisonRecord[] = [];
    const sightings: Sighting[] = [];
    let events = 0;
    for (const record of event.Records) {
      const decoded = decodeRecord(record, timeChecks);
      if (!decoded.ok) {
        poison.push(decoded.poison);
        deps.log.warn('record quarantined', {
          sequenceNumber: decoded.poison.sequenceNumber,
          partitionKey: decoded.poison.partitionKey,
          reason: decoded.poison.reason,
        });
        continue;
      }
      events++;
      for (const outcome of evaluateEvent(byType, decoded.event, { timeZone: deps.timeZone })) {
        if (outcome.status === 'match') {
          sightings.push({
            event: decoded.event,
            match: outcome,
            shardId: decoded.shardId,
            sequenceNumber: decoded.sequenceNumber,
          });
        }
      }
    }

    const failedAt: string[] = [];
    const quarantined = poison.length
      ? deps.quarantine.put(poison).catch((error: unknown) => {
          deps.log.warn('quarantine write failed; batch will be retried', { error: String(error) });
          failedAt.push(...poison.map((p) => p.sequenceNumber));
        })
      : Promise.resolve();
    const result = await applyGroups(sightings, failedAt, now);
    await quarantined;

    const failedFrom = failedAt.sort(compareSequence)[0];
    const saved = result.saved;
    const summary: BatchSummary = {
      records: event.Records.length,
      events,
      poison: poison.length,
      matched: sightings.length,
      duplicates: result.duplicates,
      applied: saved.reduce((n, c) => n + c.applied, 0),
      late: saved.reduce((n, c) => n + c.late, 0),
      incidentsTouched: saved.length,
      incidentsOpened: saved.filter((c) => c.before === undefined).length,
      windowsClaimed: result.claims,
      alertsRaised: saved.filter((c) => c.alertRaised).length,
      ...(failedFrom ? { failedFrom } : {}),
    };
    deps.log.info('batch processed', { ...summary });
    return { batchItemFailures: failedFrom ? [{ itemIdentifier: failedFrom }] : [], summary };
  }

  /** Groups are independent (one rule and dedup key each), so they are written concurrently. */
  async function applyGroups(sightings: Sighting[], failedAt: string[], now: Date) {
    const groups = new Map<string, Sighting[]>();
    for (const s of sightings) {
      const key = groupKey(s);
      const group = groups.get(key);
      if (group) group.push(s);
      else groups.set(key, [s]);
    }
    const outcome = { saved: [] as IncidentChange[], duplicates: 0, claims: 0 };
    if (sightings.length === 0) return outcome;
    let stored: IncidentView;
    try {
      stored = await deps.incidents.load(viewIds(sightings));
    } catch (error) {
      deps.log.warn('incident read failed; batch will be retried', { error: String(error) });
      failedAt.push(sightings[0]!.sequenceNumber);
      return outcome;
    }
    const ctx = {
      now,
      incidentRetentionDays: deps.incidentRetentionDays,
      eventTime: deps.eventTime,
      lifecycle: deps.lifecycle ?? DEFAULT_LIFECYCLE_POLICY,
      newToken,
    };

    await Promise.all(
      [...groups.values()].map(async (group) => {
        let view = stored;
        for (let attempt = 0; ; attempt++) {
          const plan = planIncidents(group, view, ctx);
          // Only the first plan's duplicates are redeliveries; later plans also re-find what the first one saved.
          if (attempt === 0) outcome.duplicates += plan.duplicates.length;
          const raced = await writePlan(plan, failedAt);
          outcome.saved.push(...raced.saved);
          outcome.claims += raced.claims;
          if (!raced.conflicted) return;
          if (attempt >= maxConflictRetries) {
            failedAt.push(raced.conflicted);
            return;
          }
          // Someone else wrote here first: read again. What this attempt saved is now counted in the incidents
          // themselves, so the next plan finds it applied.
          try {
            view = merge(view, await deps.incidents.load(viewIds(group)));
          } catch {
            failedAt.push(raced.conflicted);
            return;
          }
        }
      }),
    );
    return outcome;
  }

  /**
   * Writes a plan: window claims first (the changes route through them), then the incident changes. Returns the
   * lowest sequence number of what lost a race, if anything did.
   */
  async function writePlan(plan: ReturnType<typeof planIncidents>, failedAt: string[]) {
    const result = { saved: [] as IncidentChange[], claims: 0, conflicted: undefined as string | undefined };
    const lowest = (seq: string) => {
      if (result.conflicted === undefined || compareSequence(seq, result.conflicted) < 0) result.conflicted = seq;
    };
    // Nothing of the plan is written while one of its claims is missing, so a retry must start at its first record.
    const planFirst = [...plan.claims, ...plan.changes].map((c) => c.firstSequenceNumber).sort(compareSequence)[0];
    const claimed = await Promise.all(
      plan.claims.map((claim) =>
        deps.incidents.claim(claim).catch((error: unknown) => {
          deps.log.warn('window claim failed; batch will be retried', {
            windowId: claim.windowId,
            error: String(error),
          });
          return 'failed' as const;
        }),
      ),
    );
    result.claims = claimed.filter((c) => c === 'saved').length;
    if (claimed.includes('failed')) {
      failedAt.push(planFirst!);
      return result;
    }
    // A change may route through a claim another writer beat us to: read again and plan again.
    if (claimed.includes('conflict')) {
      lowest(planFirst!);
      return result;
    }

    let outcomes: ('saved' | 'conflict' | 'failed')[];
    try {
      outcomes = await deps.incidents.saveAll(plan.changes);
    } catch (error) {
      deps.log.warn('incident write failed; batch will be retried', { error: String(error) });
      failedAt.push(planFirst!);
      return result;
    }
    plan.changes.forEach((change, i) => {
      if (outcomes[i] === 'saved') result.saved.push(change);
      if (outcomes[i] === 'conflict') lowest(change.firstSequenceNumber);
    });
    return result;
  }

  return processBatch;
}

function merge(a: IncidentView, b: IncidentView): IncidentView {
  return {
    incidents: new Map([...a.incidents, ...b.incidents]),
    claims: new Map([...a.claims, ...b.claims]),
    pages: new Map([...a.pages, ...b.pages]),
  };
}
