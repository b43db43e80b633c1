import { describe, expect, it } from 'vitest';
import { DeskDirectoryError } from '../../../shared/adapters/desk-directory.ts';
import { createDeskApi, type DeskApiRequest } from '../../../shared/app/desk-api.ts';
import type { CommandRejection } from '../../../shared/domain/incident-lifecycle.ts';
import { MARKET_ID, MemoryDeskDirectory, MemoryIncidentService, NOW, SCHOOL_ID } from './desk-api-fakes.ts';
import { memoryLog } from './fakes.ts';

function setup() {
  const incidents = new MemoryIncidentService();
  const desks = new MemoryDeskDirectory();
  const log = memoryLog();
  const api = createDeskApi({
    incidents,
    desks,
    openApi: () => ({ openapi: '3.1.0' }),
    timeZone: 'Asia/Shanghai',
    now: () => NOW,
    log,
  });
  const bodies: string[] = [];
  const call = async (
    method: string,
    path: string,
    options: {
      as?: string | null;
      query?: Record<string, string>;
      body?: unknown;
      type?: string;
      claims?: Record<string, unknown>;
    } = {},
  ) => {
    const request: DeskApiRequest = {
      method,
      path,
      query: options.query ?? {},
      headers: { 'content-type': options.type ?? 'application/json' },
      body:
        options.body === undefined
          ? ''
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
      claims:
        options.claims ??
        (options.as === null ? undefined : { sub: options.as ?? '100234', iss: 'https://issuer', token_use: 'access' }),
    };
    const response = await api(request);
    bodies.push(response.body);
    return { ...response, json: JSON.parse(response.body) as Record<string, unknown> };
  };
  return { incidents, desks, log, call, bodies };
}

const school = `/v1/incidents/${encodeURIComponent(SCHOOL_ID)}`;
const market = `/v1/incidents/${encodeURIComponent(MARKET_ID)}`;

describe('duty-desk API: routing', () => {
  it('serves the OpenAPI document without a token', async () => {
    const { call } = setup();
    const res = await call('GET', '/v1/openapi.json', { as: null });
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ openapi: '3.1.0' });
  });

  it('answers an unknown path 404 and a wrong method 405 with Allow, as problems', async () => {
    const { call } = setup();
    const unknown = await call('GET', '/v2/things');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unknown.json).toMatchObject({ type: 'urn:sanwang:problem:not-found', title: 'Not found', status: 404 });

    const wrong = await call('POST', '/v1/incidents');
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
    expect((await call('GET', `${school}/sign`)).headers.allow).toBe('POST');
    expect((await call('DELETE', '/v1/desks/mishan-station/roster')).headers.allow).toBe('PUT');
  });

  it('answers a command that does not exist 404, naming those that do', async () => {
    const { call } = setup();
    const res = await call('POST', `${school}/fly`);
    expect(res.statusCode).toBe(404);
    expect(res.json.detail).toContain('sign, dispatch, arrive, feedback, close, reopen, notes');
  });
});

describe('duty-desk API: identity', () => {
  it('answers 401 without claims, and for an officer on no desk', async () => {
    const { call } = setup();
    const none = await call('GET', '/v1/incidents', { as: null });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json.type).toBe('urn:sanwang:problem:unauthenticated');
    const stranger = await call('GET', '/v1/incidents', { as: 'nobody' });
    expect(stranger.statusCode).toBe(401);
    expect(stranger.json.detail).toContain('on no duty desk');
  });

  it("takes Cognito's username over its UUID sub, and desk and role from the directory, not the token", async () => {
    const { call, incidents } = setup();
    const res = await call('POST', `${school}/sign`, {
      claims: { sub: '0b5e…uuid', username: '100234', 'custom:role': 'county-admin', deskId: 'gaoping-command' },
    });
    expect(res.statusCode).toBe(200);
    expect(incidents.commands[0]!.actor).toEqual({
      kind: 'officer',
      officerId: '100234',
      deskId: 'mishan-station',
      role: 'officer',
    });
  });
});

