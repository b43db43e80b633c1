import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { tableDesign } from '../table-design.ts';
import { isConditionalCheckFailed } from './dynamo-batch.ts';
import { INCIDENT_SK, incidentPk } from './incident-store.ts';

/** The record of one alert sent: who was told what, and when. */
export interface SentAlert {
  incidentId: string;
  alertSeq: number;
  messageId: string;
  topicArn: string;
  sms: string;
  attributes: Record<string, string>;
  sentAt: string;
  /** The incident's own expiry: the record of who was told goes with the incident. */
  expiresAt: number;
}

/** What the notifier needs from the outbox: claim an alert that is still due, then record it as sent. */
export interface AlertOutbox {
  /**
   * The incident as it is now, if alert `alertSeq` is still the current one and not yet sent; undefined otherwise.
   * Stream records of one item are delivered in order, one batch at a time, so the claim needs no owner: a retry
   * of the same alert claims it again, and a sent or superseded alert is never claimed.
   */
  claim(incidentId: string, alertSeq: number): Promise<Incident | undefined>;
  markSent(alert: SentAlert): Promise<void>;
}

export class DynamoAlertOutbox implements AlertOutbox {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; now?: () => Date }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async claim(incidentId: string, alertSeq: number): Promise<Incident | undefined> {
    // A read, not a write: a write would put a new record on the table stream that wakes the notifier again, and
    // while SNS fails that loop would outlive every retry limit. Records of one item arrive in order, one batch at a
    // time, so no second notifier can be holding this alert.
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: incidentPk(incidentId), sk: INCIDENT_SK },
        ConsistentRead: true,
      }),
    );
    if (!out.Item || out.Item.alertSeq !== alertSeq) return undefined;
    if (typeof out.Item.alertSentSeq === 'number' && out.Item.alertSentSeq >= alertSeq) return undefined;
    return Incident.parse(out.Item);
  }

  async markSent(alert: SentAlert): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: { pk: incidentPk(alert.incidentId), sk: `ALERT#${String(alert.alertSeq).padStart(4, '0')}`, ...alert },
      }),
    );
    const key = { pk: incidentPk(alert.incidentId), sk: INCIDENT_SK };
    const { pendingAlerts } = tableDesign.indexes;
    try {
      // Leaves the pending index only if no newer alert was raised meanwhile; that one still has to go out.
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: key,
          UpdateExpression: `SET alertSentSeq = :seq, alertPending = :false REMOVE ${pendingAlerts.partitionKey}, ${pendingAlerts.sortKey}`,
          ConditionExpression: 'alertSeq = :seq',
          ExpressionAttributeValues: { ':seq': alert.alertSeq, ':false': false },
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
            ExpressionAttributeValues: { ':seq': alert.alertSeq },
          }),
        )
        .catch((e: unknown) => {
          if (!isConditionalCheckFailed(e)) throw e;
        });
    }
  }
}
