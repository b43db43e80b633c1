import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '../domain/incident.ts';
import { Incident as IncidentSchema } from '../domain/incident.ts';
import type { IncidentChange } from '../domain/incident-plan.ts';
import { PENDING_ALERT_PARTITION, tableDesign } from '../table-design.ts';
import { batchGet, isConditionalCheckFailed } from './dynamo-batch.ts';

/** What the rules need from incident storage: read a set of incidents, write one change exactly once. */
export interface IncidentStore {
  load(ids: readonly string[]): Promise<Map<string, Incident>>;
  /** `conflict` when another writer changed the incident since it was read (or created it first). */
  save(change: IncidentChange): Promise<'saved' | 'conflict'>;
}

export const INCIDENT_SK = 'INCIDENT';
export const incidentPk = (id: string) => `INC#${id}`;

// Written only by the notifier; the rules function must never overwrite them with a stale copy.
const NOTIFIER_OWNED = new Set(['alertPending', 'alertSentSeq']);

/** Incidents in the single table, one item each, written with conditional UpdateItem. */
export class DynamoIncidentStore implements IncidentStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; now?: () => Date }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async load(ids: readonly string[]): Promise<Map<string, Incident>> {
    const found = new Map<string, Incident>();
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const keys = [...new Set(ids)].map((id) => ({ pk: incidentPk(id), sk: INCIDENT_SK }));
    for (const item of await batchGet(this.#client, this.#tableName, keys, { consistentRead: true })) {
      // TTL deletes lazily: an expired incident must not absorb new events.
      if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) continue;
      const incident = IncidentSchema.parse(item);
      found.set(incident.id, incident);
    }
    return found;
  }

  async save(change: IncidentChange): Promise<'saved' | 'conflict'> {
    const { after, before, alertRaised } = change;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const set = (attr: string, value: unknown) => {
      const n = `#a${sets.length}`;
      names[n] = attr;
      values[`:a${sets.length}`] = value;
      sets.push(`${n} = :a${sets.length}`);
    };
    for (const [attr, value] of Object.entries(after)) {
      if (!NOTIFIER_OWNED.has(attr) && value !== undefined) set(attr, value);
    }
    const { byCounty, pendingAlerts } = tableDesign.indexes;
    set(byCounty.partitionKey, `COUNTY#${after.place.county}`);
    set(byCounty.sortKey, `${after.firstSeen}#${after.id}`);
    if (alertRaised) {
      set('alertPending', true);
      set(pendingAlerts.partitionKey, PENDING_ALERT_PARTITION);
      set(pendingAlerts.sortKey, `${this.#now().toISOString()}#${after.id}`);
    }
    let condition: string;
    if (before === undefined) {
      // An expired incident that TTL has not deleted yet does not count: `load` hid it, so it is replaced.
      condition = 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds';
      values[':nowSeconds'] = Math.floor(this.#now().getTime() / 1000);
    } else {
      condition = '#version = :expectedVersion';
      names['#version'] = 'version';
      values[':expectedVersion'] = before.version;
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { pk: incidentPk(after.id), sk: INCIDENT_SK },
          // A new incident may replace an expired one that TTL has not deleted yet: none of its alert state may stay.
          UpdateExpression: `SET ${sets.join(', ')}${before === undefined ? ' REMOVE alertSentSeq' : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }
}
