import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UnprocessedItemsError } from '../../../shared/adapters/dynamo-batch.ts';
import { DynamoIncidentStore, logSk } from '../../../shared/adapters/incident-store.ts';
import { INLINE_APPLIED_KEYS } from '../../../shared/domain/applied-events.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import type { IncidentView } from '../../../shared/domain/incident-plan.ts';
import { eventAt, NOW, plannedChange } from '../app/builders.ts';

const TABLE = 'sanwang';
const NOW_SECONDS = NOW.getTime() / 1000;
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));
const store = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });

const intrusion = (offset: number, id = `ivs-${offset}`) => eventAt('camera.intrusion', offset, { id });
const key = (id: string) => ({ pk: `INC#${id}`, sk: 'INCIDENT' });
const item = (incident: Incident, extra: Record<string, unknown> = {}) => ({
  ...key(incident.id),
  ...incident,
  ...extra,
});
const viewOf = (...incidents: Incident[]): IncidentView => ({
  incidents: new Map(incidents.map((i) => [i.id, i])),
  claims: new Map(),
  pages: new Map(),
});
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

describe('DynamoIncidentStore.load', () => {
  it('reads each incident once, consistently, in BatchGets of at most 100 keys', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const ids = Array.from({ length: 150 }, (_, i) => `sky.intrusion|cam-${i}|20261124T1800`);

    await store.load([...ids, ...ids.slice(0, 20)]);

    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 1, {
      RequestItems: { [TABLE]: { Keys: ids.slice(0, 100).map(key), ConsistentRead: true } },
    });
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: ids.slice(100).map(key), ConsistentRead: true } },
    });
  });

  it('asks again for unprocessed keys and returns what every attempt found', async () => {
    const a = plannedChange([intrusion(180)]).after;
    const b = plannedChange([eventAt('device.offline', 200)]).after;
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [item(a)] },
        UnprocessedKeys: { [TABLE]: { Keys: [key(b.id)], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [item(b)] } });

    const found = await store.load([a.id, b.id]);

    expect([...found.incidents.keys()]).toEqual([a.id, b.id]);
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: [key(b.id)], ConsistentRead: true } },
    });
  });

  it('throws UnprocessedItemsError when keys stay unprocessed after five attempts', async () => {
    ddb.on(BatchGetCommand).callsFake((input) => ({ UnprocessedKeys: input.RequestItems }));

    await expect(store.load(['sky.intrusion|cam-1|20261124T1800'])).rejects.toThrow(UnprocessedItemsError);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 5);
  });

  it('leaves out incidents whose TTL has passed but DynamoDB has not yet deleted', async () => {
    const incident = plannedChange([intrusion(180)]).after;
    const expired = { ...incident, id: `${incident.id}-expired`, expiresAt: NOW_SECONDS };
    const live = { ...incident, expiresAt: NOW_SECONDS + 1 };
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [item(expired), item(live)] } });

    const found = await store.load([expired.id, live.id]);

    expect([...found.incidents.keys()]).toEqual([live.id]);
  });

  it('returns incidents without the table attributes or the claim the notifier keeps on the item', async () => {
    const incident = plannedChange([intrusion(180)]).after;
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [item(incident, { gsi1pk: 'ALERT#PENDING', gsi1sk: 'x', alertClaimToken: 'tok', alertSentSeq: 1 })],
      },
    });

    const found = await store.load([incident.id]);

    expect(found.incidents.get(incident.id)).toEqual({ ...incident, alertSentSeq: 1 });
  });

  it('follows a window claim to the incident it names, reading that one too', async () => {
    const root = plannedChange([intrusion(180)]).after;
    const windowId = root.id.replace(/T1800$/, 'T1830');
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [{ ...key(windowId), id: windowId, claimOf: root.id, expiresAt: NOW_SECONDS + 60 }] },
      })
      .resolvesOnce({ Responses: { [TABLE]: [item(root)] } });

    const view = await store.load([windowId]);

    expect(view.claims).toEqual(new Map([[windowId, root.id]]));
    expect([...view.incidents.keys()]).toEqual([root.id]);
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: [key(root.id)], ConsistentRead: true } },
    });
  });

  it('reads the applied pages an incident names once, and keeps them (they never change)', async () => {
    const reader = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    const incident = { ...plannedChange([intrusion(180)]).after, appliedPages: ['PAGE#00000003#ab12'] };
    const page = { pk: `INC#${incident.id}`, sk: 'PAGE#00000003#ab12', keys: new Uint8Array(24).fill(7) };
    ddb
      .on(BatchGetCommand, { RequestItems: { [TABLE]: { Keys: [key(incident.id)], ConsistentRead: true } } })
      .resolves({ Responses: { [TABLE]: [item(incident)] } })
      .on(BatchGetCommand, {
        RequestItems: { [TABLE]: { Keys: [{ pk: page.pk, sk: page.sk }], ConsistentRead: true } },
      })
      .resolves({ Responses: { [TABLE]: [page] } });

    const first = await reader.load([incident.id]);
    const second = await reader.load([incident.id]);

    expect(first.pages.get(page.sk)).toEqual(page.keys);
    expect(second.pages.get(page.sk)).toEqual(page.keys);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 3);
  });

  it('refuses to go on when a page an incident names is missing', async () => {
    const reader = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    const incident = { ...plannedChange([intrusion(180)]).after, appliedPages: ['PAGE#00000001#zz'] };
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [item(incident)] } })
      .resolves({ Responses: {} });

    await expect(reader.load([incident.id])).rejects.toThrow(/PAGE#00000001#zz .* is missing/);
  });

  it('refuses an item that is not an incident', async () => {
    ddb
      .on(BatchGetCommand)
      .resolves({ Responses: { [TABLE]: [{ ...key('x'), id: 'x', expiresAt: NOW_SECONDS + 60 }] } });

    await expect(store.load(['x'])).rejects.toThrow(/code/);
  });
});

