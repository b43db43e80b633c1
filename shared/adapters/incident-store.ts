import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '../domain/incident.ts';
import { Incident as IncidentSchema, WindowClaim } from '../domain/incident.ts';
import type { LogEntry } from '../domain/incident-log.ts';
import type { ClaimChange, IncidentView } from '../domain/incident-plan.ts';
import { DUE_CLOCK_PARTITION, PENDING_ALERT_PARTITION, tableDesign } from '../table-design.ts';
import { batchGet, batchWrite, isConditionalCheckFailed } from './dynamo-batch.ts';

/** What the rules need from incident storage: read what a batch may touch, claim a window, write a change once. */
export interface IncidentStore {
  /** The incidents and window claims at these ids, the incidents the claims name, and every applied page. */
  load(ids: readonly string[]): Promise<IncidentView>;
  /** `conflict` when something (an incident or another claim) is at the window's id already. */
  claim(change: ClaimChange): Promise<'saved' | 'conflict'>;
  /** `conflict` when another writer changed the incident since it was read (or created it first). */
  save(change: IncidentCommit): Promise<'saved' | 'conflict'>;
  /** Several changes, their log entries and pages written together first. */
  saveAll(changes: readonly IncidentCommit[]): Promise<('saved' | 'conflict')[]>;
}

/**
 * What every other writer (notifier, sweep, duty-desk API) needs: one incident as it is now, and writing its next
 * version. A window claim or an expired incident reads as none.
 */
export interface IncidentRecords {
  get(incidentId: string): Promise<Incident | undefined>;
  save(change: IncidentCommit): Promise<'saved' | 'conflict'>;
  /** Several at once: every entry (and `also` item) in shared batches, then each incident on its version. */
  saveAll(changes: readonly IncidentCommit[]): Promise<('saved' | 'conflict')[]>;
}

/** An incident's log as stored: every entry, oldest version first (orphans of lost races included). */
export interface IncidentLogReader {
  log(incidentId: string): Promise<LogEntry[]>;
}

export const INCIDENT_SK = 'INCIDENT';
export const incidentPk = (id: string) => `INC#${id}`;

/** Pages never change once written, so a warm function keeps the ones it read (about 24 KB each). */
const PAGE_CACHE_LIMIT = 256;

/**
 * Incidents in the single table. An incident is one item (`INC#<id>`, `INCIDENT`) written with conditional
 * UpdateItem; a window a storm crossed into holds a claim item at its own id naming the incident; the keys of
 * applied events that no longer fit the incident item sit in immutable page items (`INC#<id>`, `PAGE#…`, sorting after the incident item).
 */
export class DynamoIncidentStore implements IncidentStore, IncidentRecords, IncidentLogReader {
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

