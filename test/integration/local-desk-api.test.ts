import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import desksJson from '../../config/desks.json' with { type: 'json' };
import { createLocalAwsClients, type LocalAwsClients, localEndpointEnv } from '../../local/aws-clients.ts';
import { officerLogins } from '../../local/desk-api.ts';
import { type DeskApiServerOptions, startDeskApiServer } from '../../local/desk-api-server.ts';
import { DEV_AUDIENCE, DEV_ISSUER, type DevIssuer, openDevIssuer } from '../../local/dev-issuer.ts';
import { ensureTable } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { createDeskApi } from '../../shared/app/desk-api.ts';
import { fromApiGateway } from '../../shared/app/desk-api-http.ts';
import { deskApiOpenApiDocument } from '../../shared/app/desk-api-openapi.ts';
import { DutyDeskList } from '../../shared/domain/duty-desks.ts';
import { sealChange } from '../../shared/domain/incident-log.ts';
import {
  gaopingDesks,
  incidentAt,
  MemoryDeskDirectory,
  MemoryIncidentService,
  SCHOOL_ID,
} from '../unit/app/desk-api-fakes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const folder = () => mkdtempSync(join(tmpdir(), 'sanwang-desk-api-'));

let issuer: DevIssuer;
let server: Awaited<ReturnType<typeof startDeskApiServer>>;
const incidents = new MemoryIncidentService();
const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

beforeAll(async () => {
  issuer = await openDevIssuer(join(folder(), 'dev-issuer.json'));
  const deskApi = createDeskApi({
    incidents,
    desks: new MemoryDeskDirectory(),
    openApi: () => ({ openapi: '3.1.0' }),
    timeZone: 'Asia/Shanghai',
    now: () => new Date(),
    log: { info() {}, warn() {} },
  });
  server = await startDeskApiServer({
    issuer,
    handler: async (event) => {
      seen.push(event as APIGatewayProxyEventV2WithJWTAuthorizer);
      return deskApi(fromApiGateway(event as APIGatewayProxyEventV2WithJWTAuthorizer));
    },
  });
});
afterAll(() => server?.close());

