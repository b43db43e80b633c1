import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exampleEvent } from '../../events/examples.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';
import { DynamoDueClocks } from '../../shared/adapters/due-clocks.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { DynamoPendingAlerts } from '../../shared/adapters/pending-alerts.ts';
import { createSweeper } from '../../shared/app/alert-sweeper.ts';
import { auditChains } from '../../shared/app/audit.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../shared/domain/lifecycle-policy.ts';
import { incidentsOf } from './incidents.ts';

// The duty desks' loop on the local platform: the real handlers, the sweep's adapters, the desk API with the
// development issuer, and the audit of the incident log.
let platform: Platform;

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  const dir = mkdtempSync(join(tmpdir(), 'sanwang-'));
  platform = await startPlatform({
    apiPort: 0,
    deskApiPort: 0,
    logLevel: 'SILENT',
    integrationsFile: join(dir, 'integrations.json'),
    issuerFile: join(dir, 'dev-issuer.json'),
  });
  platform.scheduleSweeps(false);
});

afterAll(async () => {
  await platform?.stop();
});

const sos = (badge: string) =>
  exampleEvent('patrol.sos', {
    id: `${badge}-1`,
    occurredAt: new Date(Date.now() - 5000).toISOString(),
    receivedAt: new Date(Date.now() - 4000).toISOString(),
    source: { id: badge, kind: 'patrol_app' },
    payload: { kind: 'sos', officer: { badge } },
  });

async function openSos(badge: string) {
  await platform.stream.put([sos(badge)]);
  await platform.settle();
  const [incident] = await incidentsOf(platform, badge);
  if (!incident) throw new Error(`no incident of ${badge}`);
  return incident;
}

function sweeper(now: Date) {
  const table = { client: platform.clients.documents, tableName: platform.resources.tableName };
  return createSweeper({
    pending: new DynamoPendingAlerts(table),
    clocks: {
      dueClocks: new DynamoDueClocks(table),
      incidents: new DynamoIncidentStore({ ...table, now: () => now }),
      policy: DEFAULT_LIFECYCLE_POLICY,
    },
    now: () => now,
    log: { info() {}, warn() {} },
  });
}

describe('the duty desks on the local platform', () => {
  it('two sweeps at once escalate an unsigned incident once, and each desk is told once', async () => {
    const incident = await openSos('lifecycle-sweeps');
    platform.sms.take();
    const due = new Date(Date.parse(incident.clocks.sign!.dueAt) + 1000);

    const [a, b] = await Promise.all([sweeper(due)(), sweeper(due)()]);
    await platform.settle();

    expect(a.due + b.due).toBeGreaterThanOrEqual(2);
    expect(a.ticked + b.ticked).toBe(1);
    const [after] = await incidentsOf(platform, 'lifecycle-sweeps');
    expect(after).toMatchObject({ level: 'township', escalations: 1, alertPending: false });
    const texts = platform.sms.take().filter((t) => t.text.includes(`码${incident.code}`));
    expect(new Set(texts.map((t) => t.to)).size).toBe(texts.length);
    expect(texts.some((t) => t.text.startsWith('【已上报】'))).toBe(true);
  });

  it('signs through the API once: the second officer is told who signed, and the log names the officer', async () => {
    const incident = await openSos('lifecycle-sign');
    const call = async (officer: string) =>
      fetch(`${platform.deskApi.url}/v1/incidents/${encodeURIComponent(incident.id)}/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await platform.deskApi.issuer.sign(officer)}` },
      });

    const [first, second] = await Promise.all([call('mishan-night'), call('midong-aide')]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([200, 409]);
    const loser = first.status === 409 ? first : second;
    const problem = (await loser.json()) as { detail: string };
    expect(problem.detail).toMatch(/^已由 (mishan-night|midong-aide) 于 \d\d:\d\d 签收/);
    const winner = /^已由 (\S+) 于/.exec(problem.detail)?.[1];

    const outsider = await fetch(`${platform.deskApi.url}/v1/incidents/${encodeURIComponent(incident.id)}`, {
      headers: { authorization: `Bearer ${await platform.deskApi.issuer.sign('nancheng-night')}` },
    });
    expect(outsider.status).toBe(403);

    const store = new DynamoIncidentStore({
      client: platform.clients.documents,
      tableName: platform.resources.tableName,
    });
    // The chain from the head the incident names: the loser's entry, written before its commit failed, is on none.
    const log = await store.log(incident.id);
    const byKey = new Map(log.map((e) => [`${e.version}#${e.token}`, e]));
    const chain = [];
    for (let at = (await store.get(incident.id))?.logHead; at; ) {
      const entry = byKey.get(`${at.version}#${at.token}`)!;
      chain.push(entry);
      at = entry.prevToken ? { version: entry.version - 1, token: entry.prevToken, hash: entry.prevHash! } : undefined;
    }
    const signed = chain.find((e) => e.events.some((ev) => ev.type === 'signed'));
    expect(log.filter((e) => e.events.some((ev) => ev.type === 'signed')).length).toBeGreaterThanOrEqual(1);
    expect(signed?.actor).toMatchObject({ kind: 'officer', officerId: winner });
    expect(winner).toBe(first.status === 200 ? 'mishan-night' : 'midong-aide');
  });

  it('verifies every chain, and finds the entry that was changed afterwards', async () => {
    const store = new DynamoIncidentStore({
      client: platform.clients.documents,
      tableName: platform.resources.tableName,
    });
    const intact = await auditChains(store, ['140581']);
    expect(intact.incidents).toBeGreaterThanOrEqual(2);
    expect(intact.broken).toEqual([]);

    const [incident] = await incidentsOf(platform, 'lifecycle-sign');
    const { Items = [] } = await platform.clients.documents.send(
      new QueryCommand({
        TableName: platform.resources.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
        ExpressionAttributeValues: { ':pk': `INC#${incident!.id}`, ':log': 'LOG#00000001#' },
      }),
    );
    // Someone rewrites when the incident was opened.
    await platform.clients.documents.send(
      new UpdateCommand({
        TableName: platform.resources.tableName,
        Key: { pk: Items[0]!.pk, sk: Items[0]!.sk },
        UpdateExpression: 'SET #at = :at',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':at': '2026-01-01T00:00:00.000Z' },
      }),
    );

    const tampered = await auditChains(store, ['140581']);
    expect(tampered.broken.map((b) => [b.incidentId, b.breaks.map((x) => x.version)])).toEqual([[incident!.id, [1]]]);
    expect(tampered.broken[0]?.breaks[0]?.reason).toMatch(/changed/);
  });
});
