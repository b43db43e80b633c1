import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AlertAttempt, AlertOutbox, AttemptOutcome } from '../adapters/alert-outbox.ts';
import type { AlertPublisher, OutgoingAlert } from '../adapters/alert-publisher.ts';
import { alertPayload, jurisdictionPath } from '../domain/alert-message.ts';
import type { Incident } from '../domain/incident.ts';
import { compareSequence } from '../domain/incident-key.ts';
import { maskPersonalData } from '../domain/personal-data-masking.ts';
import type { Log } from './rules-processor.ts';

export interface AlertNotifierDeps {
  outbox: AlertOutbox;
  publisher: AlertPublisher;
  timeZone: string;
  ackHint?: string;
  now: () => Date;
  log: Log;
  /** Pause before the first retry of a trail write after a publish; doubled each time. */
  recordRetryDelayMs?: number;
}

export interface NotifySummary {
  records: number;
  due: number;
  sent: number;
  skipped: number;
  /** Publishes that failed: left pending for the sweep to re-drive, never lost. */
  failed: number;
  /** Sent, but the trail could not be written: the record is retried, and the alert is not published again. */
  unrecorded: number;
}

const defaults = {
  /** Trail writes after a publish are retried this often in the invocation (with the SDK's own retries inside). */
  recordAttempts: 6,
  recordRetryDelayMs: 200,
  /** Alerts this function published and may not have recorded yet, remembered across invocations. */
  rememberPublished: 10_000,
};

/** The alert one incident needs now, built from its current state. */
export function buildAlert(
  incident: Incident,
  options: { timeZone: string; now: Date; ackHint?: string },
): OutgoingAlert {
  // Place names, checkpoint names and device ids are free text from integrations: an ID or phone number typed
  // into one must not reach a phone.
  const payload = maskPersonalData(alertPayload(incident, options));
  return {
    id: incident.id,
    sms: payload.sms,
    json: JSON.stringify(payload),
    attributes: {
      jurisdiction: jurisdictionPath(incident),
      severity: incident.severity,
      network: incident.network,
      ruleId: incident.ruleId,
      county: incident.place.county,
    },
  };
}

function dueAlert(record: DynamoDBRecord): { incidentId: string; alertSeq: number } | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  if (item.sk !== 'INCIDENT' || item.alertPending !== true || typeof item.claimOf === 'string') return undefined;
  if (typeof item.alertSentSeq === 'number' && item.alertSentSeq >= item.alertSeq) return undefined;
  return { incidentId: String(item.id), alertSeq: Number(item.alertSeq) };
}

/**
 * The notify function's work: for each incident in the stream batch whose alert is due, claim it (a consistent
 * read: an alert already sent or superseded is not sent again), write the attempt to the trail, publish, write
 * how it went, and take the incident off the pending index.
 *
 * A failed publish writes nothing to the incident and fails no record: the alert stays pending and the sweep
 * re-drives it a minute later, so an SNS outage delays alerts without blocking the stream or losing any. The one
 * way an alert goes out twice is the function stopping between publishing and writing the outcome to the trail:
 * an attempt recorded as sent is finished, never resent, and this function remembers what it published, so a
 * retry after a failed trail write records it instead of sending it again.
 */
