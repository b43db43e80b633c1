import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Delivery, DeliveryRecords } from '../adapters/delivery-records.ts';
import type { IncidentRecords } from '../adapters/incident-store.ts';
import type { SmsChannel, SmsMessage } from '../adapters/sms-channel.ts';
import { smsText } from '../domain/alert-message.ts';
import type { Recipient } from '../domain/desk-recipients.ts';
import type { DutyDesk } from '../domain/duty-desks.ts';
import type { AlertStep, Incident } from '../domain/incident.ts';
import { compareSequence } from '../domain/incident-key.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import { scrubText } from '../domain/personal-data-masking.ts';
import { stepRecipients } from '../domain/step-recipients.ts';
import { applyCommand } from './incident-commands.ts';
import type { Log } from './rules-processor.ts';

export interface AlertNotifierDeps {
  deliveries: DeliveryRecords;
  incidents: IncidentRecords;
  /** The duty desks, read at run time (cached briefly by the adapter). */
  desks: { list(): Promise<DutyDesk[]> };
  channel: SmsChannel;
  policy: LifecyclePolicy;
  timeZone: string;
  now: () => Date;
  log: Log;
  newToken?: () => string;
  /** How long a sender owns a recipient it took; after that a sender that stopped is presumed dead. */
  leaseMs?: number;
}

export interface NotifySummary {
  records: number;
  /** Incidents with steps to send. */
  due: number;
  /** Texts that went out in this invocation. */
  sent: number;
  /** Recipients already served (by an earlier try) or held by another sender. */
  skipped: number;
  /** Sends that failed: the step stays pending for the sweep, never lost. */
  failed: number;
  /** Steps recorded as delivered on their incidents. */
  delivered: number;
  /** Sent, but not yet recorded: the record is retried, and the text is not sent again. */
  unrecorded: number;
}

const defaults = {
  leaseMs: 60_000,
  /** Texts this function sent and may not have recorded yet, remembered across invocations. */
  rememberSent: 10_000,
};

/** The steps of an incident still to send, from its stream record's new image. */
function dueAlert(record: DynamoDBRecord): { incidentId: string; fromSeq: number } | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]);
  if (item.sk !== 'INCIDENT' || item.alertPending !== true || typeof item.claimOf === 'string') return undefined;
  const sentSeq = typeof item.alertSentSeq === 'number' ? item.alertSentSeq : 0;
  if (sentSeq >= item.alertSeq) return undefined;
  return { incidentId: String(item.id), fromSeq: sentSeq + 1 };
}

/** One recipient of one step, planned. */
interface Planned {
  step: AlertStep;
  recipient: Recipient;
  text: string;
  existing?: Delivery;
}

/**
 * The notify function's work. For each incident in the stream batch with alert steps still to send: read it and
 * its deliveries (one consistent query), work out each step's recipients from the desk directory and the rosters
 * (desk × person on duty), take each recipient with a conditional write, send, record how it went, and record on
 * the incident — through the state machine, on its version — the steps every recipient has had.
 *
 * A recipient already sent is never sent again, however often the batch is retried. A failed send fails no record:
 * the step stays pending and the sweep re-drives it a minute later, so an outage delays alerts without blocking
 * the stream or losing any. The one way a text goes out twice is a sender stopping between sending and recording:
 * its lease runs out and the recipient is taken again. A sender that only failed to record remembers what it sent
 * and records it on the retry instead of sending it again.
 */
