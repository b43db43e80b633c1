import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Incident } from '../domain/incident.ts';
import { batchWrite } from './dynamo-batch.ts';
import { INCIDENT_SK, incidentPk } from './incident-store.ts';

/**
 * One recipient of one alert step: who (a key without personal data: `<desk>/<officer>` or `<desk>/standing-<n>`),
 * what they were sent, and how it went. Written once the send has ended, in one batch with the incident's own
 * record of it; kept as long as the incident, so who was told what, and when, can be traced. A retried batch reads
 * them first and never texts a recipient whose record says sent.
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
  status: 'sent' | 'failed';
  /** The first try. */
  startedAt: string;
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
  /** Records how each send ended (no condition: the notifier is the only writer of an incident's deliveries). */
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

  async finish(deliveries: readonly Delivery[]): Promise<void> {
    // Delivery items carry no alertPending and are not the incident item: writing them wakes no notifier.
    await batchWrite(
      this.#client,
      this.#tableName,
      deliveries.map((d) => ({ PutRequest: { Item: deliveryItem(d) } })),
    );
  }
}

/** A delivery's item, beside its incident's (and written with it, by `IncidentCommit.also`). */
export function deliveryItem(delivery: Delivery): Record<string, unknown> {
  return { pk: incidentPk(delivery.incidentId), sk: deliverySk(delivery.alertSeq, delivery.recipientKey), ...delivery };
}