describe('DynamoIncidentStore.claim', () => {
  const claim = {
    windowId: 'sky.intrusion|140581/cam|20261124T1830',
    incidentId: 'sky.intrusion|140581/cam|20261124T1800',
  };

  it('claims a window only if nothing live is at its id', async () => {
    ddb.on(PutCommand).resolves({});

    await expect(store.claim({ ...claim, expiresAt: NOW_SECONDS + 9, firstSequenceNumber: '1' })).resolves.toBe(
      'saved',
    );

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { ...key(claim.windowId), id: claim.windowId, claimOf: claim.incidentId, expiresAt: NOW_SECONDS + 9 },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
    });
  });

  it('answers conflict when an incident or another claim is there', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(store.claim({ ...claim, expiresAt: 1, firstSequenceNumber: '1' })).resolves.toBe('conflict');
  });
});

describe('DynamoIncidentStore.save', () => {
  const lastPut = () => ddb.commandCalls(PutCommand).at(-1)!.args[0].input;
  const sidecars = () =>
    ddb
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => c.args[0].input.RequestItems?.[TABLE] ?? [])
      .map((r) => r.PutRequest?.Item ?? {});

  beforeEach(() => {
    ddb.on(BatchWriteCommand).resolves({});
  });

  it('writes the log entry and a new applied page before the incident item that names them', async () => {
    ddb.on(PutCommand).resolves({});
    const storm = Array.from({ length: INLINE_APPLIED_KEYS + 1 }, (_, i) => intrusion(180, `ivs-${i}`));
    const change = plannedChange(storm);
    expect(change.page).toBeDefined();

    await store.save(change);

    expect(sidecars()).toEqual([
      expect.objectContaining({ pk: `INC#${change.after.id}`, sk: change.page?.sk }),
      expect.objectContaining({
        pk: `INC#${change.after.id}`,
        sk: logSk(1, change.entry.token),
        hash: change.entry.hash,
        expiresAt: change.after.expiresAt,
      }),
    ]);
    expect(lastPut().Item).toMatchObject({ appliedPages: [change.page?.sk], logHead: { version: 1 } });
    const order = ddb.calls().map((c) => c.args[0].constructor.name);
    expect(order).toEqual(['BatchWriteCommand', 'PutCommand']);
  });

  it('creates an incident only if no live item has its key, whole, with its index keys', async () => {
    ddb.on(PutCommand).resolves({});
    const change = plannedChange([intrusion(180)]);

    await expect(store.save(change)).resolves.toBe('saved');

    const input = lastPut();
    expect(input).toMatchObject({
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
    });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':nowSeconds': Math.floor(NOW.getTime() / 1000) });
    expect(input.ExpressionAttributeNames).toBeUndefined();
    expect(input.Item).toEqual({
      ...key(change.after.id),
      ...change.after,
      alertPendingSince: NOW.toISOString(),
      gsi1pk: 'ALERT#PENDING',
      gsi1sk: `${NOW.toISOString()}#${change.after.id}`,
      gsi2pk: 'COUNTY#140581',
      gsi2sk: `${change.after.firstSeen}#${change.after.id}`,
      gsi3pk: 'CLOCK#DUE',
      gsi3sk: `${change.after.nextDueAt}#${change.after.id}`,
    });
  });

  it('creates an incident that only a late event opened with no alert due and no clock', async () => {
    ddb.on(PutCommand).resolves({});
    const late = eventAt('patrol.sos', 0, { id: 'sos-late', receivedAt: '2026-11-25T05:00:00+08:00' });
    const change = plannedChange([late]);
    expect(change.alertRaised).toBe(false);

    await store.save(change);

    const written = lastPut().Item ?? {};
    expect(written).toMatchObject({ alertPending: false, lateCount: 1 });
    expect(written).not.toHaveProperty('gsi1pk');
    expect(written).not.toHaveProperty('gsi3pk');
  });

  it('replaces an incident only if its version is the one read', async () => {
    ddb.on(PutCommand).resolves({});
    const opened = { ...plannedChange([intrusion(180)]).after, version: 4 };
    const change = plannedChange([intrusion(240)], { stored: viewOf(opened), from: 2 });

    await store.save(change);

    const input = lastPut();
    expect(input.ConditionExpression).toBe('#version = :expectedVersion');
    expect(input.ExpressionAttributeNames?.['#version']).toBe('version');
    expect(input.ExpressionAttributeValues?.[':expectedVersion']).toBe(4);
    expect(input.Item).toMatchObject({ version: 5, eventCount: 2 });
  });

  it('keeps what the notifier recorded: every writer goes through the one version', async () => {
    ddb.on(PutCommand).resolves({});
    const sent: Incident = { ...plannedChange([intrusion(180)]).after, alertPending: false, alertSentSeq: 1 };
    const change = plannedChange([intrusion(240)], { stored: viewOf(sent), from: 2 });

    await store.save(change);

    const written = lastPut().Item ?? {};
    expect(written).toMatchObject({ alertPending: false, alertSentSeq: 1 });
    expect(written).not.toHaveProperty('gsi1pk');
    expect(written).not.toHaveProperty('alertPendingSince');
  });

  it('puts the incident back on the pending-alerts index when its severity is raised', async () => {
    ddb.on(PutCommand).resolves({});
    const cafe = { source: { id: 'cafe-0001', kind: 'cafe_system' as const } };
    // 21:50 Shanghai at a café: level 3; 22:10 adds the night boost: level 2.
    const opened = plannedChange([eventAt('cafe.minor_admitted', -15_000, { id: 'm-1', ...cafe })]).after;
    const sent = { ...opened, alertPending: false, alertSentSeq: 1 };
    const change = plannedChange([eventAt('cafe.minor_admitted', -13_800, { id: 'm-2', ...cafe })], {
      stored: viewOf(sent),
      from: 2,
    });
    expect(change.alertRaised).toBe(true);

    await store.save(change);

    const written = lastPut().Item ?? {};
    expect(written).toMatchObject({
      alertSeq: 2,
      severity: 2,
      alertPending: true,
      gsi1pk: 'ALERT#PENDING',
      gsi1sk: `${NOW.toISOString()}#${opened.id}`,
    });
    expect((written.steps as { kind: string }[]).at(-1)?.kind).toBe('severity-raised');
  });

  it('answers conflict when another writer got there first', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    await expect(store.save(plannedChange([intrusion(180)]))).resolves.toBe('conflict');
  });

  it('passes any other error on', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(PutCommand).rejects(throttled);

    await expect(store.save(plannedChange([intrusion(180)]))).rejects.toThrow(throttled.message);
  });

  it('creates an incident over an expired one that TTL has not deleted yet', async () => {
    const resetClock = eventAt('camera.intrusion', 0, { id: 'rtc-1', occurredAt: '2000-01-01T00:03:00+08:00' });
    const stale = plannedChange([resetClock]).after;
    expect(stale.expiresAt).toBeLessThan(NOW_SECONDS);
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [item(stale)] } });
    ddb.on(PutCommand).resolves({});

    const found = await store.load([stale.id]);
    const change = plannedChange([{ ...resetClock, id: 'rtc-2' }], { stored: found, from: 2 });
    await store.save(change);

    expect(change.before).toBeUndefined();
    // The create must also be allowed when the item there has expired: its condition has to look at the TTL.
    expect(lastPut().ConditionExpression).toContain('expiresAt');
  });
});
