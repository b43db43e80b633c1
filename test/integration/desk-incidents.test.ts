import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAwsClients, type LocalAwsClients } from '../../local/aws-clients.ts';
import { ensureTable } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import { DynamoIncidentStore, incidentPk, logSk } from '../../shared/adapters/incident-store.ts';
import type { IncidentQuery } from '../../shared/app/incident-service.ts';
import { createIncidentService, InvalidCursorError } from '../../shared/app/incident-service-impl.ts';
import type { Incident } from '../../shared/domain/incident.ts';
import type { OfficerActor } from '../../shared/domain/incident-lifecycle.ts';
import { chainEntry, sealChange } from '../../shared/domain/incident-log.ts';
import { incidentAt } from '../unit/app/desk-api-fakes.ts';

const NOW = new Date('2026-11-25T18:10:00.000Z');
const EXPIRES = Math.floor(NOW.getTime() / 1000) + 30 * 86_400;
const TABLE = 'sanwang-desk-incidents';

const MISHAN_SCHOOL = { county: '140581', township: '140581100', village: '140581100201', kind: 'school' } as const;
const MISHAN_MARKET = { county: '140581', township: '140581100', kind: 'commercial' } as const;
const NANCHENG = { county: '140581', township: '140581001', kind: 'commercial' } as const;
const OTHER_COUNTY = { county: '140502', township: '140502001', kind: 'residential' } as const;

const li: OfficerActor = { kind: 'officer', officerId: '100234', deskId: 'mishan-station', role: 'officer' };
const zhang: OfficerActor = { kind: 'officer', officerId: 'm-lead', deskId: 'mishan-station', role: 'desk-lead' };

let servers: LocalServers;
let clients: LocalAwsClients;
let store: DynamoIncidentStore;

beforeAll(async () => {
  servers = await startLocalServers();
  clients = createLocalAwsClients(servers.endpoints);
  await ensureTable(clients, TABLE);
  store = new DynamoIncidentStore({ client: clients.documents, tableName: TABLE, now: () => NOW });
});
afterAll(async () => {
  clients?.destroy();
  await servers?.stop();
});

const service = (options: Partial<Parameters<typeof createIncidentService>[0]> = {}) =>
  createIncidentService({
    client: clients.documents,
    tableName: TABLE,
    timeZone: 'Asia/Shanghai',
    now: () => NOW,
    ...options,
  });

let serial = 0;
/** An incident written as the rules function opens one: version 1 with its first log entry. */
async function seed(place: Incident['place'], overrides: Partial<Incident> = {}): Promise<Incident> {
  serial += 1;
  const id = `sky.intrusion|${place.county}/cam-${serial}|20261125T1800`;
  const incident = incidentAt(id, place, { version: 1, expiresAt: EXPIRES, ...overrides });
  const sealed = sealChange(undefined, incident, [{ type: 'opened' }], {
    actor: { kind: 'function', name: 'rules' },
    at: NOW,
    token: `open${serial}`,
  });
  expect(await store.save({ before: undefined, after: sealed.incident, entry: sealed.entry })).toBe('saved');
  return sealed.incident;
}

/** Every page of a list, following `next`. */
async function allPages(query: IncidentQuery) {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await service().list({ ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.items.map((i) => i.id));
    cursor = page.next;
  } while (cursor);
  return pages;
}

