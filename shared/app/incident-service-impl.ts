import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoIncidentStore, INCIDENT_SK, incidentFromItem, incidentPk } from '../adapters/incident-store.ts';
import type { Incident } from '../domain/incident.ts';
import type { LogEntry } from '../domain/incident-log.ts';
import { DEFAULT_LIFECYCLE_POLICY, type LifecyclePolicy } from '../domain/lifecycle-policy.ts';
import { tableDesign } from '../table-design.ts';
import { placeCode, within } from './desk-access.ts';
import { applyCommand } from './incident-commands.ts';
import type { IncidentPage, IncidentQuery, IncidentService } from './incident-service.ts';

/** What the handler hands the IncidentService factory. */
export interface IncidentServiceOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The deployment's zone; the service itself reads no wall clock (times are instants), the API does. */
  timeZone: string;
  now: () => Date;
  /** Default DEFAULT_LIFECYCLE_POLICY. */
  policy?: LifecyclePolicy;
  /** Default INCIDENT_LIST_LIMITS (tests bound the reading tighter). */
  listLimits?: { maxPages?: number; minPageItems?: number };
}

/** Bounds of one list request: never a Scan, and never more than `maxPages` Queries of the by-county index. */
export const INCIDENT_LIST_LIMITS = {
  maxPages: 10,
  /** Items a Query evaluates at least, so a selective filter still fills a page in a few reads. */
  minPageItems: 25,
  /**
   * How far the key range is widened around `from`/`to`. The index sorts by `firstSeen` as a UTC instant (the
   * store writes it so), so none is needed; every item is still checked by its instant.
   */
  offsetMarginMs: 0,
} as const;

/** A cursor this service did not give out, or one for another list: the API answers 400 naming `cursor`. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
  constructor() {
    super('the cursor is not one this list gave out');
  }
}

/**
 * The IncidentService of the duty-desk API over the single table: incidents and their log read consistently from
 * their partition (`INC#<id>`), lists from the by-county index (newest first, filtered here, paged by an opaque
 * cursor), and officers' commands applied through the incident state machine (applyCommand), committed on the
 * version read, as every writer but the rules function does.
 */
export function createIncidentService(options: IncidentServiceOptions): IncidentService {
  const store = new DynamoIncidentStore({ client: options.client, tableName: options.tableName, now: options.now });
  const policy = options.policy ?? DEFAULT_LIFECYCLE_POLICY;

  return {
    async get(incidentId) {
      // The incident first: every entry up to the head it names was written before it (the log is the sidecar).
      const incident = await store.get(incidentId);
      if (!incident) return undefined;
      return { incident, log: chainOf(incident, await store.log(incidentId)) };
    },

    async command(incidentId, command, actor) {
      // IncidentBusyError (other writers kept committing first) is thrown on: the API answers 503.
      const result = await applyCommand(
        { records: store, policy, now: options.now },
        incidentId,
        { kind: 'officer', command, actor },
        actor,
      );
      if (!result.ok) {
        const { ok: _ok, attempts: _attempts, ...rejection } = result;
        return { ok: false, ...rejection };
      }
      // The state machine answers every officer command with an event or a rejection; were one ever to change
      // nothing, nothing was recorded for the officer: a 409 with the state it is in, to read again.
      if (!result.entry) {
        return {
          ok: false,
          code: 'conflict',
          state: result.incident.state,
          message: 'the command changed nothing',
        };
      }
      return { ok: true, incident: result.incident, entry: result.entry };
    },

    list: (query) => listIncidents(options, query),
  };
}

/**
 * The entries on the incident's chain, oldest first: walked back from the head the incident item names, so entries
 * of writers that lost a race (orphans) and any written after the incident was read are left out. An incident
 * older than its log starts where its first entry is.
 */
function chainOf(incident: Incident, entries: readonly LogEntry[]): LogEntry[] {
  const byKey = new Map(entries.map((entry) => [`${entry.version}#${entry.token}`, entry]));
  const chain: LogEntry[] = [];
  let expected: { version: number; token: string } | undefined = incident.logHead;
  while (expected) {
    const entry = byKey.get(`${expected.version}#${expected.token}`);
    if (!entry) break;
    chain.push(entry);
    expected =
      entry.version > 1 && entry.prevToken !== undefined
        ? { version: entry.version - 1, token: entry.prevToken }
        : undefined;
  }
  return chain.reverse();
}

type IndexKey = Record<string, string>;