export function createAlertNotifier(deps: AlertNotifierDeps) {
  /** Published and not yet off the pending index: `recorded` once the trail says so. */
  const published = new Map<string, { attempt: AlertAttempt; messageId: string; at: string; recorded?: boolean }>();
  const retryDelayMs = deps.recordRetryDelayMs ?? defaults.recordRetryDelayMs;

  function remember(key: string, value: { attempt: AlertAttempt; messageId: string; at: string; recorded?: boolean }) {
    if (published.size >= defaults.rememberPublished) published.delete(published.keys().next().value as string);
    published.set(key, value);
  }

  async function recording<T>(what: string, incidentId: string, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= defaults.recordAttempts) throw error;
        deps.log.warn(`${what} failed after a publish; retrying`, { incidentId, attempt, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  return async function notify(
    event: DynamoDBStreamEvent,
  ): Promise<DynamoDBBatchResponse & { summary: NotifySummary }> {
    // One incident may appear several times in a batch; the newest record speaks for it.
    const due = new Map<string, { incidentId: string; alertSeq: number; record: DynamoDBRecord }>();
    for (const record of event.Records) {
      const alert = dueAlert(record);
      if (alert) due.set(alert.incidentId, { ...alert, record });
    }
    const failedRecords: DynamoDBRecord[] = [];
    const summary: NotifySummary = {
      records: event.Records.length,
      due: due.size,
      sent: 0,
      skipped: 0,
      failed: 0,
      unrecorded: 0,
    };

    const claimed: { incident: Incident; record: DynamoDBRecord }[] = [];
    await Promise.all(
      [...due.values()].map(async ({ incidentId, alertSeq, record }) => {
        try {
          const claim = await deps.outbox.claim(incidentId, alertSeq);
          if (!claim) {
            summary.skipped++;
            return;
          }
          claimed.push({ incident: claim.incident, record });
          // Sent and recorded by an invocation that stopped before taking it off the index: finish that, never resend.
          if (claim.sentBy)
            remember(alertKey(claim.incident), { ...claim.sentBy, attempt: claim.sentBy, recorded: true });
        } catch (error) {
          deps.log.warn('alert claim failed; record will be retried', { incidentId, error: String(error) });
          failedRecords.push(record);
        }
      }),
    );

    const now = deps.now();
    const toSend = claimed.filter(({ incident }) => !published.has(alertKey(incident)));
    const alerts = toSend.map(({ incident }) => buildAlert(incident, { ...deps, now }));
    const attempts = toSend.map(({ incident }, i) => attemptOf(incident, alerts[i]!, deps.publisher.topicArn, now));
    let outcomes: AttemptOutcome[] = [];
    let begun = attempts.length > 0;
    if (begun) {
      try {
        await deps.outbox.begin(attempts);
      } catch (error) {
        // Nothing has gone out: the records are retried and these alerts sent then.
        begun = false;
        deps.log.warn('alert trail could not be written; records will be retried', { error: String(error) });
        failedRecords.push(...toSend.map((c) => c.record));
      }
    }
    if (begun) {
      const results = await deps.publisher.publish(alerts);
      const at = deps.now().toISOString();
      outcomes = results.map((r) =>
        r.ok ? { status: 'sent', messageId: r.messageId, at } : { status: 'failed', error: r.error, at },
      );
      outcomes.forEach((outcome, i) => {
        const { incident } = toSend[i]!;
        if (outcome.status === 'sent') {
          remember(alertKey(incident), { attempt: attempts[i]!, messageId: outcome.messageId, at });
        } else {
          summary.failed++;
          deps.log.warn('alert publish failed; it stays pending for the sweep', {
            incidentId: incident.id,
            alertSeq: incident.alertSeq,
            error: outcome.error,
          });
        }
      });
    }

    // The trail first (every attempt, sent or not), then the incidents that went out leave the pending index.
    const trail = begun ? attempts.map((attempt, i) => ({ attempt, outcome: outcomes[i]! })) : [];
    let trailWritten = true;
    if (trail.length) {
      try {
        await recording('alert trail write', trail[0]!.attempt.incidentId, () => deps.outbox.finish(trail));
      } catch (error) {
        trailWritten = false;
        deps.log.warn('alert outcomes could not be recorded', { error: String(error) });
      }
    }
    await Promise.all(
      claimed.map(async ({ incident, record }) => {
        const sent = published.get(alertKey(incident));
        if (!sent) return;
        try {
          const sentNow = toSend.some((c) => c.incident === incident);
          if (!sentNow && !sent.recorded) {
            // Published by an earlier invocation of this function whose trail write failed: record it now.
            const outcome = { status: 'sent' as const, messageId: sent.messageId, at: sent.at };
            await recording('alert trail write', incident.id, () =>
              deps.outbox.finish([{ attempt: sent.attempt, outcome }]),
            );
          } else if (!trailWritten) {
            throw new Error('the alert trail was not written');
          }
          await recording('alert mark-sent', incident.id, () => deps.outbox.markSent(incident.id, incident.alertSeq));
          published.delete(alertKey(incident));
          summary.sent++;
          deps.log.info('alert sent', {
            incidentId: incident.id,
            code: incident.code,
            alertSeq: incident.alertSeq,
            severity: incident.severity,
            messageId: sent.messageId,
          });
        } catch (error) {
          summary.unrecorded++;
          deps.log.warn('alert sent but not recorded; record will be retried (the alert is not sent again)', {
            incidentId: incident.id,
            error: String(error),
          });
          failedRecords.push(record);
        }
      }),
    );
    return answer(event, failedRecords, summary, deps.log);
  };
}

function alertKey(incident: Incident): string {
  return `${incident.id}#${incident.alertSeq}`;
}

function attemptOf(incident: Incident, alert: OutgoingAlert, topicArn: string, now: Date): AlertAttempt {
  const startedAt = now.toISOString();
  return {
    incidentId: incident.id,
    alertSeq: incident.alertSeq,
    attemptId: `${startedAt}-${randomUUID().slice(0, 8)}`,
    startedAt,
    topicArn,
    sms: alert.sms,
    attributes: {
      jurisdiction: alert.attributes.jurisdiction.join(','),
      severity: String(alert.attributes.severity),
      network: alert.attributes.network,
    },
    expiresAt: incident.expiresAt,
  };
}

function answer(
  event: DynamoDBStreamEvent,
  failedRecords: DynamoDBRecord[],
  summary: NotifySummary,
  log: Log,
): DynamoDBBatchResponse & { summary: NotifySummary } {
  const first = failedRecords.map((r) => r.dynamodb?.SequenceNumber ?? '').sort(compareSequence)[0];
  log.info('stream batch notified', { ...summary, records: event.Records.length });
  return { batchItemFailures: first !== undefined ? [{ itemIdentifier: first }] : [], summary };
}
