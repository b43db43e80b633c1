import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exampleEvent } from '../../events/examples.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';
import { postSigned, signatureHeaders } from '../../shared/adapters/signed-request.ts';
import { incidentsOf } from './incidents.ts';

// The real ingest, rules and notify handlers on local servers: the HTTP API in front, the stream behind it.
let platform: Platform;
let url: string;
let integration: { id: string; secret: string };
let integrationsFile: string;

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  integrationsFile = join(mkdtempSync(join(tmpdir(), 'sanwang-')), 'integrations.json');
  platform = await startPlatform({
    deskApiPort: 0,
    apiPort: 0,
    logLevel: 'SILENT',
    batchingWindowMs: 50,
    integrationsFile,
  });
  url = platform.apiUrl;
  const demo = platform.integrations[0]!;
  integration = { id: demo.id, secret: demo.secrets[0]! };
});

afterAll(async () => {
  await platform?.stop();
});

const post = (path: string, body: string, contentType = 'application/json') =>
  postSigned({
    url: `${url}${path}`,
    integrationId: integration.id,
    secret: integration.secret,
    body: Buffer.from(body),
    contentType,
  });

/** An hour ago: the ingest refuses events older than the retention, so fixed dates would age out of this test. */
const HOUR_AGO = Date.now() - 3_600_000;
const recent = (...args: Parameters<typeof exampleEvent>) =>
  exampleEvent(args[0], { occurredAt: new Date(HOUR_AGO).toISOString(), ...args[1] });

const incidentsFrom = (source: string) => incidentsOf(platform, source);

async function recordsSoFar(): Promise<number> {
  await platform.settle();
  return platform.rules.stats.records;
}