describe('duty-desk API: GET /v1/incidents', () => {
  it("lists the officer's desk area by default, with the filters passed to the service", async () => {
    const { call, incidents } = setup();
    incidents.next = 'page-2';
    const res = await call('GET', '/v1/incidents', {
      query: { state: 'open,signed', severity: '2', from: '2026-11-25T00:00:00+08:00', limit: '5' },
    });
    expect(res.statusCode).toBe(200);
    expect(incidents.queries).toEqual([
      {
        jurisdiction: '140581100',
        states: ['open', 'signed'],
        severityAtMost: 2,
        from: '2026-11-25T00:00:00+08:00',
        limit: 5,
      },
    ]);
    const items = res.json.items as Record<string, unknown>[];
    expect(items.map((i) => i.id)).toEqual([SCHOOL_ID]);
    expect(res.json.next).toBe('page-2');
    // The view leaves out the event keys and the notifier's bookkeeping.
    for (const hidden of ['applied', 'appliedPages', 'version', 'alertPending', 'expiresAt', 'dedupKey'])
      expect(items[0]).not.toHaveProperty(hidden);
  });

  it('takes a jurisdiction inside the desk, and a county administrator sees the whole county', async () => {
    const { call, incidents } = setup();
    expect((await call('GET', '/v1/incidents', { query: { jurisdiction: '140581100201' } })).statusCode).toBe(200);
    const county = await call('GET', '/v1/incidents', { as: 'c-admin' });
    expect((county.json.items as unknown[]).length).toBe(2);
    expect(incidents.queries.map((q) => [q.jurisdiction, q.limit])).toEqual([
      ['140581100201', 20],
      ['140581', 20],
    ]);
  });

  it('answers 403 for a jurisdiction outside the desk, asks the service nothing and logs one masked line', async () => {
    const { call, incidents, log } = setup();
    const res = await call('GET', '/v1/incidents', { query: { jurisdiction: '140581001' } });
    expect(res.statusCode).toBe(403);
    expect(res.json).toMatchObject({ type: 'urn:sanwang:problem:forbidden', field: 'jurisdiction' });
    expect(incidents.queries).toEqual([]);
    expect(log.entries).toEqual([
      {
        level: 'warn',
        message: 'desk api: forbidden',
        extra: expect.objectContaining({ officerId: '100234', deskId: 'mishan-station', route: '/v1/incidents' }),
      },
    ]);
    expect(JSON.stringify(log.entries)).not.toMatch(/李小明|13812345678/);
  });

  it.each([
    [
      { state: 'open,bogus' },
      'state',
      'must be one of "open", "signed", "dispatched", "arrived", "feedback", "closed"',
    ],
    [{ limit: '500' }, 'limit', 'must be at most 100'],
    [{ severity: 'high' }, 'severity', 'must be a number'],
    [{ jurisdiction: '14058' }, 'jurisdiction', 'must be a 6-digit county, 9-digit township or 12-digit village code'],
    [
      { from: '2026-11-25 02:00' },
      'from',
      'must be an ISO 8601 date-time with an offset, e.g. 2026-11-25T02:03:00+08:00',
    ],
    [{ from: '2026-11-25T02:00:00+08:00', to: '2026-11-25T01:00:00+08:00' }, 'to', 'must be after from'],
  ])('answers 400 naming the parameter: %j', async (query, field, detail) => {
    const { call } = setup();
    const res = await call('GET', '/v1/incidents', { query });
    expect(res.statusCode).toBe(400);
    expect(res.json).toEqual({
      type: 'urn:sanwang:problem:invalid-request',
      title: 'The request is not valid',
      status: 400,
      detail,
      field,
    });
  });

  it('refuses an unknown parameter without repeating its name', async () => {
    const { call } = setup();
    const res = await call('GET', '/v1/incidents', { query: { severty: '1' } });
    expect(res.statusCode).toBe(400);
    expect(res.json.field).toBe('query');
    expect(res.body).not.toContain('severty');
    expect(res.json.detail).toContain('allowed: jurisdiction, state, severity, from, to, limit, cursor');
  });

  it('answers 400 naming cursor when the service does not know the cursor', async () => {
    const { call, incidents } = setup();
    incidents.fail = Object.assign(new Error('bad cursor'), { name: 'InvalidCursorError' });
    const res = await call('GET', '/v1/incidents', { query: { cursor: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json.field).toBe('cursor');
  });
});

describe('duty-desk API: GET /v1/incidents/{id}', () => {
  it('reads an incident by its percent-encoded id, with its log', async () => {
    const { call } = setup();
    await call('POST', `${school}/sign`);
    const res = await call('GET', school);
    expect(res.statusCode).toBe(200);
    expect((res.json.incident as { id: string }).id).toBe(SCHOOL_ID);
    expect((res.json.log as { version: number }[]).map((e) => e.version)).toEqual([1]);
  });

  it('reads it too when the gateway hands the path on decoded', async () => {
    const { call } = setup();
    expect((await call('GET', `/v1/incidents/${SCHOOL_ID}`)).statusCode).toBe(200);
    expect((await call('POST', `/v1/incidents/${SCHOOL_ID}/sign`)).statusCode).toBe(200);
  });

  it('answers 404 for an unknown id, 400 for broken percent-encoding, 403 outside the desk', async () => {
    const { call } = setup();
    expect((await call('GET', '/v1/incidents/nope%7C1')).statusCode).toBe(404);
    const broken = await call('GET', '/v1/incidents/bad%E0%A4%A');
    expect(broken.statusCode).toBe(400);
    expect(broken.json.field).toBe('id');
    expect((await call('GET', market)).statusCode).toBe(403);
  });
});

describe('duty-desk API: commands', () => {
  it('signs, answering the incident and the new log entry, with the officer as the actor', async () => {
    const { call, incidents } = setup();
    const res = await call('POST', `${school}/sign`);
    expect(res.statusCode).toBe(200);
    expect(res.json.entry).toMatchObject({ version: 1, actor: { officerId: '100234' }, events: [{ type: 'sign' }] });
    expect(incidents.commands.map((c) => [c.incidentId, c.command])).toEqual([[SCHOOL_ID, { kind: 'sign' }]]);
  });

  it('turns each path into its command', async () => {
    const { call, incidents } = setup();
    await call('POST', `${school}/dispatch`, { body: { unit: '巡逻二组' } });
    await call('POST', `${school}/arrive`, { body: {} });
    await call('POST', `${school}/feedback`, { body: { outcome: 'false-alarm', note: '树枝晃动' } });
    await call('POST', `${school}/close`);
    await call('POST', `${school}/reopen`, { body: { reason: '再次报警' } });
    await call('POST', `${school}/notes`, { body: { text: '已通知校方' } });
    expect(incidents.commands.map((c) => c.command)).toEqual([
      { kind: 'dispatch', unit: '巡逻二组' },
      { kind: 'arrive' },
      { kind: 'feedback', outcome: 'false-alarm', note: '树枝晃动' },
      { kind: 'close' },
      { kind: 'reopen', reason: '再次报警' },
      { kind: 'note', text: '已通知校方' },
    ]);
  });

  it('answers 400 naming the body field, never repeating its value', async () => {
    const { call, incidents } = setup();
    const missing = await call('POST', `${school}/dispatch`);
    expect(missing.json).toMatchObject({ status: 400, field: 'unit', detail: 'is required' });
    const long = await call('POST', `${school}/notes`, { body: { text: `联系人13812345678${'很'.repeat(200)}` } });
    expect(long.json).toMatchObject({ status: 400, field: 'text', detail: 'must be at most 200 characters' });
    expect(long.body).not.toContain('13812345678');
    const extra = await call('POST', `${school}/sign`, { body: { kind: 'close' } });
    expect(extra.json).toMatchObject({ status: 400, field: 'body' });
    const outcome = await call('POST', `${school}/feedback`, { body: { outcome: 'solved' } });
    expect(outcome.json).toMatchObject({ field: 'outcome', detail: expect.stringContaining('"false-alarm"') });
    expect(incidents.commands).toEqual([]);
  });

  it('answers 415 for a body that is not JSON by type, 400 naming body when it does not parse', async () => {
    const { call } = setup();
    expect((await call('POST', `${school}/notes`, { body: 'text=hi', type: 'text/plain' })).statusCode).toBe(415);
    const broken = await call('POST', `${school}/notes`, { body: '{"text": ' });
    expect(broken.json).toMatchObject({ status: 400, field: 'body', detail: 'is not JSON' });
  });

  it('answers 403 outside the desk without calling the state machine, leaving one log line', async () => {
    const { call, incidents, log } = setup();
    const res = await call('POST', `${market}/sign`);
    expect(res.statusCode).toBe(403);
    expect(incidents.commands).toEqual([]);
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]!.extra).toMatchObject({ officerId: '100234', route: '/v1/incidents/{id}/sign' });
  });

  it('answers a conflict 409 naming who signed and when, by officer id', async () => {
    const { call, incidents } = setup();
    incidents.reject = {
      code: 'conflict',
      message: 'already signed',
      state: 'signed',
      by: { officerId: 'v-1', deskId: 'midong-post', at: '2026-11-25T18:03:00.000Z' },
    };
    const res = await call('POST', `${school}/sign`);
    expect(res.statusCode).toBe(409);
    expect(res.json).toMatchObject({
      type: 'urn:sanwang:problem:conflict',
      state: 'signed',
      by: { officerId: 'v-1', deskId: 'midong-post', at: '2026-11-25T18:03:00.000Z' },
    });
    expect(res.json.detail).toMatch(/^已由 v-1 于 02:03 签收/);
    expect(res.body).not.toContain('刘洋');
  });

  it('names the date of an act on another day, and the state alone when nobody is named', async () => {
    const { call, incidents } = setup();
    incidents.reject = {
      code: 'conflict',
      message: 'closed',
      state: 'closed',
      by: { officerId: 'm-lead', deskId: 'mishan-station', at: '2026-11-23T10:00:00.000Z' },
    };
    expect((await call('POST', `${school}/close`)).json.detail).toMatch(/^已由 m-lead 于 11-23 18:00 关闭/);
    incidents.reject = { code: 'conflict', message: 'not dispatched yet', state: 'signed' };
    expect((await call('POST', `${school}/arrive`)).json.detail).toBe('the incident is signed now: not dispatched yet');
  });

  it.each<[CommandRejection, number, string]>([
    [{ code: 'expired', message: 'the reopen window closed at 08:00' }, 422, 'unprocessable'],
    [{ code: 'not-found', message: 'gone' }, 404, 'not-found'],
    [{ code: 'forbidden', message: 'desk leads only' }, 403, 'forbidden'],
  ])('maps a %j rejection to its status', async (rejection, status, kind) => {
    const { call, incidents } = setup();
    incidents.reject = rejection;
    const res = await call('POST', `${school}/reopen`, { body: { reason: '再次报警' } });
    expect(res.statusCode).toBe(status);
    expect(res.json.type).toBe(`urn:sanwang:problem:${kind}`);
  });

  it('answers 503 with Retry-After when the store fails', async () => {
    const { call, incidents, log } = setup();
    incidents.fail = new Error('ProvisionedThroughputExceededException');
    const res = await call('POST', `${school}/sign`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(log.entries[0]!.message).toContain('503');
  });
});

describe('duty-desk API: desks and rosters', () => {
  const roster = {
    shifts: [{ days: ['sat', 'sun'], start: '20:00', end: '08:00', officers: ['100234', 'm-lead'] }],
  };

  it('lists the desks within a desk lead, and none for an officer', async () => {
    const { call } = setup();
    const lead = await call('GET', '/v1/desks', { as: 'm-lead' });
    expect((lead.json.items as { id: string }[]).map((d) => d.id)).toEqual(['mishan-station', 'midong-post']);
    expect(lead.json.items).toContainEqual({
      id: 'mishan-station',
      name: '米山镇派出所',
      jurisdiction: '140581100',
      level: 'township',
      minSeverity: 3,
      officers: 2,
    });
    expect((await call('GET', '/v1/desks')).statusCode).toBe(403);
    expect(((await call('GET', '/v1/desks', { as: 'c-admin' })).json.items as unknown[]).length).toBe(4);
  });

  it('shows a desk with its officers masked', async () => {
    const { call, bodies } = setup();
    const res = await call('GET', '/v1/desks/mishan-station', { as: 'm-lead' });
    expect(res.statusCode).toBe(200);
    expect(res.json.officers).toContainEqual({ id: '100234', name: '李**', mobile: '138****5678', role: 'officer' });
    expect(bodies.join('')).not.toMatch(/李小明|13812345678/);
    expect((await call('GET', '/v1/desks/nancheng-station', { as: 'm-lead' })).statusCode).toBe(403);
    expect((await call('GET', '/v1/desks/no-such-desk', { as: 'm-lead' })).statusCode).toBe(404);
  });

  it("lets a desk's lead and the county administrator replace its roster", async () => {
    const { call, desks } = setup();
    const res = await call('PUT', '/v1/desks/mishan-station/roster', { as: 'm-lead', body: roster });
    expect(res.statusCode).toBe(200);
    expect(res.json.roster).toEqual({ ...roster, overrides: [] });
    const override = { date: '2026-11-26', start: '00:00', end: '08:00', officers: ['100234'] };
    const admin = await call('PUT', '/v1/desks/mishan-station/roster', {
      as: 'c-admin',
      body: { shifts: [], overrides: [override] },
    });
    expect(admin.statusCode).toBe(200);
    expect(desks.puts.map((d) => d.roster)).toEqual([
      { ...roster, overrides: [] },
      { shifts: [], overrides: [override] },
    ]);
  });

  it("refuses the roster to an officer, another desk's lead, and a lead of a desk above", async () => {
    const { call, desks } = setup();
    for (const as of ['100234', 'n-1', 'c-lead']) {
      expect((await call('PUT', '/v1/desks/mishan-station/roster', { as, body: roster })).statusCode).toBe(403);
    }
    expect(desks.puts).toEqual([]);
  });

  it('answers 422 for a roster naming someone not at the desk, 400 for a malformed one', async () => {
    const { call, desks } = setup();
    const stranger = await call('PUT', '/v1/desks/mishan-station/roster', {
      as: 'm-lead',
      body: { shifts: [{ days: ['mon'], start: '08:00', end: '20:00', officers: ['100234', 'v-1'] }] },
    });
    expect(stranger.json).toMatchObject({ status: 422, field: 'shifts.0.officers.1' });
    const malformed = await call('PUT', '/v1/desks/mishan-station/roster', {
      as: 'm-lead',
      body: { shifts: [{ days: ['mon'], start: '8:00', end: '20:00', officers: ['100234'] }] },
    });
    expect(malformed.json).toMatchObject({
      status: 400,
      field: 'shifts.0.start',
      detail: 'must be a time HH:mm from 00:00 to 23:59',
    });
    expect(desks.puts).toEqual([]);
  });

  it('reads the roster as the desks keep it: days mon…sun, not numbers; overrides with optional times', async () => {
    const { call, desks } = setup();
    const numeric = await call('PUT', '/v1/desks/mishan-station/roster', {
      as: 'm-lead',
      body: { shifts: [{ days: [1], start: '08:00', end: '20:00', officers: ['100234'] }] },
    });
    expect(numeric.json).toMatchObject({
      status: 400,
      field: 'shifts.0.days.0',
      detail: 'must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun"',
    });
    const stray = await call('PUT', '/v1/desks/mishan-station/roster', {
      as: 'm-lead',
      body: { shifts: [], note: '李小明 13812345678' },
    });
    expect(stray.json).toMatchObject({ status: 400, field: 'body' });
    expect(stray.body).not.toMatch(/李小明|13812345678|note/);
    // An override without times is the whole day; one without officers leaves the desk to its standing numbers.
    const holiday = { date: '2026-12-31', officers: [] };
    const res = await call('PUT', '/v1/desks/mishan-station/roster', { as: 'm-lead', body: { overrides: [holiday] } });
    expect(res.statusCode).toBe(200);
    expect(res.json.roster).toEqual({ shifts: [], overrides: [holiday] });
    expect(desks.desks.find((d) => d.id === 'mishan-station')!.roster).toEqual({ shifts: [], overrides: [holiday] });
  });

  it('answers 422 when the directory refuses the desk as a whole, naming the field and no value', async () => {
    const { call, desks } = setup();
    desks.put = async () => {
      throw new DeskDirectoryError('the desks hold no valid desk list: 1.roster.shifts.0.officers.0: names no officer');
    };
    const res = await call('PUT', '/v1/desks/mishan-station/roster', { as: 'm-lead', body: roster });
    expect(res.json).toMatchObject({ status: 422, type: 'urn:sanwang:problem:unprocessable' });
    expect(res.json.detail).toContain('1.roster.shifts.0.officers.0');
  });

  it('shows a desk with its level and its roster as the directory keeps it', async () => {
    const { call } = setup();
    const res = await call('GET', '/v1/desks/mishan-station', { as: 'm-lead' });
    expect(res.json).toMatchObject({
      level: 'township',
      roster: {
        shifts: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '20:00', officers: ['100234'] }],
        overrides: [],
      },
    });
    expect(res.json).not.toHaveProperty('sms');
  });
});
