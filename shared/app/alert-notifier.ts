import { randomUUID } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type Delivery, type DeliveryRecords, deliveryItem } from '../adapters/delivery-records.ts';
import type { IncidentCommit, IncidentRecords } from '../adapters/incident-store.ts';
import type { SmsChannel, SmsMessage } from '../adapters/sms-channel.ts';
import { smsText } from '../domain/alert-message.ts';
import type { Recipient } from '../domain/desk-recipients.ts';
import type { DutyDesk } from '../domain/duty-desks.ts';
import type { AlertStep, Incident } from '../domain/incident.ts';
import { compareSequence } from '../domain/incident-key.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import { scrubText } from '../domain/personal-data-masking.ts';
import { stepRecipients } from '../domain/step-recipients.ts';
import { applyCommand, sealCommand } from './incident-commands.ts';
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
}

export interface NotifySummary {
  records: number;
  /** Incidents with steps to send. */
  due: number;
  /** Texts that went out in this invocation. */
  sent: number;
  /** Recipients already served by an earlier try. */
  skipped: number;
  /** Sends that failed: the step stays pending for the sweep, never lost. */
  failed: number;
  /** Steps recorded as delivered on their incidents. */
  delivered: number;
  /** Incidents texted whose records could not be written: the record is retried, and the text is not sent again. */
  unrecorded: number;
}

/** Log lines an operator is alarmed on (infra/log-alarm.ts counts them by their message). */
export const NOTIFY_LOG_LINES = {
  unrouted: 'alert step has nobody to tell: no desk covers its place at that level',
  sendFailed: 'alert send failed; the step stays pending for the sweep',
} as const;

/** Texts this function sent and may not have recorded yet, remembered across invocations. */
const REMEMBER_SENT = 10_000;

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

/** What texting one incident came to: the records to write, and the steps every recipient has had. */
interface Texted {
  incident: Incident;
  record: DynamoDBRecord;
  deliveries: Delivery[];
  /** Delivery keys this invocation sent (forgotten once recorded). */
  sentKeys: string[];
  upToSeq: number;
  recipients: number;
}

/**
 * The notify function's work. For each incident in the stream batch with alert steps still to send: read it and
 * its deliveries (one consistent query), work out each step's recipients from the desk directory and the rosters
 * (desk × person on duty when the step was taken), text those whose record does not say sent, and then write, in
 * one batch for the whole stream batch, every delivery record with the incident's log entry, and commit each
 * incident — through the state machine, on its version — with the steps every recipient has had.
 *
 * The stream mapping hands one batch of a shard to one invocation at a time and an item's records in order, so one
 * notifier at a time works an incident: the records need no lease. A retried batch reads them and never texts a
 * recipient twice. A failed send fails no record: the step stays pending and the sweep re-drives it a minute later.
 * The one way a text goes out twice is a notifier dying between sending and writing the records; one that only
 * failed to write them remembers what it sent and records it on the retry instead of sending it again.
 */
