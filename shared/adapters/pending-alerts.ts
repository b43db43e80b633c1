import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PENDING_ALERT_PARTITION, tableDesign } from '../table-design.ts';
import { isConditionalCheckFailed } from './dynamo-batch.ts';
import { INCIDENT_SK, incidentPk } from './incident-store.ts';

/** An alert that is due and not sent yet, as the pending-alerts index lists it. */
export interface PendingAlert {
  incidentId: string;
  alertSeq: number;
  /** When it became due, or was last re-driven. */
  pendingSince: string;
}

/** What the sweep needs: find alerts pending for too long, and put them before the notifier once more. */
export interface PendingAlerts {
  /** Alerts pending since before `before`, oldest first, at most `limit`. */
  overdue(before: Date, limit: number): Promise<PendingAlert[]>;
  /**
   * Writes the incident again so its table stream carries it to the notifier; false when the alert was sent or
   * superseded meanwhile. The write also restarts its wait, so a dead topic is tried once a minute, not in a loop.
   */
  redrive(alert: PendingAlert, now: Date): Promise<boolean>;
}

/** The sparse `pending-alerts` index: only incidents whose alert is due carry its keys. */
export class DynamoPendingAlerts implements PendingAlerts {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async overdue(before: Date, limit: number): Promise<PendingAlert[]> {
    const { pendingAlerts } = tableDesign.indexes;
    const found: PendingAlert[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: pendingAlerts.name,
          // Sort keys are `<ISO time>#<id>`: everything that became due before the cutoff sorts below it.
          KeyConditionExpression: '#pk = :pending AND #sk < :cutoff',
          ExpressionAttributeNames: { '#pk': pendingAlerts.partitionKey, '#sk': pendingAlerts.sortKey },
          ExpressionAttributeValues: { ':pending': PENDING_ALERT_PARTITION, ':cutoff': before.toISOString() },
          Limit: limit - found.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        if (item.alertPending !== true) continue;
        if (typeof item.alertSentSeq === 'number' && item.alertSentSeq >= item.alertSeq) continue;
        found.push({
          incidentId: String(item.id),
          alertSeq: Number(item.alertSeq),
          pendingSince: String(item[pendingAlerts.sortKey]).split('#')[0]!,
        });
      }
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  async redrive(alert: PendingAlert, now: Date): Promise<boolean> {
    const { pendingAlerts } = tableDesign.indexes;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: incidentPk(alert.incidentId), sk: INCIDENT_SK },
          UpdateExpression: 'SET #sk = :sk ADD alertWakes :one',
          ConditionExpression:
            'alertSeq = :seq AND alertPending = :true AND (attribute_not_exists(alertSentSeq) OR alertSentSeq < :seq)',
          ExpressionAttributeNames: { '#sk': pendingAlerts.sortKey },
          ExpressionAttributeValues: {
            ':sk': `${now.toISOString()}#${alert.incidentId}`,
            ':one': 1,
            ':seq': alert.alertSeq,
            ':true': true,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