async function listIncidents(options: IncidentServiceOptions, query: IncidentQuery): Promise<IncidentPage> {
  const { byCounty } = tableDesign.indexes;
  const partition = `COUNTY#${query.jurisdiction.slice(0, 6)}`;
  const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
  const toMs = query.to === undefined ? undefined : Date.parse(query.to);
  const { offsetMarginMs, maxPages, minPageItems } = { ...INCIDENT_LIST_LIMITS, ...options.listLimits };
  const low = fromMs === undefined ? undefined : new Date(fromMs - offsetMarginMs).toISOString();
  const high = toMs === undefined ? undefined : new Date(toMs + offsetMarginMs).toISOString();
  const range =
    low !== undefined && high !== undefined
      ? ' AND #sk BETWEEN :low AND :high'
      : low !== undefined
        ? ' AND #sk >= :low'
        : high !== undefined
          ? ' AND #sk <= :high'
          : '';
  const states = query.states ? new Set(query.states) : undefined;
  const wanted = (incident: Incident): boolean => {
    const firstSeenMs = Date.parse(incident.firstSeen);
    return (
      within(placeCode(incident.place), query.jurisdiction) &&
      (states === undefined || states.has(incident.state)) &&
      (query.severityAtMost === undefined || incident.severity <= query.severityAtMost) &&
      (fromMs === undefined || firstSeenMs >= fromMs) &&
      (toMs === undefined || firstSeenMs < toMs)
    );
  };
  const nowSeconds = Math.floor(options.now().getTime() / 1000);
  const items: Incident[] = [];
  let start: IndexKey | undefined = query.cursor ? decodeCursor(query.cursor, { partition, low, high }) : undefined;
  for (let page = 0; page < maxPages; page++) {
    const out = await options.client.send(
      new QueryCommand({
        TableName: options.tableName,
        IndexName: byCounty.name,
        KeyConditionExpression: `#pk = :pk${range}`,
        ExpressionAttributeNames: { '#pk': byCounty.partitionKey, ...(range ? { '#sk': byCounty.sortKey } : {}) },
        ExpressionAttributeValues: {
          ':pk': partition,
          ...(low !== undefined ? { ':low': low } : {}),
          ...(high !== undefined ? { ':high': high } : {}),
        },
        ScanIndexForward: false,
        Limit: Math.max(query.limit, minPageItems),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const read = out.Items ?? [];
    for (const [i, item] of read.entries()) {
      const incident = incidentFromItem(item, nowSeconds);
      if (!incident || !wanted(incident)) continue;
      items.push(incident);
      if (items.length === query.limit) {
        const last = i === read.length - 1 && !out.LastEvaluatedKey;
        // The next page starts after this item, however much more of the page was read.
        return last ? { items } : { items, next: encodeCursor(indexKeyOf(item)) };
      }
    }
    start = out.LastEvaluatedKey as IndexKey | undefined;
    if (!start) return { items };
  }
  // Bounded reading: a selective filter over a long history answers a short page and a cursor to read on.
  return { items, next: encodeCursor(start!) };
}

/** The key of an item in the by-county index: its table key and its index key, as LastEvaluatedKey has them. */
function indexKeyOf(item: Record<string, unknown>): IndexKey {
  const { partitionKey, sortKey } = tableDesign;
  const { byCounty } = tableDesign.indexes;
  return Object.fromEntries(
    [partitionKey, sortKey, byCounty.partitionKey, byCounty.sortKey].map((name) => [name, String(item[name])]),
  );
}

function encodeCursor(key: IndexKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key a cursor holds, checked to be an incident's key in this list's partition and key range. */
function decodeCursor(cursor: string, list: { partition: string; low?: string; high?: string }): IndexKey {
  const { partitionKey, sortKey } = tableDesign;
  const { byCounty } = tableDesign.indexes;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const names = [partitionKey, sortKey, byCounty.partitionKey, byCounty.sortKey];
  if (
    typeof key !== 'object' ||
    key === null ||
    Array.isArray(key) ||
    Object.keys(key).length !== names.length ||
    !names.every((name) => typeof (key as Record<string, unknown>)[name] === 'string')
  ) {
    throw new InvalidCursorError();
  }
  const k = key as IndexKey;
  const sk = k[byCounty.sortKey]!;
  const pk = k[partitionKey]!;
  const id = pk.slice(incidentPk('').length);
  if (
    k[byCounty.partitionKey] !== list.partition ||
    k[sortKey] !== INCIDENT_SK ||
    !pk.startsWith(incidentPk('')) ||
    id === '' ||
    !sk.endsWith(`#${id}`) ||
    (list.low !== undefined && sk < list.low) ||
    (list.high !== undefined && sk > list.high)
  ) {
    throw new InvalidCursorError();
  }
  return k;
}