export function createAlertNotifier(deps: AlertNotifierDeps) {
  const sent = new Map<string, { messageId: string; at: string }>();
  const newToken = deps.newToken ?? (() => randomUUID().slice(0, 8));
  const actor = { kind: 'function', name: 'notify' } as const;

  function remember(key: string, value: { messageId: string; at: string }) {
    if (sent.size >= REMEMBER_SENT) sent.delete(sent.keys().next().value as string);
    sent.set(key, value);
  }

  async function textIncident(
    incidentId: string,
    fromSeq: number,
    record: DynamoDBRecord,
    summary: NotifySummary,
  ): Promise<Texted | undefined> {
    const claim = await deps.deliveries.claim(incidentId, fromSeq);
    if (!claim) return undefined;
    const { incident } = claim;
    const sentSeq = incident.alertSentSeq ?? 0;
    const steps = incident.steps.filter((s) => s.seq > sentSeq).sort((a, b) => a.seq - b.seq);
    if (steps.length === 0) return undefined;
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
        deps.log.warn(NOTIFY_LOG_LINES.unrouted, {
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

    // Who still needs the text: never one already sent.
    const done = new Set<string>();
    const take: Planned[] = [];
    const deliveries: Delivery[] = [];
    const sentKeys: string[] = [];
    for (const p of planned) {
      const key = deliveryKey(incident.id, p.step.seq, p.recipient.key);
      if (p.existing?.status === 'sent') {
        done.add(key);
        summary.skipped++;
        continue;
      }
      const remembered = sent.get(key);
      if (remembered) {
        // Sent by this function earlier, its record lost: record it, do not send it again.
        deliveries.push(delivery(incident, p, 'sent', now, p.existing?.attempts ?? 1, remembered));
        done.add(key);
        sentKeys.push(key);
        continue;
      }
      take.push(p);
    }
    if (take.length > 0) {
      const messages: SmsMessage[] = take.map((p) => ({ key: p.recipient.key, to: p.recipient.address, text: p.text }));
      const results = await deps.channel.send(messages);
      const at = deps.now().toISOString();
      results.forEach((result, i) => {
        const p = take[i]!;
        const key = deliveryKey(incident.id, p.step.seq, p.recipient.key);
        const attempts = (p.existing?.attempts ?? 0) + 1;
        if (result.ok) {
          const outcome = { messageId: result.messageId, at };
          remember(key, outcome);
          deliveries.push(delivery(incident, p, 'sent', now, attempts, outcome));
          done.add(key);
          sentKeys.push(key);
          summary.sent++;
        } else {
          deliveries.push({ ...delivery(incident, p, 'failed', now, attempts), error: scrubText(result.error), at });
          summary.failed++;
          deps.log.warn(NOTIFY_LOG_LINES.sendFailed, {
            incidentId,
            alertSeq: p.step.seq,
            recipient: p.recipient.key,
            error: scrubText(result.error),
          });
        }
      });
    }

    // The steps every recipient has had, in order: the incident records up to the first that is not complete.
    let upToSeq = sentSeq;
    let recipients = 0;
    for (const step of steps) {
      const mine = planned.filter((p) => p.step.seq === step.seq);
      if (!mine.every((p) => done.has(deliveryKey(incident.id, step.seq, p.recipient.key)))) break;
      upToSeq = step.seq;
      recipients += mine.length;
    }
    return { incident, record, deliveries, sentKeys, upToSeq, recipients };
  }

  /** Writes the records of the texted incidents and commits them; the records of those that could not be, fail. */
  async function record(texted: Texted[], summary: NotifySummary): Promise<DynamoDBRecord[]> {
    const now = deps.now();
    const changes: { t: Texted; commit: IncidentCommit }[] = [];
    const plain: Texted[] = [];
    for (const t of texted) {
      const sealed =
        t.upToSeq > (t.incident.alertSentSeq ?? 0)
          ? sealCommand(
              t.incident,
              { kind: 'delivered', upToSeq: t.upToSeq, recipients: t.recipients, failed: 0 },
              actor,
              now,
              deps.policy,
              newToken(),
            )
          : undefined;
      if (sealed) {
        changes.push({ t, commit: { before: t.incident, ...sealed, also: t.deliveries.map(deliveryItem) } });
      } else if (t.deliveries.length > 0) plain.push(t);
    }
    const failed: DynamoDBRecord[] = [];
    const forget = (t: Texted) => {
      for (const key of t.sentKeys) sent.delete(key);
    };
    try {
      const writes = plain.flatMap((t) => t.deliveries);
      if (writes.length > 0) await deps.deliveries.finish(writes);
      plain.forEach(forget);
    } catch (error) {
      for (const t of plain) failRecord(t, error, summary, failed);
    }
    let outcomes: ('saved' | 'conflict')[];
    try {
      outcomes = await deps.incidents.saveAll(changes.map((c) => c.commit));
    } catch (error) {
      for (const { t } of changes) failRecord(t, error, summary, failed);
      return failed;
    }
    await Promise.all(
      changes.map(async ({ t }, i) => {
        try {
          // Another writer got there first (an event folded, a signature): its records are written; decide again.
          const result =
            outcomes[i] === 'saved'
              ? { ok: true as const, entry: true }
              : await applyCommand(
                  { records: deps.incidents, policy: deps.policy, now: deps.now, newToken },
                  t.incident.id,
                  { kind: 'delivered', upToSeq: t.upToSeq, recipients: t.recipients, failed: 0 },
                  actor,
                );
          forget(t);
          if (result.ok && result.entry) summary.delivered += t.upToSeq - (t.incident.alertSentSeq ?? 0);
          deps.log.info('alert steps delivered', {
            incidentId: t.incident.id,
            code: t.incident.code,
            upToSeq: t.upToSeq,
            recipients: t.recipients,
            severity: t.incident.severity,
          });
        } catch (error) {
          failRecord(t, error, summary, failed);
        }
      }),
    );
    return failed;
  }

  function failRecord(t: Texted, error: unknown, summary: NotifySummary, failed: DynamoDBRecord[]) {
    if (t.sentKeys.length > 0) summary.unrecorded++;
    deps.log.warn('alert not recorded; the record will be retried (what was sent is not sent again)', {
      incidentId: t.incident.id,
      error: String(error),
    });
    failed.push(t.record);
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
    const texted: Texted[] = [];
    await Promise.all(
      [...due.values()].map(async ({ incidentId, fromSeq, record }) => {
        try {
          const t = await textIncident(incidentId, fromSeq, record, summary);
          if (t) texted.push(t);
        } catch (error) {
          deps.log.warn('alert could not be read or sent; the record will be retried', {
            incidentId,
            error: String(error),
          });
          failedRecords.push(record);
        }
      }),
    );
    failedRecords.push(...(await record(texted, summary)));
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
    attempts,
    ...(outcome ? { messageId: outcome.messageId, at: outcome.at } : {}),
    expiresAt: incident.expiresAt,
  };
}