  async get(incidentId: string): Promise<Incident | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { pk: incidentPk(incidentId), sk: INCIDENT_SK },
        ConsistentRead: true,
      }),
    );
    return out.Item ? incidentFromItem(out.Item, Math.floor(this.#now().getTime() / 1000)) : undefined;
  }

  /** Every incident of a county, oldest first, page by page from the `by-county` index (never a Scan). */
  async *county(county: string): AsyncGenerator<Incident> {
    const { byCounty } = tableDesign.indexes;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: byCounty.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': byCounty.partitionKey },
          ExpressionAttributeValues: { ':pk': `COUNTY#${county}` },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const nowSeconds = Math.floor(this.#now().getTime() / 1000);
      for (const item of out.Items ?? []) {
        const incident = incidentFromItem(item, nowSeconds);
        if (incident) yield incident;
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }

  async log(incidentId: string): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
          ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':log': 'LOG#' },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        // As stored, nothing stripped or defaulted: the audit hashes exactly what is there.
        const { pk: _pk, sk: _sk, expiresAt: _expires, ...entry } = item;
        entries.push(entry as LogEntry);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return entries;
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

  async save(change: IncidentCommit): Promise<'saved' | 'conflict'> {
    const [outcome] = await this.saveAll([change]);
    return outcome!;
  }

  /**
   * Writes changes: their pages and log entries first, together (BatchWriteItem: their keys are unique, so they need
   * no condition, and one that loses its race is never named), then each incident item, whole, on the condition
   * that nobody wrote it since it was read — the commit point of its entry.
   */
  async saveAll(changes: readonly IncidentCommit[]): Promise<('saved' | 'conflict')[]> {
    const now = this.#now();
    const sidecars = changes.flatMap((change) => [
      ...(change.page
        ? [
            {
              pk: incidentPk(change.after.id),
              sk: change.page.sk,
              keys: change.page.keys,
              expiresAt: change.after.expiresAt,
            },
          ]
        : []),
      logItem(change.entry, change.after.expiresAt),
      ...(change.also ?? []),
    ]);
    if (sidecars.length) await this.#writeSidecars(sidecars);
    return Promise.all(changes.map((change) => this.#put(change, now)));
  }

  /** Sidecar writes asked for in the same turn of the event loop, waiting to go out together. */
  #queued: { items: Record<string, unknown>[]; resolve: () => void; reject: (error: unknown) => void }[] = [];

  /**
   * Writers that commit side by side (the rules' groups, the sweep's ticks) ask for their entries within one turn
   * of the event loop: they go out together, 25 to a BatchWriteItem, instead of one call each. A failed write
   * fails every caller whose items it held; none of them has committed yet.
   */
  #writeSidecars(items: Record<string, unknown>[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ items, resolve, reject });
      if (this.#queued.length > 1) return;
      setImmediate(() => {
        const queued = this.#queued;
        this.#queued = [];
        batchWrite(
          this.#client,
          this.#tableName,
          queued.flatMap((q) => q.items).map((Item) => ({ PutRequest: { Item } })),
        ).then(
          () => {
            for (const q of queued) q.resolve();
          },
          (error: unknown) => {
            for (const q of queued) q.reject(error);
          },
        );
      });
    });
  }

  async #put(change: IncidentCommit, now: Date): Promise<'saved' | 'conflict'> {
    const { before } = change;
    const after = { ...change.after };
    if (after.alertPending) {
      after.alertPendingSince =
        before?.alertPending && before.alertPendingSince ? before.alertPendingSince : now.toISOString();
    } else {
      delete after.alertPendingSince;
    }
    const { byCounty, pendingAlerts, dueClocks } = tableDesign.indexes;
    const item: Record<string, unknown> = {
      ...after,
      pk: incidentPk(after.id),
      sk: INCIDENT_SK,
      [byCounty.partitionKey]: `COUNTY#${after.place.county}`,
      // UTC, so that the index orders by instant whatever offset the device gave.
      [byCounty.sortKey]: `${new Date(after.firstSeen).toISOString()}#${after.id}`,
      ...(after.alertPending
        ? {
            [pendingAlerts.partitionKey]: PENDING_ALERT_PARTITION,
            [pendingAlerts.sortKey]: `${after.alertPendingSince}#${after.id}`,
          }
        : {}),
      ...(after.nextDueAt
        ? { [dueClocks.partitionKey]: DUE_CLOCK_PARTITION, [dueClocks.sortKey]: `${after.nextDueAt}#${after.id}` }
        : {}),
    };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: item,
          ...(before === undefined
            ? {
                // An expired incident or claim that TTL has not deleted yet does not count: `load` hid it, so it is
                // replaced whole, none of its alert state kept.
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
                ExpressionAttributeValues: { ':nowSeconds': Math.floor(now.getTime() / 1000) },
              }
            : {
                ConditionExpression: '#version = :expectedVersion',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expectedVersion': before.version },
              }),
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'conflict';
      throw error;
    }
  }
}

/** One incident change as the store writes it: the item before (undefined: create), after, and its log entry. */
export interface IncidentCommit {
  before: Incident | undefined;
  after: Incident;
  entry: LogEntry;
  page?: { sk: string; keys: Uint8Array };
  /** Items of the incident's partition written in the same batch as its entry (the notifier's delivery records). */
  also?: readonly Record<string, unknown>[];
}

/** `LOG#00000012#<token>`: an entry sorts by the version it makes; the token tells racing writers apart. */
export const logSk = (version: number, token: string) => `LOG#${String(version).padStart(8, '0')}#${token}`;

/** A log entry's item: kept as long as its incident. */
function logItem(entry: LogEntry, expiresAt: number): Record<string, unknown> {
  return { pk: incidentPk(entry.incidentId), sk: logSk(entry.version, entry.token), ...entry, expiresAt };
}

/**
 * The incident an item of the table holds, read as `get` reads one: undefined for a window claim or an item whose
 * TTL has passed (DynamoDB deletes lazily). For readers of an index of incident items (the by-county list).
 */
export function incidentFromItem(item: Record<string, unknown>, nowSeconds: number): Incident | undefined {
  if (typeof item.claimOf === 'string') return undefined;
  if (typeof item.expiresAt === 'number' && item.expiresAt <= nowSeconds) return undefined;
  return IncidentSchema.parse(item);
}