describe('ingest API on the local platform', () => {
  it('turns a signed batch into records on the stream and then into one incident', async () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      exampleEvent('camera.intrusion', {
        id: `api-storm-${i}`,
        occurredAt: new Date(HOUR_AGO + i * 1000).toISOString(),
        source: { id: 'api-cam-1', kind: 'camera' },
      }),
    );
    const { status, body } = await post('/v1/events', JSON.stringify({ events }));
    expect(status).toBe(202);
    expect(body).toMatchObject({ accepted: 50, rejected: 0, held: 0, failed: 0 });
    await platform.settle();
    expect((await incidentsFrom('api-cam-1'))[0]).toMatchObject({ eventCount: 50, alertSentSeq: 1 });
  });

  it.each([
    [
      'forged',
      (h: Record<string, string>) => ({
        ...h,
        'webhook-signature': 'v1,Zm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2U=',
      }),
    ],
    ['stale', (h: Record<string, string>) => h, new Date(Date.now() - 10 * 60_000)],
    ['from an unknown integration', (h: Record<string, string>) => ({ ...h, 'x-sanwang-integration': 'nobody' })],
  ] as const)('answers 401 to a %s request and writes nothing', async (_name, change, at?: Date) => {
    const before = await recordsSoFar();
    const body = Buffer.from(JSON.stringify(recent('camera.tamper', { id: `bad-${_name}` })));
    const headers = change(
      signatureHeaders({
        url: '/v1/events',
        integrationId: integration.id,
        secret: integration.secret,
        body,
        contentType: 'application/json',
        ...(at ? { now: at } : {}),
      }),
    );
    const response = await fetch(`${url}/v1/events`, { method: 'POST', headers, body });
    expect(response.status).toBe(401);
    expect(await recordsSoFar()).toBe(before);
  });

  it('answers 401 to an altered body and to a replayed request, writing only the original', async () => {
    const before = await recordsSoFar();
    const body = Buffer.from(
      JSON.stringify(recent('camera.tamper', { id: 'replay-1', source: { id: 'api-cam-2', kind: 'camera' } })),
    );
    const headers = signatureHeaders({
      url: '/v1/events',
      integrationId: integration.id,
      secret: integration.secret,
      body,
      contentType: 'application/json',
    });
    const altered = Buffer.from(body.toString().replace('replay-1', 'replay-2'));
    expect((await fetch(`${url}/v1/events`, { method: 'POST', headers, body: altered })).status).toBe(401);
    expect((await fetch(`${url}/v1/events`, { method: 'POST', headers, body })).status).toBe(202);
    expect((await fetch(`${url}/v1/events`, { method: 'POST', headers, body })).status).toBe(401);
    expect(await recordsSoFar()).toBe(before + 1);
  });

  it('answers 401 when the ?device= of a signed request is changed, and writes nothing', async () => {
    const before = await recordsSoFar();
    const body = Buffer.from('Code=VideoMotion;action=Start;index=0');
    const headers = signatureHeaders({
      url: '/v1/events/dahua?device=api-nvr-1',
      integrationId: integration.id,
      secret: integration.secret,
      body,
      contentType: 'text/plain',
    });
    const changed = await fetch(`${url}/v1/events/dahua?device=api-nvr-2`, { method: 'POST', headers, body });
    expect(changed.status).toBe(401);
    expect(((await changed.json()) as { message: string }).message).toContain(
      'x-sanwang-request-signature does not match',
    );
    expect(await recordsSoFar()).toBe(before);
    const signed = await fetch(`${url}/v1/events/dahua?device=api-nvr-1`, { method: 'POST', headers, body });
    expect(signed.status).toBeLessThan(300);
  });

  it('sends held events on when `npx sanwang devices register` places their device, and refuses one out of bounds', {
    timeout: 60_000,
  }, async () => {
    const dahua = (device: string) =>
      post(`/v1/events/dahua?device=${device}`, 'Code=CrossRegionDetection;action=Start;index=0', 'text/plain');
    expect((await dahua('api-nvr-held')).body).toMatchObject({ held: 1 });
    expect((await dahua('api-nvr-far')).body).toMatchObject({ held: 1 });
    const before = await recordsSoFar();
    // The CLI finds this platform as it finds `npm start`: by the state file in its folder.
    const cwd = mkdtempSync(join(tmpdir(), 'sanwang-register-'));
    const { endpoints } = platform.servers;
    writeFileSync(
      join(cwd, 'devices.json'),
      JSON.stringify([
        { sourceId: 'api-nvr-held', place: { county: '140581', kind: 'other', name: '测试路口' } },
        // Placed in another county: the demo integration may post only in 140581.
        { sourceId: 'api-nvr-far', place: { county: '140502', kind: 'other' } },
      ]),
    );
    mkdirSync(join(cwd, '.sanwang'));
    writeFileSync(
      join(cwd, '.sanwang/local-api.json'),
      JSON.stringify({
        url,
        dynamodb: endpoints.dynamodb,
        table: platform.resources.tableName,
        kinesis: endpoints.kinesis,
        stream: platform.resources.streamName,
        integrations: integrationsFile,
        pid: process.pid,
      }),
    );
    const bin = fileURLToPath(new URL('../../bin/sanwang.mjs', import.meta.url));

    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'devices', 'register', 'devices.json'], {
      cwd,
      encoding: 'utf8',
    });

    expect(stdout).toContain('api-nvr-held: 1 held event(s) sent on, 0 refused');
    expect(stdout).toContain('api-nvr-far: 0 held event(s) sent on, 1 refused');
    expect(stdout).toMatch(
      /place\.county: is outside the jurisdictions integration demo-integration is registered for/,
    );
    expect(await recordsSoFar()).toBe(before + 1);
  });

  const hasTools = ['bash', 'curl', 'openssl', 'xxd', 'base64'].every(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
  );
  it.skipIf(!hasTools)('accepts what the README curl + openssl example sends', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const script = /```bash\n(# Sign and post with curl and openssl[\s\S]*?)```/.exec(readme)?.[1];
    expect(script, 'the README has the curl + openssl example').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'sanwang-curl-'));
    const event = recent('camera.tamper', { id: 'readme-curl-1', source: { id: 'api-cam-curl', kind: 'camera' } });
    writeFileSync(join(dir, 'events.json'), JSON.stringify(event));
    // Not execFileSync: the API answering curl runs in this very process.
    const { stdout: answer } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script!], {
      cwd: dir,
      env: { ...process.env, SECRET: integration.secret, API: url },
      encoding: 'utf8',
    });
    expect(JSON.parse(answer)).toMatchObject({ accepted: 1, results: [{ id: 'readme-curl-1', status: 'accepted' }] });
  });

  it('answers each event of a mixed batch and never loses the good ones', async () => {
    const good = recent('cafe.after_hours', {
      id: 'mixed-ok',
      source: { id: 'api-cafe-1', kind: 'cafe_system' },
    });
    const bad = { ...good, id: 'mixed-bad', occurredAt: '2026-11-25 02:00:00' };
    const { status, body } = await post('/v1/events', JSON.stringify([good, bad]));
    expect(status).toBe(207);
    expect(body).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [
        { index: 0, id: 'mixed-ok', status: 'accepted' },
        {
          index: 1,
          id: 'mixed-bad',
          status: 'rejected',
          issues: [{ path: 'occurredAt', message: expect.stringContaining('offset') }],
        },
      ],
    });
  });

  it('answers malformed JSON with 400 and the position, an unknown content type with 415', async () => {
    expect(await post('/v1/events', '{"id": }')).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/line 1, column \d+/) },
    });
    expect(await post('/v1/events', 'id=1', 'application/x-www-form-urlencoded')).toMatchObject({ status: 415 });
  });

  it('serves its OpenAPI document', async () => {
    const response = await fetch(`${url}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      openapi: '3.1.0',
      paths: { '/v1/events': {}, '/v1/events/{format}': {} },
    });
  });
});
