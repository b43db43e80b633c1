import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { tableDesign } from '../table-design.ts';
import { isConditionalCheckFailed } from './dynamo-retry.ts';
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
}

/** What the notifier needs from the outbox: claim an alert so only one sender sends it, then record it as sent. */
export interface AlertOutbox {
  /** The incident as it is now, if this caller may send alert `alertSeq`; undefined if it is sent or someone else holds it. */
  claim(incidentId: string, alertSeq: number, claimToken: string): Promise<Incident | undefined>;
  markSent(alert: SentAlert): Promise<void>;
}

/** A claim older than this is taken over: its holder failed after claiming and before marking the alert sent. */
export const CLAIM_LEASE_MS = 120_000;

export class DynamoAlertOutbox implements AlertOutbox {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; now?: () => Date }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async claim(incidentId: string, alertSeq: number, claimToken: string): Promise<Incident | undefined> {
    const now = this.#now();
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: incidentPk(incidentId), sk: INCIDENT_SK },
          UpdateExpression: 'SET alertClaimSeq = :seq, alertClaimToken = :token, alertClaimedAt = :now',
          ConditionExpression: [
            'alertSeq = :seq',
            '(attribute_not_exists(alertSentSeq) OR alertSentSeq < :seq)',
            '(attribute_not_exists(alertClaimSeq) OR alertClaimSeq < :seq OR alertClaimToken = :token OR alertClaimedAt < :stale)',
          ].join(' AND '),
          ExpressionAttributeValues: {
            ':seq': alertSeq,
            ':token': claimToken,
            ':now': now.toISOString(),
            ':stale': new Date(now.getTime() - CLAIM_LEASE_MS).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Incident.parse(out.Attributes);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
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