describe('IncidentService.list: the by-county index', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // Three at the Mishan school over the night, one at the market, one in Nancheng, one in another county, one
    // expired (TTL not run yet) and one closed.
    ids.early = (await seed(MISHAN_SCHOOL, { firstSeen: '2026-11-24T12:00:00.000Z', severity: 3 })).id;
    ids.mid = (await seed(MISHAN_SCHOOL, { firstSeen: '2026-11-24T16:00:00.000Z', severity: 2 })).id;
    // Written as a device in the deployment's zone sends it: 02:05 in Beijing is 18:05 UTC the day before.
    ids.local = (await seed(MISHAN_SCHOOL, { firstSeen: '2026-11-25T02:05:00+08:00', severity: 1 })).id;
    ids.market = (await seed(MISHAN_MARKET, { firstSeen: '2026-11-24T20:00:00.000Z', severity: 4 })).id;
    ids.nancheng = (await seed(NANCHENG, { firstSeen: '2026-11-24T19:00:00.000Z' })).id;
    ids.other = (await seed(OTHER_COUNTY, { firstSeen: '2026-11-24T19:00:00.000Z' })).id;
    ids.expired = (
      await seed(MISHAN_MARKET, { firstSeen: '2026-11-24T21:00:00.000Z', expiresAt: Math.floor(NOW.getTime() / 1000) })
    ).id;
    ids.closed = (
      await seed(MISHAN_MARKET, { firstSeen: '2026-11-24T22:00:00.000Z', state: 'closed', severity: 3 })
    ).id;
  });

  it('lists what lies at or below the jurisdiction, newest first, leaving out expired items', async () => {
    const page = await service().list({ jurisdiction: '140581100', limit: 20 });
    expect(page.items.map((i) => i.id)).toEqual([ids.closed, ids.market, ids.local, ids.mid, ids.early]);
    expect(page.next).toBeUndefined();
    const village = await service().list({ jurisdiction: '140581100201', limit: 20 });
    expect(village.items.map((i) => i.id)).toEqual([ids.local, ids.mid, ids.early]);
    const county = await service().list({ jurisdiction: '140581', limit: 20 });
    expect(county.items.map((i) => i.id)).toContain(ids.nancheng);
    expect(county.items.map((i) => i.id)).not.toContain(ids.other);
  });

  it('filters by state and severity', async () => {
    const open = await service().list({ jurisdiction: '140581100', states: ['open'], limit: 20 });
    expect(open.items.map((i) => i.id)).not.toContain(ids.closed);
    const severe = await service().list({ jurisdiction: '140581100', severityAtMost: 2, limit: 20 });
    expect(severe.items.map((i) => i.id)).toEqual([ids.local, ids.mid]);
  });

  it('takes from (inclusive) and to (exclusive) as instants, whatever offset firstSeen was written with', async () => {
    const around = await service().list({
      jurisdiction: '140581100',
      from: '2026-11-24T18:00:00Z',
      to: '2026-11-24T18:10:00Z',
      limit: 20,
    });
    expect(around.items.map((i) => i.id)).toEqual([ids.local]);
    // 00:00 to 04:00 in Beijing: the mid incident at 16:00Z is in, the market's at 20:00Z is not (to is exclusive).
    const night = await service().list({
      jurisdiction: '140581100',
      from: '2026-11-25T00:00:00+08:00',
      to: '2026-11-25T04:00:00+08:00',
      limit: 20,
    });
    expect(night.items.map((i) => i.id)).toEqual([ids.local, ids.mid]);
    const before = await service().list({ jurisdiction: '140581100', to: '2026-11-24T16:00:00.000Z', limit: 20 });
    expect(before.items.map((i) => i.id)).toEqual([ids.early]);
  });

  it('pages with an opaque cursor: every incident once, no next on the last page', async () => {
    const pages = await allPages({ jurisdiction: '140581100', limit: 2 });
    expect(pages).toEqual([[ids.closed, ids.market], [ids.local, ids.mid], [ids.early]]);
    const filtered = await allPages({ jurisdiction: '140581100', states: ['open'], limit: 2 });
    expect(filtered.flat()).toEqual([ids.market, ids.local, ids.mid, ids.early]);
  });

  it('reads a bounded number of pages, answering a short page and a cursor to read on', async () => {
    // One Query of one item a request: the newest, closed, fills a page that answers nothing but a cursor.
    const bounded = service({ listLimits: { maxPages: 1, minPageItems: 1 } });
    const query = { jurisdiction: '140581100', states: ['open'], severityAtMost: 3, limit: 1 } as const;
    const first = await bounded.list(query);
    expect(first.items).toEqual([]);
    expect(first.next).toBeDefined();
    const rest: string[] = [];
    let cursor = first.next;
    while (cursor) {
      const page = await bounded.list({ ...query, cursor });
      rest.push(...page.items.map((i) => i.id));
      cursor = page.next;
    }
    expect(rest).toEqual([ids.local, ids.mid, ids.early]);
  });

  it('refuses a cursor it did not give out, or one of another county or time range', async () => {
    const list = service();
    await expect(list.list({ jurisdiction: '140581100', limit: 1, cursor: 'bm9wZQ' })).rejects.toThrow(
      InvalidCursorError,
    );
    const forged = Buffer.from(JSON.stringify({ pk: 'x' })).toString('base64url');
    await expect(list.list({ jurisdiction: '140581100', limit: 1, cursor: forged })).rejects.toMatchObject({
      name: 'InvalidCursorError',
    });
    const { next } = await list.list({ jurisdiction: '140581100', limit: 1 });
    await expect(list.list({ jurisdiction: '140502', limit: 1, cursor: next! })).rejects.toThrow(InvalidCursorError);
    await expect(
      list.list({ jurisdiction: '140581100', limit: 1, cursor: next!, to: '2026-11-20T00:00:00Z' }),
    ).rejects.toThrow(InvalidCursorError);
  });

  it('never scans: every read is a Query of the by-county index', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const client = new Proxy(clients.documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
          sent.push({ name: command.constructor.name, input: command.input });
          return target.send(command as never);
        };
      },
    });
    await service({ client }).list({ jurisdiction: '140581100', limit: 20 });
    expect(sent.map((s) => [s.name, s.input.IndexName, s.input.ScanIndexForward])).toEqual([
      ['QueryCommand', 'by-county', false],
    ]);
  });
});