const get = (path: string, token?: string) =>
  fetch(`${server.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('local duty-desk API: the JWT authorizer', () => {
  it('passes a valid token and hands its claims on as strings, as API Gateway does', async () => {
    const res = await get('/v1/incidents', await issuer.sign('100234'));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([SCHOOL_ID]);
    const claims = seen.at(-1)!.requestContext.authorizer.jwt.claims;
    expect(claims).toMatchObject({ iss: DEV_ISSUER, aud: DEV_AUDIENCE, sub: '100234', username: '100234' });
    expect(typeof claims.exp).toBe('string');
  });

  it('signs for an officer through a POST, the actor taken from the token', async () => {
    const res = await fetch(`${server.url}/v1/incidents/${encodeURIComponent(SCHOOL_ID)}/sign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.sign('100234')}` },
    });
    expect(res.status).toBe(200);
    expect(incidents.commands.at(-1)?.actor.officerId).toBe('100234');
  });

  it.each([
    ['no token', async () => undefined, 'Bearer'],
    [
      'an expired token',
      async () => issuer.sign('100234', { now: new Date(Date.now() - 7_200_000) }),
      'Bearer error="invalid_token", error_description="the token has expired"',
    ],
    [
      'another audience',
      async () => issuer.sign('100234', { audience: 'another-client' }),
      'Bearer error="invalid_token", error_description="the token\'s aud claim is not accepted"',
    ],
    [
      'a forged token (another key, the same key id)',
      async () => {
        const { privateKey } = await generateKeyPair('RS256');
        const kid = issuer.jwks.keys[0]!.kid!;
        return new SignJWT({ username: '100234' })
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer(DEV_ISSUER)
          .setAudience(DEV_AUDIENCE)
          .setSubject('100234')
          .setExpirationTime('1h')
          .sign(privateKey);
      },
      'Bearer error="invalid_token", error_description="the token signature is not valid"',
    ],
    [
      'not a JWT',
      async () => 'abc.def',
      'Bearer error="invalid_token", error_description="the token is not a valid JWT"',
    ],
  ])('refuses %s with 401 before the function runs', async (_name, token, challenge) => {
    const before = seen.length;
    const res = await get('/v1/incidents', await token());
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    expect(seen.length).toBe(before);
  });

  it('serves the OpenAPI document without a token', async () => {
    const res = await get('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(seen.at(-1)!.requestContext.authorizer).toBeUndefined();
  });
});

describe('local duty-desk API: the real handler on a local table', () => {
  const TABLE = 'sanwang-desk-api';
  let servers: LocalServers;
  let clients: LocalAwsClients;
  let real: Awaited<ReturnType<typeof startDeskApiServer>>;
  let incidentId: string;

  beforeAll(async () => {
    servers = await startLocalServers();
    clients = createLocalAwsClients(servers.endpoints);
    await ensureTable(clients, TABLE);
    // The desks of local mode (config/desks.json), imported as `npx sanwang desks import` does.
    const directory = new DynamoDeskDirectory({ client: clients.documents, tableName: TABLE });
    await directory.replace(DutyDeskList.parse(desksJson));
    // An incident at the Mishan school, opened by the rules function a few minutes ago.
    const now = Date.now();
    incidentId = `sky.intrusion|140581/14058110001320000017|${new Date(now).toISOString().slice(0, 10)}`;
    const opened = incidentAt(
      incidentId,
      { county: '140581', township: '140581100', village: '140581100201', kind: 'school', name: '米山镇第一小学' },
      {
        version: 1,
        firstSeen: new Date(now - 300_000).toISOString(),
        lastSeen: new Date(now - 60_000).toISOString(),
        expiresAt: Math.floor(now / 1000) + 7 * 86_400,
      },
    );
    const sealed = sealChange(undefined, opened, [{ type: 'opened' }], {
      actor: { kind: 'function', name: 'rules' },
      at: new Date(now - 300_000),
      token: 'opened',
    });
    const store = new DynamoIncidentStore({ client: clients.documents, tableName: TABLE });
    expect(await store.save({ before: undefined, after: sealed.incident, entry: sealed.entry })).toBe('saved');

    // The function's environment, as the stack sets it, its SDK client pointed at the local table.
    for (const [name, value] of Object.entries({
      ...localEndpointEnv(servers.endpoints),
      TABLE_NAME: TABLE,
      TIME_ZONE: 'Asia/Shanghai',
    })) {
      vi.stubEnv(name, value);
    }
    const { handler } = await import('../../functions/desk-api/handler.ts');
    // The local authorizer hands the function API Gateway's JWT event; the server's type names the plain v2 event.
    real = await startDeskApiServer({
      issuer,
      handler: handler as unknown as NonNullable<DeskApiServerOptions['handler']>,
    });
  });
  afterAll(async () => {
    await real?.close();
    clients?.destroy();
    await servers?.stop();
    vi.unstubAllEnvs();
  });

  const as = async (officer: string, method: string, path: string, query = '') =>
    fetch(`${real.url}${path}${query}`, {
      method,
      headers: { authorization: `Bearer ${await issuer.sign(officer)}` },
    });
  const incident = () => `/v1/incidents/${encodeURIComponent(incidentId)}`;

  it('serves the document from the zod schemas', async () => {
    const doc = await fetch(`${real.url}/v1/openapi.json`);
    expect(await doc.json()).toEqual(JSON.parse(JSON.stringify(deskApiOpenApiDocument())));
  });

  it("lists the incident for an officer of the covering desk, from the table's by-county index", async () => {
    const res = await as('mishan-day', 'GET', '/v1/incidents');
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { id: string; state: string }[] };
    expect(items.map((i) => [i.id, i.state])).toEqual([[incidentId, 'open']]);
    // The county sees it too; the village post of the school as well.
    const county = (await (await as('gaoping-admin', 'GET', '/v1/incidents')).json()) as { items: unknown[] };
    expect(county.items).toHaveLength(1);
    expect((await as('midong-aide', 'GET', '/v1/incidents')).status).toBe(200);
  });

  it('answers 403 to an officer of a desk outside the subtree', async () => {
    const list = await as('nancheng-day', 'GET', '/v1/incidents', '?jurisdiction=140581100');
    expect(list.status).toBe(403);
    expect(list.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const own = (await (await as('nancheng-day', 'GET', '/v1/incidents')).json()) as { items: unknown[] };
    expect(own.items).toEqual([]);
    expect((await as('nancheng-day', 'GET', incident())).status).toBe(403);
    expect((await as('nancheng-day', 'POST', `${incident()}/sign`)).status).toBe(403);
  });

  it('signs once: a second officer gets 409 naming the first; the log shows the officer as the actor', async () => {
    const signed = await as('mishan-day', 'POST', `${incident()}/sign`);
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({
      incident: { id: incidentId, state: 'signed', signed: { officerId: 'mishan-day', deskId: 'mishan-station' } },
      entry: { version: 2, actor: { kind: 'officer', officerId: 'mishan-day' }, events: [{ type: 'signed' }] },
    });

    const second = await as('mishan-lead', 'POST', `${incident()}/sign`);
    expect(second.status).toBe(409);
    const problem = (await second.json()) as { detail: string; state: string; by: { officerId: string } };
    expect(problem).toMatchObject({ state: 'signed', by: { officerId: 'mishan-day', deskId: 'mishan-station' } });
    expect(problem.detail).toMatch(/^已由 mishan-day 于 \d\d:\d\d 签收/);

    const read = await as('mishan-lead', 'GET', incident());
    expect(read.status).toBe(200);
    const { log } = (await read.json()) as { log: { version: number; actor: unknown }[] };
    expect(log.map((e) => [e.version, e.actor])).toEqual([
      [1, { kind: 'function', name: 'rules' }],
      [2, { kind: 'officer', officerId: 'mishan-day', deskId: 'mishan-station', role: 'officer' }],
    ]);
  });
});

describe('local development issuer', () => {
  it('keeps one key, created on first use and readable by its user only', async () => {
    const path = join(folder(), '.sanwang', 'dev-issuer.json');
    const [a, b] = await Promise.all([openDevIssuer(path), openDevIssuer(path)]);
    expect(a.jwks).toEqual(b.jwks);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await openDevIssuer(path);
    expect(await again.verify(await a.sign('100234'))).toMatchObject({ ok: true, claims: { sub: '100234' } });
    expect(JSON.parse(readFileSync(path, 'utf8')).publicJwk.d).toBeUndefined();
  });
});

describe('npx sanwang login', () => {
  const sanwang = (cwd: string, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin/sanwang.mjs'), ...args], { cwd }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('prints one line, a token of the issuer under .sanwang/', { timeout: 60_000 }, async () => {
    const cwd = folder();
    const { code, stdout, stderr } = await sanwang(cwd, 'login', '--officer', '100234');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toHaveLength(2);
    const local = await openDevIssuer(join(cwd, '.sanwang', 'dev-issuer.json'));
    expect(await local.verify(stdout.trim())).toMatchObject({ ok: true, claims: { username: '100234' } });
  });

  it('says a malformed officer id in one line and exits 2', { timeout: 60_000 }, async () => {
    const cwd = folder();
    expect(await sanwang(cwd, 'login', '--officer', 'li ming')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'sanwang: --officer must be lower-case letters, digits and dashes (2 to 40) (see npx sanwang --help)\n',
    });
  });
});

describe('npm start: the officers to sign in as', () => {
  it('lists one officer a desk, masked, and a curl line ready to paste', () => {
    const lines = officerLogins(gaopingDesks(), 'http://127.0.0.1:8788', 2);
    expect(lines.join('\n')).not.toMatch(/王建国|李小明|138/);
    expect(lines).toContain(
      '            curl -H "Authorization: Bearer $(npx sanwang login --officer c-admin)" http://127.0.0.1:8788/v1/incidents',
    );
    expect(lines.filter((line) => line.includes('(township 140581100)'))).toHaveLength(1);
    expect(lines.some((line) => line.includes('王**'))).toBe(true);
  });
});
