import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { batchWrite, isConditionalCheckFailed } from './dynamo-batch.ts';
import { INCIDENT_SK, incidentPk } from './incident-store.ts';

/**
 * One recipient of one alert step: who (a key without personal data: `<desk>/<officer>` or `<desk>/standing-<n>`),
 * what they were sent, and how it went. Written before the send with a condition (the notifier takes the
 * recipient), and again after with the outcome; kept as long as the incident, so who was told what, and when, can
 * be traced.
 */
export interface Delivery {
  incidentId: string;
  alertSeq: number;
  stepKind: string;
  recipientKey: string;
  deskId: string;
  officerId?: string;
  channel: 'sms';
  /** The text sent: built from fixed parts and masked, never personal data. */
  text: string;
  status: 'sending' | 'sent' | 'failed';
  startedAt: string;
  /** Until then the sender that took it owns it; after, a sender that stopped is presumed dead. */
  leaseUntil: string;
  attempts: number;
  messageId?: string;
  /** Masked: a provider's error may quote the number. */
  error?: string;
  at?: string;
  expiresAt: number;
}

/** An incident with alert steps to send, and what its recipients have had so far. */
export interface DeliveryClaim {
  incident: Incident;
  deliveries: Delivery[];
}

/** What the notifier needs to keep one delivery per recipient per alert step. */
export interface DeliveryRecords {
  /** The incident as it is now and the deliveries of its steps from `fromSeq` on (one consistent read). */
  claim(incidentId: string, fromSeq: number): Promise<DeliveryClaim | undefined>;
  /**
   * Takes a recipient for sending: false when it was sent already, or another sender holds it (its lease has not
   * run out). A recipient whose last try failed, or whose sender stopped, can be taken again.
   */
  begin(delivery: Delivery, now: Date): Promise<boolean>;
  /** Records how each send ended. */
  finish(deliveries: readonly Delivery[]): Promise<void>;
}

/** `ALERT#000003#mishan-station/mishan-night`: the step, then the recipient. */
export const deliverySk = (alertSeq: number, recipientKey: string) =>
  `ALERT#${String(alertSeq).padStart(6, '0')}#${recipientKey}`;

export class DynamoDeliveryRecords implements DeliveryRecords {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async claim(incidentId: string, fromSeq: number): Promise<DeliveryClaim | undefined> {
    // A read, not a write: a write to the incident would wake the notifier again. `ALERT#…` sorts just before
    // `INCIDENT`, so one query reads the deliveries of the steps still due and the incident item together.
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :incident',
          ExpressionAttributeValues: {
            ':pk': incidentPk(incidentId),
            ':from': deliverySk(fromSeq, ''),
            ':incident': INCIDENT_SK,
          },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    const item = items.find((i) => i.sk === INCIDENT_SK);
    if (!item || typeof item.claimOf === 'string') return undefined;
    return {
      incident: Incident.parse(item),
      deliveries: items.filter((i) => i.sk !== INCIDENT_SK && i.status !== undefined) as unknown as Delivery[],
    };
  }

  async begin(delivery: Delivery, now: Date): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: this.#item(delivery),
          ConditionExpression:
            'attribute_not_exists(pk) OR #status = :failed OR (#status = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'failed', ':sending': 'sending', ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async finish(deliveries: readonly Delivery[]): Promise<void> {
    // Delivery items carry no alertPending and are not the incident item: writing them wakes no notifier.
    await batchWrite(
      this.#client,
      this.#tableName,
      deliveries.map((d) => ({ PutRequest: { Item: this.#item(d) } })),
    );
  }

  #item(delivery: Delivery): Record<string, unknown> {
    return {
      pk: incidentPk(delivery.incidentId),
      sk: deliverySk(delivery.alertSeq, delivery.recipientKey),
      ...delivery,
    };
  }
}