describe('IncidentService.get and command', () => {
  it('reads an incident and its log, oldest first, leaving out an entry nothing on the chain names', async () => {
    const incident = await seed(MISHAN_SCHOOL);
    // A writer that lost a race at version 2: its entry is stored, but the incident names no such head.
    const orphan = chainEntry(
      {
        incidentId: incident.id,
        version: 2,
        token: 'lost',
        at: NOW.toISOString(),
        actor: li,
        events: [{ type: 'noted', text: 'lost' }],
        after: { state: 'open', severity: 1, level: 'village', eventCount: 217, lateCount: 0 },
      },
      incident.logHead,
    );
    await clients.documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: incidentPk(incident.id), sk: logSk(2, 'lost'), ...orphan, expiresAt: EXPIRES },
      }),
    );
    const found = await service().get(incident.id);
    expect(found?.incident).toMatchObject({ id: incident.id, state: 'open', version: 1 });
    expect(found?.log.map((e) => [e.version, e.actor])).toEqual([[1, { kind: 'function', name: 'rules' }]]);

    const signed = await service().command(incident.id, { kind: 'sign' }, li);
    expect(signed).toMatchObject({ ok: true, incident: { state: 'signed', version: 2 } });
    const after = await service().get(incident.id);
    expect(after?.log.map((e) => [e.version, e.actor.kind, e.events[0]?.type])).toEqual([
      [1, 'function', 'opened'],
      [2, 'officer', 'signed'],
    ]);
    expect(after?.log[1]).toEqual(signed.ok ? signed.entry : undefined);
    expect(after?.log[1]?.prevHash).toBe(after?.log[0]?.hash);
  });

  it('answers undefined for an unknown or expired incident', async () => {
    expect(await service().get('nope|1')).toBeUndefined();
    const expired = await seed(MISHAN_SCHOOL, { expiresAt: Math.floor(NOW.getTime() / 1000) - 1 });
    expect(await service().get(expired.id)).toBeUndefined();
  });

  it('applies the commands through the state machine, the officer as the actor', async () => {
    const { id } = await seed(MISHAN_SCHOOL);
    const incidents = service();
    const sign = await incidents.command(id, { kind: 'sign' }, li);
    expect(sign).toMatchObject({
      ok: true,
      incident: { state: 'signed', signed: { officerId: '100234', deskId: 'mishan-station' } },
      entry: { version: 2, actor: li, events: [{ type: 'signed', officerId: '100234' }] },
    });
    const dispatch = await incidents.command(id, { kind: 'dispatch', unit: '巡逻二组' }, zhang);
    expect(dispatch).toMatchObject({ ok: true, incident: { state: 'dispatched', dispatched: { unit: '巡逻二组' } } });
    const note = await incidents.command(id, { kind: 'note', text: '已通知校方' }, li);
    expect(note).toMatchObject({ ok: true, entry: { version: 4, events: [{ type: 'noted' }] } });
    expect((await store.get(id))?.version).toBe(4);
  });

  it('answers a second signature with the first, and an unknown incident not-found', async () => {
    const { id } = await seed(MISHAN_SCHOOL);
    const incidents = service();
    expect((await incidents.command(id, { kind: 'sign' }, li)).ok).toBe(true);
    const second = await incidents.command(id, { kind: 'sign' }, zhang);
    expect(second).toEqual({
      ok: false,
      code: 'conflict',
      state: 'signed',
      message: 'already signed by 100234',
      by: { officerId: '100234', deskId: 'mishan-station', at: NOW.toISOString() },
    });
    expect((await incidents.command('nope|1', { kind: 'sign' }, li)).ok).toBe(false);
    expect(await incidents.command('nope|1', { kind: 'sign' }, li)).toMatchObject({ code: 'not-found' });
    // The refused signature wrote nothing.
    expect((await incidents.get(id))?.log.map((e) => e.version)).toEqual([1, 2]);
  });

  it('lets exactly one of two officers signing at once win, the other told who', async () => {
    const { id } = await seed(MISHAN_SCHOOL);
    const [a, b] = await Promise.all([
      service().command(id, { kind: 'sign' }, li),
      service().command(id, { kind: 'sign' }, zhang),
    ]);
    const outcomes = [a, b].map((o) => (o.ok ? 'ok' : o.code)).sort();
    expect(outcomes).toEqual(['conflict', 'ok']);
    const [winner, loser] = a.ok ? [a, b] : [b, a];
    const signedBy = winner.ok ? winner.incident.signed?.officerId : undefined;
    expect(loser).toMatchObject({ ok: false, code: 'conflict', state: 'signed', by: { officerId: signedBy } });
    // Both entries may be stored (the loser's is an orphan if it got that far); the log shows the chain only.
    const { Items = [] } = await clients.documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
        ExpressionAttributeValues: { ':pk': incidentPk(id), ':log': 'LOG#' },
      }),
    );
    expect(Items.length).toBeGreaterThanOrEqual(2);
    expect((await service().get(id))?.log.map((e) => e.version)).toEqual([1, 2]);
  });
});
