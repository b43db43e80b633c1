import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AlertOutbox } from '../adapters/alert-outbox.ts';
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
}

export interface NotifySummary {
  records: number;
  due: number;
  sent: number;
  skipped: number;
  failed: number;
}

/** The alert one incident needs now, built from its current state. */
export function buildAlert(incident: Incident, options: { timeZone: string; ackHint?: string }): OutgoingAlert {
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
  if (item.sk !== 'INCIDENT' || item.alertPending !== true) return undefined;
  if (typeof item.alertSentSeq === 'number' && item.alertSentSeq >= item.alertSeq) return undefined;
  return { incidentId: String(item.id), alertSeq: Number(item.alertSeq) };
}

/**
 * The notify function's work: for each incident in the stream batch whose alert is due, claim it (a conditional
 * write: an alert already sent or superseded is not sent again), publish it, record it as sent. A crash between
 * publishing and recording is the one way an alert goes out twice; SNS and SMS are at-least-once anyway.
 */
export function createAlertNotifier(deps: AlertNotifierDeps) {
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
    const claimed: { incident: Incident; record: DynamoDBRecord }[] = [];
    let claimFailures = 0;
    await Promise.all(
      [...due.values()].map(async ({ incidentId, alertSeq, record }) => {
        try {
          const incident = await deps.outbox.claim(incidentId, alertSeq);
          if (incident) claimed.push({ incident, record });
        } catch (error) {
          deps.log.warn('alert claim failed; record will be retried', { incidentId, error: String(error) });
          claimFailures++;
          failedRecords.push(record);
        }
      }),
    );

    const alerts = claimed.map(({ incident }) => buildAlert(incident, deps));
    const results = alerts.length ? await deps.publisher.publish(alerts) : [];
    let sent = 0;
    await Promise.all(
      results.map(async (result, i) => {
        const { incident, record } = claimed[i]!;
        if (!result.ok) {
          deps.log.warn('alert publish failed; record will be retried', {
            incidentId: incident.id,
            error: result.error,
          });
          failedRecords.push(record);
          return;
        }
        const alert = alerts[i]!;
        try {
          await deps.outbox.markSent({
            incidentId: incident.id,
            alertSeq: incident.alertSeq,
            messageId: result.messageId,
            topicArn: deps.publisher.topicArn,
            sms: alert.sms,
            attributes: {
              jurisdiction: alert.attributes.jurisdiction.join(','),
              severity: String(alert.attributes.severity),
              network: alert.attributes.network,
            },
            sentAt: deps.now().toISOString(),
            expiresAt: incident.expiresAt,
          });
          sent++;
          deps.log.info('alert sent', {
            incidentId: incident.id,
            code: incident.code,
            alertSeq: incident.alertSeq,
            severity: incident.severity,
            messageId: result.messageId,
          });
        } catch (error) {
          deps.log.warn('alert sent but not recorded; record will be retried', {
            incidentId: incident.id,
            error: String(error),
          });
          failedRecords.push(record);
        }
      }),
    );

    const first = failedRecords.map((r) => r.dynamodb?.SequenceNumber ?? '').sort(compareSequence)[0];
    const summary: NotifySummary = {
      records: event.Records.length,
      due: due.size,
      sent,
      skipped: due.size - claimed.length - claimFailures,
      failed: failedRecords.length,
    };
    deps.log.info('stream batch notified', { ...summary });
    return { batchItemFailures: first !== undefined ? [{ itemIdentifier: first }] : [], summary };
  };
}