export function createAlertNotifier(deps: AlertNotifierDeps) {
  const sent = new Map<string, { messageId: string; at: string }>();
  const leaseMs = deps.leaseMs ?? defaults.leaseMs;

  function remember(key: string, value: { messageId: string; at: string }) {
    if (sent.size >= defaults.rememberSent) sent.delete(sent.keys().next().value as string);
    sent.set(key, value);
  }

  async function notifyIncident(incidentId: string, fromSeq: number, summary: NotifySummary): Promise<boolean> {
    const claim = await deps.deliveries.claim(incidentId, fromSeq);
    if (!claim) return true;
    const { incident } = claim;
    const sentSeq = incident.alertSentSeq ?? 0;
    const steps = incident.steps.filter((s) => s.seq > sentSeq).sort((a, b) => a.seq - b.seq);
    if (steps.length === 0) return true;
    summary.due++;
    const desks = await deps.desks.list();
    const now = deps.now();
    const deskName = (id: string) => desks.find((d) => d.id === id)?.name;
    const existing = new Map(claim.deliveries.map((d) => [`${d.alertSeq}#${d.recipientKey}`, d]));
    const planned: Planned[] = [];
    for (const step of steps) {
      const text = smsText(incident, { timeZone: deps.timeZone, now, step, deskName });
      // The people on duty when the step was taken: a retry after a change of shift reaches the same people.
      const recipients = stepRecipients(step, incident, desks, new Date(step.at), deps.timeZone);
      if (recipients.length === 0) {
        deps.log.warn('alert step has nobody to tell: no desk covers its place at that level', {
          incidentId,
          alertSeq: step.seq,
          kind: step.kind,
        });
      }
      for (const recipient of recipients) {
        const found = existing.get(`${step.seq}#${recipient.key}`);
        planned.push({ step, recipient, text, ...(found ? { existing: found } : {}) });
      }
    }

    // Who still needs the text: never one already sent, never one another sender holds.
    const done = new Set<string>();
    const take: Planned[] = [];
    const record: Delivery[] = [];
    for (const p of planned) {
      const key = deliveryKey(incident.id, p.step.seq, p.recipient.key);
      if (p.existing?.status === 'sent') {
        done.add(key);
        continue;
      }
      const remembered = sent.get(key);
      if (remembered) {
        // Sent by this function earlier, its record lost: record it, do not send it again.
        record.push(delivery(incident, p, 'sent', now, leaseMs, p.existing?.attempts ?? 1, remembered));
        done.add(key);
        continue;
      }
      take.push(p);
    }
    const taken: { p: Planned; d: Delivery }[] = [];
    await Promise.all(
      take.map(async (p) => {
        const d = delivery(incident, p, 'sending', now, leaseMs, (p.existing?.attempts ?? 0) + 1);
        if (await deps.deliveries.begin(d, now)) taken.push({ p, d });
        else summary.skipped++;
      }),
    );
    summary.skipped += planned.length - take.length - record.length;

    if (taken.length > 0) {
      const messages: SmsMessage[] = taken.map(({ p }) => ({
        key: p.recipient.key,
        to: p.recipient.address,
        text: p.text,
      }));
      const results = await deps.channel.send(messages);
      const at = deps.now().toISOString();
      results.forEach((result, i) => {
        const { p, d } = taken[i]!;
        const key = deliveryKey(incident.id, p.step.seq, p.recipient.key);
        if (result.ok) {
          remember(key, { messageId: result.messageId, at });
          record.push({ ...d, status: 'sent', messageId: result.messageId, at });
          done.add(key);
          summary.sent++;
        } else {
          record.push({ ...d, status: 'failed', error: scrubText(result.error), at });
          summary.failed++;
          deps.log.warn('alert send failed; the step stays pending for the sweep', {
            incidentId,
            alertSeq: p.step.seq,
            recipient: p.recipient.key,
            error: scrubText(result.error),
          });
        }
      });
    }
    if (record.length > 0) await deps.deliveries.finish(record);

    // The steps every recipient has had, in order: the incident records up to the first that is not complete.
    let upToSeq = sentSeq;
    let recipients = 0;
    for (const step of steps) {
      const mine = planned.filter((p) => p.step.seq === step.seq);
      if (!mine.every((p) => done.has(deliveryKey(incident.id, step.seq, p.recipient.key)))) break;
      upToSeq = step.seq;
      recipients += mine.length;
    }
    if (upToSeq > sentSeq) {
      const result = await applyCommand(
        {
          records: deps.incidents,
          policy: deps.policy,
          now: deps.now,
          ...(deps.newToken ? { newToken: deps.newToken } : {}),
        },
        incident.id,
        { kind: 'delivered', upToSeq, recipients, failed: 0 },
        { kind: 'function', name: 'notify' },
        incident,
      );
      if (result.ok && result.entry) summary.delivered += upToSeq - sentSeq;
      for (const p of planned)
        if (p.step.seq <= upToSeq) sent.delete(deliveryKey(incident.id, p.step.seq, p.recipient.key));
      deps.log.info('alert steps delivered', {
        incidentId,
        code: incident.code,
        upToSeq,
        recipients,
        severity: incident.severity,
      });
    }
    return true;
  }

  return async function notify(
    event: DynamoDBStreamEvent,
  ): Promise<DynamoDBBatchResponse & { summary: NotifySummary }> {
    // One incident may appear several times in a batch; the newest record speaks for it.
    const due = new Map<string, { incidentId: string; fromSeq: number; record: DynamoDBRecord }>();
    for (const record of event.Records) {
      const alert = dueAlert(record);
      if (alert) due.set(alert.incidentId, { ...alert, record });
    }
    const summary: NotifySummary = {
      records: event.Records.length,
      due: 0,
      sent: 0,
      skipped: 0,
      failed: 0,
      delivered: 0,
      unrecorded: 0,
    };
    const failedRecords: DynamoDBRecord[] = [];
    await Promise.all(
      [...due.values()].map(async ({ incidentId, fromSeq, record }) => {
        const before = summary.sent;
        try {
          await notifyIncident(incidentId, fromSeq, summary);
        } catch (error) {
          if (summary.sent > before) summary.unrecorded++;
          deps.log.warn('alert not recorded; the record will be retried (what was sent is not sent again)', {
            incidentId,
            error: String(error),
          });
          failedRecords.push(record);
        }
      }),
    );
    const first = failedRecords.map((r) => r.dynamodb?.SequenceNumber ?? '').sort(compareSequence)[0];
    deps.log.info('stream batch notified', { ...summary });
    return { batchItemFailures: first !== undefined ? [{ itemIdentifier: first }] : [], summary };
  };
}

function deliveryKey(incidentId: string, seq: number, recipientKey: string): string {
  return `${incidentId}#${seq}#${recipientKey}`;
}

function delivery(
  incident: Incident,
  p: Planned,
  status: Delivery['status'],
  now: Date,
  leaseMs: number,
  attempts: number,
  outcome?: { messageId: string; at: string },
): Delivery {
  return {
    incidentId: incident.id,
    alertSeq: p.step.seq,
    stepKind: p.step.kind,
    recipientKey: p.recipient.key,
    deskId: p.recipient.deskId,
    ...(p.recipient.officerId ? { officerId: p.recipient.officerId } : {}),
    channel: 'sms',
    text: p.text,
    status,
    startedAt: p.existing?.startedAt ?? now.toISOString(),
    leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
    attempts,
    ...(outcome ? { messageId: outcome.messageId, at: outcome.at } : {}),
    expiresAt: incident.expiresAt,
  };
}
