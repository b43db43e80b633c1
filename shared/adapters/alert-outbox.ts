import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { tableDesign } from '../table-design.ts';
import { batchWrite, isConditionalCheckFailed } from './dynamo-batch.ts';
import { INCIDENT_SK, incidentPk } from './incident-store.ts';

/** One try at sending an alert: written before the publish, so the trail shows every send, even a lost answer. */
export interface AlertAttempt {
  incidentId: string;
  alertSeq: number;
  /** Unique and sortable: the trail of an alert lists its attempts in order. */
  attemptId: string;
  startedAt: string;
  topicArn: string;
  sms: string;
  attributes: Record<string, string>;
  /** The incident's own expiry: the record of who was told goes with the incident. */
  expiresAt: number;
}

/** How an attempt ended. `sending` stays only where the function stopped between publishing and recording. */
export type AttemptOutcome =
  | { status: 'sent'; messageId: string; at: string }
  | { status: 'failed'; error: string; at: string };

/** An alert that is due: the incident as it is now, and the attempt that already sent it, if one did. */
export interface ClaimedAlert {
  incident: Incident;
  /** Published and recorded as sent by an earlier invocation that stopped before taking it off the pending index. */
  sentBy?: AlertAttempt & { messageId: string; at: string };
}

/** What the notifier needs from the outbox. */
export interface AlertOutbox {
  /**
   * The alert, if alert `alertSeq` is still the incident's current one and not marked sent; undefined otherwise.
   * Stream records of one item are delivered in order, one batch at a time, so the claim needs no owner: a retry
   * of the same alert claims it again, and a sent or superseded alert is never claimed.
   */
  claim(incidentId: string, alertSeq: number): Promise<ClaimedAlert | undefined>;
  /** Records that these alerts are about to go out. */
  begin(attempts: readonly AlertAttempt[]): Promise<void>;
  /** Records how each attempt ended. */
  finish(results: readonly { attempt: AlertAttempt; outcome: AttemptOutcome }[]): Promise<void>;
  /** The alert went out: the incident leaves the pending index, unless a newer alert was raised meanwhile. */
  markSent(incidentId: string, alertSeq: number): Promise<void>;
}

/** `ALERT#0003#2026-11-25T02:03:11.120Z-5f2a`: the alert number, then the attempt. */
export const attemptSk = (alertSeq: number, attemptId: string) =>
  `ALERT#${String(alertSeq).padStart(4, '0')}#${attemptId}`;

export class DynamoAlertOutbox implements AlertOutbox {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async claim(incidentId: string, alertSeq: number): Promise<ClaimedAlert | undefined> {
    // A read, not a write: a write to the incident would put a new record on the table stream that wakes the
    // notifier again, and while SNS fails that loop would outlive every retry limit. One query reads the alert's
    // attempts and the incident item together: `ALERT#<seq>#…` sorts just before `INCIDENT`.
    const out = await this.#client.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :incident',
        ExpressionAttributeValues: {
          ':pk': incidentPk(incidentId),
          ':from': attemptSk(alertSeq, ''),
          ':incident': INCIDENT_SK,
        },
        ConsistentRead: true,
      }),
    );
    const items = out.Items ?? [];
    const item = items.find((i) => i.sk === INCIDENT_SK);
    if (!item || item.alertSeq !== alertSeq) return undefined;
    if (typeof item.alertSentSeq === 'number' && item.alertSentSeq >= alertSeq) return undefined;
    const prefix = attemptSk(alertSeq, '');
    const sent = items.find((i) => String(i.sk).startsWith(prefix) && i.status === 'sent');
    return {
      incident: Incident.parse(item),
      ...(sent ? { sentBy: sent as unknown as NonNullable<ClaimedAlert['sentBy']> } : {}),
    };
  }

  async begin(attempts: readonly AlertAttempt[]): Promise<void> {
    await this.#put(attempts.map((attempt) => ({ attempt, outcome: { status: 'sending' as const } })));
  }

  async finish(results: readonly { attempt: AlertAttempt; outcome: AttemptOutcome }[]): Promise<void> {
    await this.#put(results);
  }

  // Trail items are separate from the incident item and carry no alertPending: writing them wakes no notifier.
  async #put(rows: readonly { attempt: AlertAttempt; outcome: AttemptOutcome | { status: 'sending' } }[]) {
    await batchWrite(
      this.#client,
      this.#tableName,
      rows.map(({ attempt, outcome }) => ({
        PutRequest: {
          Item: {
            pk: incidentPk(attempt.incidentId),
            sk: attemptSk(attempt.alertSeq, attempt.attemptId),
            ...attempt,
            ...outcome,
          },
        },
      })),
    );
  }

  async markSent(incidentId: string, alertSeq: number): Promise<void> {
    const key = { pk: incidentPk(incidentId), sk: INCIDENT_SK };
    const { pendingAlerts } = tableDesign.indexes;
    try {
      // Leaves the pending index only if no newer alert was raised meanwhile; that one still has to go out.
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: `SET alertSentSeq = :seq, alertPending = :false REMOVE ${pendingAlerts.partitionKey}, ${pendingAlerts.sortKey}`,
          ConditionExpression: 'alertSeq = :seq',
          ExpressionAttributeValues: { ':seq': alertSeq, ':false': false },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      await this.#client
        .send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: key,
            UpdateExpression: 'SET alertSentSeq = :seq',
            ConditionExpression: 'attribute_not_exists(alertSentSeq) OR alertSentSeq < :seq',
            ExpressionAttributeValues: { ':seq': alertSeq },
          }),
        )
        .catch((e: unknown) => {
          if (!isConditionalCheckFailed(e)) throw e;
        });
    }
  }
}
