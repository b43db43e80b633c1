import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { IncidentStore } from '../adapters/incident-store.ts';
import type { QuarantineStore } from '../adapters/quarantine-store.ts';
import type { AnyAlarmRule } from '../domain/alarm-rule.ts';
import { evaluateEvent } from '../domain/evaluate-event.ts';
import type { Incident } from '../domain/incident.ts';
import { compareSequence } from '../domain/incident-key.ts';
import { candidateIds, groupKey, type IncidentChange, planIncidents, type Sighting } from '../domain/incident-plan.ts';
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
  now: () => Date;
  log: Log;
  /** Re-reads after a lost optimistic-lock race before the batch is handed back for retry. */
  maxConflictRetries?: number;
}

/** What one batch did, logged once per batch and returned to callers that want it (local mode, bench). */
export interface BatchSummary {
  records: number;
  events: number;
  poison: number;
  matched: number;
  duplicates: number;
  incidentsTouched: number;
  incidentsOpened: number;
  alertsRaised: number;
  failedFrom?: string;
}

/**
 * The rules function's work: decode every record in order, quarantine poison, fold matches into incidents with
 * one read and one conditional write per incident touched, and name the first record to retry if a write fails.
 */
export function createRulesProcessor(deps: RulesProcessorDeps) {
  const byType = indexRules(deps.rules);
  const maxConflictRetries = deps.maxConflictRetries ?? 3;

  async function processBatch(
    event: KinesisStreamEvent,
  ): Promise<KinesisStreamBatchResponse & { summary: BatchSummary }> {
    const now = deps.now();
    const poison: PoisonRecord[] = [];
    const sightings: Sighting[] = [];
    let events = 0;
    for (const record of event.Records) {
      const decoded = decodeRecord(record);
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
    const applied = await applyGroups(sightings, failedAt, now);
    await quarantined;

    const failedFrom = failedAt.sort(compareSequence)[0];
    const summary: BatchSummary = {
      records: event.Records.length,
      events,
      poison: poison.length,
      matched: sightings.length,
      duplicates: applied.duplicates,
      incidentsTouched: applied.saved.length,
      incidentsOpened: applied.saved.filter((c) => c.before === undefined).length,
      alertsRaised: applied.saved.filter((c) => c.alertRaised).length,
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
    const ids = sightings.flatMap(candidateIds);
    let stored: Map<string, Incident>;
    try {
      stored = await deps.incidents.load(ids);
    } catch (error) {
      deps.log.warn('incident read failed; batch will be retried', { error: String(error) });
      if (sightings[0]) failedAt.push(sightings[0].sequenceNumber);
      return { saved: [] as IncidentChange[], duplicates: 0 };
    }

    const saved: IncidentChange[] = [];
    let duplicates = 0;
    await Promise.all(
      [...groups.values()].map(async (group) => {
        let view = stored;
        for (let attempt = 0; ; attempt++) {
          const plan = planIncidents(group, view, { now, incidentRetentionDays: deps.incidentRetentionDays });
          const outcomes = await Promise.all(
            plan.changes.map((change) =>
              deps.incidents.save(change).catch((error: unknown) => {
                deps.log.warn('incident write failed; batch will be retried', {
                  incidentId: change.after.id,
                  error: String(error),
                });
                return 'failed' as const;
              }),
            ),
          );
          plan.changes.forEach((change, i) => {
            if (outcomes[i] === 'saved') saved.push(change);
          });
          const conflicted = plan.changes.filter((_, i) => outcomes[i] === 'conflict');
          const failed = plan.changes.filter((_, i) => outcomes[i] === 'failed');
          failedAt.push(...failed.map((c) => c.firstSequenceNumber));
          // Only the first plan's duplicates are redeliveries; later plans also re-find what the first one saved.
          if (attempt === 0) duplicates += plan.duplicates.length;
          if (conflicted.length === 0) return;
          if (attempt >= maxConflictRetries) {
            failedAt.push(...conflicted.map((c) => c.firstSequenceNumber));
            return;
          }
          // Someone else wrote these incidents: read them again; sightings already saved are skipped as applied.
          try {
            view = new Map([...view, ...(await deps.incidents.load(group.flatMap(candidateIds)))]);
          } catch {
            failedAt.push(...conflicted.map((c) => c.firstSequenceNumber));
            return;
          }
        }
      }),
    );
    return { saved, duplicates };
  }

  return processBatch;
}
