import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '../domain/incident.ts';
import { Incident as IncidentSchema, WindowClaim } from '../domain/incident.ts';
import type { ClaimChange, IncidentChange, IncidentView } from '../domain/incident-plan.ts';
import { PENDING_ALERT_PARTITION, tableDesign } from '../table-design.ts';
import { batchGet, isConditionalCheckFailed } from './dynamo-batch.ts';

/** What the rules need from incident storage: read what a batch may touch, claim a window, write a change once. */
export interface IncidentStore {
  /** The incidents and window claims at these ids, the incidents the claims name, and every applied page. */
  load(ids: readonly string[]): Promise<IncidentView>;
  /** `conflict` when something (an incident or another claim) is at the window's id already. */
  claim(change: ClaimChange): Promise<'saved' | 'conflict'>;
  /** `conflict` when another writer changed the incident since it was read (or created it first). */
  save(change: IncidentChange): Promise<'saved' | 'conflict'>;
}

export const INCIDENT_SK = 'INCIDENT';
export const incidentPk = (id: string) => `INC#${id}`;

// Written only by the notifier; the rules function must never overwrite them with a stale copy.
const NOTIFIER_OWNED = new Set(['alertPending', 'alertSentSeq']);
// Attributes of the earlier design (last-64 event ids, per-shard sequence watermarks): dropped on the next write.
const RETIRED = ['recentEventIds', 'watermarks'];

/** Pages never change once written, so a warm function keeps the ones it read (about 24 KB each). */
const PAGE_CACHE_LIMIT = 256;

/**
 * Incidents in the single table. An incident is one item (`INC#<id>`, `INCIDENT`) written with conditional
 * UpdateItem; a window a storm crossed into holds a claim item at its own id naming the incident; the keys of
 * applied events that no longer fit the incident item sit in immutable page items (`INC#<id>`, `PAGE#…`, sorting after the incident item).
 */
export class DynamoIncidentStore implements IncidentStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  readonly #pages = new Map<string, Uint8Array>();

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; now?: () => Date }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async load(ids: readonly string[]): Promise<IncidentView> {
    const incidents = new Map<string, Incident>();
    const claims = new Map<string, string>();
    await this.#read(ids, incidents, claims);
    // A claim names an incident of the window before, which the first read may not have asked for.
    const named = [...new Set(claims.values())].filter((id) => !incidents.has(id) && !claims.has(id));
    if (named.length) await this.#read(named, incidents, claims);
    return { incidents, claims, pages: await this.#loadPages(incidents) };
  }

  async #read(ids: readonly string[], incidents: Map<string, Incident>, claims: Map<string, string>) {
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const keys = [...new Set(ids)].map((id) => ({ pk: incidentPk(id), sk: INCIDENT_SK }));
    for (const item of await batchGet(this.#client, this.#tableName, keys, { consistentRead: true })) {
      // TTL deletes lazily: an expired incident must not absorb new events.
      if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) continue;
      if (typeof item.claimOf === 'string') {
        const claim = WindowClaim.parse({ ...item, incidentId: item.claimOf });
        claims.set(claim.id, claim.incidentId);
      } else {
        const incident = IncidentSchema.parse(item);
        incidents.set(incident.id, incident);
      }
    }
  }

  async #loadPages(incidents: Map<string, Incident>): Promise<Map<string, Uint8Array>> {
    const pages = new Map<string, Uint8Array>();
    const missing: { pk: string; sk: string }[] = [];
    for (const incident of incidents.values()) {
      for (const sk of incident.appliedPages) {
        const cached = this.#pages.get(sk);
        if (cached) pages.set(sk, cached);
        else missing.push({ pk: incidentPk(incident.id), sk });
      }
    }
    if (missing.length === 0) return pages;
    const found = await batchGet(this.#client, this.#tableName, missing, { consistentRead: true });
    for (const item of found) {
      const keys = item.keys instanceof Uint8Array ? item.keys : new Uint8Array();
      pages.set(String(item.sk), keys);
      if (this.#pages.size >= PAGE_CACHE_LIMIT) this.#pages.delete(this.#pages.keys().next().value as string);
      this.#pages.set(String(item.sk), keys);
    }
    const lost = missing.find((m) => !pages.has(m.sk));
    // Pages are written before the incident that names them and expire with it: one missing is a broken table.
    if (lost) throw new Error(`applied page ${lost.sk} of ${lost.pk} is missing`);
    return pages;
  }

  async claim(change: ClaimChange): Promise<'saved' | 'conflict'> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            pk: incidentPk(change.windowId),
            sk: INCIDENT_SK,
            id: change.windowId,
            claimOf: change.incidentId,
            expiresAt: change.expiresAt,
          },
          // An expired incident or claim that TTL has not deleted yet does not count.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
          ExpressionAttributeValues: { ':nowSeconds': Math.floor(this.#now().getTime() / 1000) },
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }

  async save(change: IncidentChange): Promise<'saved' | 'conflict'> {
    const { after, before, alertRaised, page } = change;
    if (page) {
      // Written first: the incident item that names the page is the commit point. A page whose incident write then
      // loses a race is never named by anyone, and expires.
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { pk: incidentPk(after.id), sk: page.sk, keys: page.keys, expiresAt: after.expiresAt },
        }),
      );
    }
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
    // On a create there is no notifier state to protect: an incident that only late events opened starts with none due.
    if (before === undefined && !alertRaised) set('alertPending', false);
    if (alertRaised) {
      set('alertPending', true);
      set(pendingAlerts.partitionKey, PENDING_ALERT_PARTITION);
      set(pendingAlerts.sortKey, `${this.#now().toISOString()}#${after.id}`);
    }
    let condition: string;
    const removes = [...RETIRED];
    if (before === undefined) {
      // An expired incident that TTL has not deleted yet does not count: `load` hid it, so it is replaced, and none of
      // its alert state may stay.
      condition = 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds';
      values[':nowSeconds'] = Math.floor(this.#now().getTime() / 1000);
      removes.push('alertSentSeq', 'claimOf');
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
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
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
