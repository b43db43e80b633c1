import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceAdapter, DraftEvent } from '../../../events/adapters/device-adapter.ts';
import { MalformedBodyError } from '../../../events/adapters/device-adapter.ts';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import type { DeviceRegistry, HeldFrom, RegisteredDevice } from '../../../shared/adapters/device-registry.ts';
import type { EventStream, PutOutcome } from '../../../shared/adapters/event-stream.ts';
import { signatureHeaders } from '../../../shared/adapters/signed-request.ts';
import { createIngest, type IngestRequest } from '../../../shared/app/ingest.ts';
import type { Integration } from '../../../shared/domain/integrations.ts';

const NOW = new Date('2026-11-25T18:00:00Z');
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const integration: Integration = {
  id: 'cafe-platform',
  name: '网吧平台',
  secrets: [secret],
  networks: ['internet', 'sky'],
  jurisdictions: ['140581'],
  formats: ['hikvision'],
};

class MemoryStream implements EventStream {
  readonly put_: SanwangEventInput[] = [];
  failAll = false;
  async put(events: readonly SanwangEventInput[]): Promise<PutOutcome[]> {
    return events.map((e, i) => {
      if (this.failAll) return { id: e.id, ok: false, error: 'ProvisionedThroughputExceededException' };
      this.put_.push(e);
      return { id: e.id, ok: true, sequenceNumber: String(1000 + i) };
    });
  }
}

class MemoryDevices implements DeviceRegistry {
  readonly noted: string[] = [];
  constructor(readonly known: Map<string, RegisteredDevice> = new Map()) {}
  async find(ids: readonly string[]) {
    return new Map([...this.known].filter(([id]) => ids.includes(id)));
  }
  readonly heldEvents: DraftEvent[] = [];
  readonly heldFrom: HeldFrom[] = [];
  async hold(events: readonly DraftEvent[], _receivedAt: string, from: HeldFrom) {
    this.heldEvents.push(...events);
    this.heldFrom.push(from);
  }
  async noteUnregistered(sourceId: string) {
    this.noted.push(sourceId);
  }
}

/** A device format that reads one camera alarm per line: `<device> <eventType>`. */
const lineAdapter: DeviceAdapter = {
  format: 'hikvision',
  contentTypes: ['text/plain'],
  parse(request) {
    const text = request.body.toString('utf8');
    if (!text.trim()) throw new MalformedBodyError('empty body', { line: 1, column: 1 });
    const events: DraftEvent[] = text
      .trim()
      .split('\n')
      .map((line, i) => {
        const [device = ''] = line.split(' ');
        const {
          place: _p,
          receivedAt: _r,
          ...rest
        } = exampleEvent('camera.intrusion', { id: `line-${i}`, source: { id: device, kind: 'camera' } });
        return rest as DraftEvent;
      });
    return { events, ignored: [], rejected: [] };
  },
};

const EVENT_TIME = { maxSkewMs: 300_000, retentionMs: 180 * 86_400_000 };

function setup(maxBodyBytes = 64 * 1024, registered: Integration = integration) {
  const stream = new MemoryStream();
  const devices = new MemoryDevices(
    new Map([
      [
        'cam-1',
        { sourceId: 'cam-1', status: 'registered', place: { county: '140581', kind: 'station', name: '高平站' } },
      ],
    ]),
  );
  const used = new Set<string>();
  const replayKeys: string[] = [];
  const ingest = createIngest({
    integrations: { get: async (id) => (id === registered.id ? registered : undefined) },
    replay: {
      firstUse: async (i, r) => {
        replayKeys.push(r);
        return !used.has(`${i}/${r}`) && Boolean(used.add(`${i}/${r}`));
      },
    },
    devices,
    stream,
    adapters: { hikvision: lineAdapter, onvif: { ...lineAdapter, format: 'onvif' } },
    openApi: () => ({ openapi: '3.1.0' }),
    timeZone: 'Asia/Shanghai',
    maxBodyBytes,
    eventTime: EVENT_TIME,
    log: { info() {}, warn() {} },
  });
  return { stream, devices, ingest, replayKeys };
}

function request(
  body: Buffer | string,
  options: {
    path?: string;
    query?: Record<string, string>;
    contentType?: string;
    headers?: Record<string, string>;
    requestId?: string;
  } = {},
): IngestRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const contentType = options.contentType ?? 'application/json';
  const path = options.path ?? '/v1/events';
  const query = options.query ?? {};
  const search = new URLSearchParams(query).toString();
  return {
    method: 'POST',
    path,
    headers: {
      ...signatureHeaders({
        url: search ? `${path}?${search}` : path,
        integrationId: integration.id,
        secret,
        body: bytes,
        contentType,
        now: NOW,
        ...(options.requestId ? { requestId: options.requestId } : {}),
      }),
      ...options.headers,
    },
    query,
    body: bytes,
    receivedAt: NOW,
  };
}

const cafe = (id: string) => exampleEvent('cafe.minor_admitted', { id });

describe('ingest', () => {
  it('accepts a signed batch and puts every event on the stream with receivedAt set by us', async () => {
    const { ingest, stream } = setup();
    const { receivedAt: _r, ...withoutReceivedAt } = cafe('c-1');
    const response = await ingest(request(JSON.stringify({ events: [withoutReceivedAt, cafe('c-2')] })));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({
      accepted: 2,
      rejected: 0,
      results: [{ index: 0, status: 'accepted' }, { index: 1 }],
    });
    expect(stream.put_.map((e) => e.id)).toEqual(['c-1', 'c-2']);
    expect(stream.put_[0]?.receivedAt).toBe(NOW.toISOString());
  });

  it('keeps good events beside bad ones and names each bad field without echoing personal data', async () => {
    const { ingest, stream } = setup();
    const bad = {
      ...cafe('c-bad'),
      payload: { ...cafe('c-bad').payload, patron: { idNumber: `${EXAMPLE_MINOR_ID.slice(0, 17)}0`, age: 16 } },
    };
    const response = await ingest(request(JSON.stringify([cafe('c-1'), bad, cafe('c-3')])));
    expect(response.statusCode).toBe(207);
    const body = JSON.parse(response.body);
    expect(body.results[1]).toEqual({
      index: 1,
      id: 'c-bad',
      status: 'rejected',
      issues: [{ path: 'payload.patron.idNumber', message: 'has a wrong check character' }],
    });
    expect(response.body).not.toContain(EXAMPLE_MINOR_ID.slice(6, 14));
    expect(stream.put_.map((e) => e.id)).toEqual(['c-1', 'c-3']);
  });

  it('rejects an event outside the networks and jurisdictions the integration is registered for', async () => {
    const { ingest } = setup();
    const sos = exampleEvent('patrol.sos', { id: 'sos-1' });
    const elsewhere = exampleEvent('cafe.minor_admitted', {
      id: 'c-x',
      place: { county: '140502', kind: 'internet_cafe' },
    });
    const body = JSON.parse((await ingest(request(JSON.stringify([sos, elsewhere])))).body);
    expect(body.results.map((r: { issues: unknown }) => r.issues)).toEqual([
      [{ path: 'network', message: 'is not a network integration cafe-platform is registered for (internet, sky)' }],
      [
        {
          path: 'place.county',
          message: 'is outside the jurisdictions integration cafe-platform is registered for (140581)',
        },
      ],
    ]);
  });

  it.each([
    [
      'a forged signature',
      { 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      'does not match',
    ],
    ['a stale timestamp', { 'webhook-timestamp': String(NOW.getTime() / 1000 - 600) }, 'old'],
    ['an unknown integration', { 'x-sanwang-integration': 'nobody' }, 'no integration is registered'],
    [
      'a request without the request-target signature',
      { 'x-sanwang-request-signature': '' },
      'missing header x-sanwang-request-signature',
    ],
  ])('answers 401 to %s and writes nothing', async (_name, headers, reason) => {
    const { ingest, stream } = setup();
    const response = await ingest(request(JSON.stringify(cafe('c-1')), { headers }));
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body).message).toContain(reason);
    expect(stream.put_).toEqual([]);
  });

  it('answers 401 to an altered body', async () => {
    const { ingest, stream } = setup();
    const signed = request(JSON.stringify(cafe('c-1')));
    const response = await ingest({ ...signed, body: Buffer.from(JSON.stringify(cafe('c-2'))) });
    expect(response.statusCode).toBe(401);
    expect(stream.put_).toEqual([]);
  });

  it('answers 401 to a replayed request and writes it once', async () => {
    const { ingest, stream } = setup();
    const signed = request(JSON.stringify(cafe('c-1')), { requestId: 'msg-1' });
    expect((await ingest(signed)).statusCode).toBe(202);
    const again = await ingest(signed);
    expect(again.statusCode).toBe(401);
    expect(JSON.parse(again.body).message).toContain('already used');
    expect(stream.put_).toHaveLength(1);
  });

  it('answers 400 with the position for malformed JSON', async () => {
    const { ingest } = setup();
    const response = await ingest(request('{"events": [\n  {"id": 1,}\n]}'));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/line 2, column \d+/);
  });

  it('answers 413 for a body over the limit and for more than 500 events', async () => {
    expect((await setup().ingest(request('x'.repeat(65 * 1024)))).statusCode).toBe(413);
    const many = Array.from({ length: 501 }, (_, i) => cafe(`c-${i}`));
    const response = await setup(1024 * 1024).ingest(request(JSON.stringify(many)));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body).message).toContain('501 events');
  });

  it('answers 415 for a content type the path does not read', async () => {
    const { ingest } = setup();
    const response = await ingest(request('<x/>', { contentType: 'application/xml' }));
    expect(response.statusCode).toBe(415);
    expect(JSON.parse(response.body).message).toContain('application/json');
  });

  it('answers 404 for an unknown device format, 403 for a format the integration may not post', async () => {
    const { ingest } = setup();
    expect((await ingest(request('x', { path: '/v1/events/zkteco', contentType: 'text/plain' }))).statusCode).toBe(404);
    // Names of Object.prototype are not formats either.
    expect((await ingest(request('x', { path: '/v1/events/constructor', contentType: 'text/plain' }))).statusCode).toBe(
      404,
    );
    const response = await ingest(request('cam-1 alarm', { path: '/v1/events/onvif', contentType: 'text/plain' }));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).message).toBe(
      'integration cafe-platform is not registered for the onvif format; it may post canonical JSON, hikvision',
    );
  });

  it('places device events from the registry and holds those of unknown devices', async () => {
    const { ingest, stream, devices } = setup();
    const response = await ingest(
      request('cam-1 alarm\ncam-unknown alarm', { path: '/v1/events/hikvision', contentType: 'text/plain' }),
    );
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body);
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'held']);
    expect(body.results[1].reason).toContain('its device (source.id) is not registered');
    expect(response.body).not.toContain('cam-unknown');
    expect(stream.put_[0]?.place).toEqual({ county: '140581', kind: 'station', name: '高平站' });
    expect(devices.noted).toEqual(['cam-unknown']);
    // Held, not lost: the event waits in the registry until an operator places the device.
    expect(devices.heldEvents.map((e) => e.source.id)).toEqual(['cam-unknown']);
  });

  it('answers 503 with Retry-After when the stream takes nothing', async () => {
    const { ingest, stream } = setup();
    stream.failAll = true;
    const response = await ingest(request(JSON.stringify(cafe('c-1'))));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(JSON.parse(response.body).results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('Throughput'),
    });
  });

  it('serves the OpenAPI document without a signature', async () => {
    const { ingest } = setup();
    const response = await ingest({
      method: 'GET',
      path: '/v1/openapi.json',
      headers: {},
      query: {},
      body: Buffer.alloc(0),
      receivedAt: NOW,
    });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ openapi: '3.1.0' });
  });

  it('never answers 5xx to any signed body (property)', { timeout: 30_000 }, async () => {
    const { ingest } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        fc.constantFrom('/v1/events', '/v1/events/hikvision'),
        async (text, path) => {
          const contentType = path === '/v1/events' ? 'application/json' : 'text/plain';
          const response = await ingest(request(text, { path, contentType }));
          expect(response.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ingest when its stores are down', () => {
  it('answers 503 with Retry-After and writes nothing when the replay guard cannot be reached', async () => {
    const stream = new MemoryStream();
    const ingest = createIngest({
      integrations: { get: async () => integration },
      replay: {
        firstUse: async () => {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        },
      },
      devices: new MemoryDevices(),
      stream,
      adapters: {},
      openApi: () => ({}),
      timeZone: 'Asia/Shanghai',
      maxBodyBytes: 64 * 1024,
      eventTime: EVENT_TIME,
      log: { info() {}, warn() {} },
    });
    const response = await ingest(request(JSON.stringify(cafe('c-1'))));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(stream.put_).toEqual([]);
  });
});

describe('ingest: the request target is signed', () => {
  it('answers 401 when the query of a signed request was changed, and writes nothing', async () => {
    const { ingest, stream } = setup();
    const signed = request('cam-1 alarm', {
      path: '/v1/events/hikvision',
      contentType: 'text/plain',
      query: { device: 'cam-1' },
    });
    expect((await ingest({ ...signed, query: { device: 'cam-unknown' } })).statusCode).toBe(401);
    expect((await ingest({ ...signed, path: '/v1/events/onvif' })).statusCode).toBe(401);
    expect(stream.put_).toEqual([]);
    expect((await ingest(signed)).statusCode).toBe(202);
  });
});

describe('ingest: time at the door', () => {
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

  it('always sets receivedAt to its own time, replacing what the integration sent', async () => {
    const { ingest, stream } = setup();
    await ingest(request(JSON.stringify({ ...cafe('c-1'), receivedAt: '2020-01-01T00:00:00+08:00' })));
    expect(stream.put_[0]?.receivedAt).toBe(NOW.toISOString());
  });

  it.each([
    ['more than the clock skew ahead', at(301_000), 'ahead of the time sanwang received it'],
    ['older than the retention', at(-181 * 86_400_000), 'older than the 180 days'],
  ])('rejects an event whose occurredAt is %s, naming occurredAt', async (_what, occurredAt, words) => {
    const { ingest, stream } = setup();
    const response = await ingest(request(JSON.stringify({ ...cafe('c-1'), occurredAt })));
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).results[0].issues).toEqual([
      { path: 'occurredAt', message: expect.stringContaining(words) },
    ]);
    expect(stream.put_).toEqual([]);
  });

  it('accepts an event within the skew ahead and one of last night', async () => {
    const { ingest, stream } = setup();
    const body = JSON.stringify([
      { ...cafe('c-ahead'), occurredAt: at(299_000) },
      { ...cafe('c-old'), occurredAt: at(-20 * 3_600_000) },
    ]);
    expect((await ingest(request(body))).statusCode).toBe(202);
    expect(stream.put_).toHaveLength(2);
  });
});

describe('ingest: the devicePriority ceiling', () => {
  const sos = (id: string, devicePriority: number) => ({
    ...exampleEvent('camera.intrusion', { id }),
    devicePriority,
  });

  it('lowers a claim above the default ceiling (2) and says so in the answer', async () => {
    const { ingest, stream } = setup();
    const response = await ingest(request(JSON.stringify([sos('p-1', 1), sos('p-2', 2), sos('p-3', 3)])));
    expect(response.statusCode).toBe(202);
    const results = JSON.parse(response.body).results;
    expect(results[0]).toMatchObject({
      status: 'accepted',
      notes: [{ path: 'devicePriority', message: expect.stringContaining('lowered to 2') }],
    });
    expect(results[1].notes).toBeUndefined();
    expect(stream.put_.map((e) => e.devicePriority)).toEqual([2, 2, 3]);
  });

  it.each([
    [1, 1],
    [4, 4],
  ] as const)('follows the maxDevicePriority %i of the integration', async (ceiling, expected) => {
    const { ingest, stream } = setup(64 * 1024, { ...integration, maxDevicePriority: ceiling });
    await ingest(request(JSON.stringify(sos('p-1', 1))));
    expect(stream.put_[0]?.devicePriority).toBe(expected);
  });
});

describe('ingest: personal data never becomes a key, an id or an answer', () => {
  it('pseudonymizes event and source ids with a phone number at the door, before the stream and the answer', async () => {
    const { ingest, stream } = setup();
    const event = exampleEvent('cafe.after_hours', {
      id: 'cafe-13812345678-001',
      source: { id: 'cafe_138-1234-5678', kind: 'cafe_system' },
    });
    const response = await ingest(request(JSON.stringify([event, event])));
    expect(response.statusCode).toBe(202);
    expect(response.body).not.toMatch(/1234|13812345678/);
    const [first, second] = stream.put_;
    expect(first?.id).toMatch(/^pd-/);
    expect(first?.source.id).toMatch(/^pd-/);
    // Stable: a resend gets the same ids, so the rules still recognise it.
    expect(second?.id).toBe(first?.id);
    expect(JSON.parse(response.body).results[0].id).toBe(first?.id);
  });

  it('keeps a request id with personal data out of the replay key and the answer', async () => {
    const { ingest, replayKeys } = setup();
    const response = await ingest(request(JSON.stringify(cafe('c-1')), { requestId: 'req-13912345678' }));
    expect(replayKeys[0]).toMatch(/^pd-/);
    expect(JSON.parse(response.body).requestId).toBe(replayKeys[0]);
  });

  it('pseudonymizes the source id of a held event and stores who sent it', async () => {
    const { ingest, devices } = setup();
    const response = await ingest(
      request('cam-13812345678 alarm', { path: '/v1/events/hikvision', contentType: 'text/plain' }),
    );
    expect(JSON.parse(response.body).held).toBe(1);
    expect(devices.heldEvents[0]?.source.id).toMatch(/^pd-/);
    expect(devices.noted[0]).toMatch(/^pd-/);
    expect(devices.heldFrom).toEqual([{ integrationId: 'cafe-platform', format: 'hikvision' }]);
  });

  it('does not keep a held event its integration could never send (network), and says why', async () => {
    const cafeOnly = { ...integration, networks: ['internet' as const] };
    const { ingest, devices } = setup(64 * 1024, cafeOnly);
    const response = await ingest(
      request('cam-unknown alarm', { path: '/v1/events/hikvision', contentType: 'text/plain' }),
    );
    expect(response.statusCode).toBe(422);
    expect(JSON.parse(response.body).results[0]).toMatchObject({
      status: 'rejected',
      issues: [{ path: 'network', message: expect.stringContaining('(internet)') }],
    });
    expect(devices.heldEvents).toEqual([]);
  });
});

describe('ingest: no answer repeats a submitted value', () => {
  // A value no message of ours can contain by chance: any echo, whole or cut, shows the marker.
  const marked = fc.string({ maxLength: 30 }).map((s) => `⟦${s}⟧`);
  const FIELDS = [
    'id',
    'network',
    'type',
    'occurredAt',
    'receivedAt',
    'schemaVersion',
    'devicePriority',
    'source.id',
    'source.kind',
    'source.channel',
    'place.county',
    'place.township',
    'place.village',
    'place.kind',
    'place.name',
    'place.lat',
    'payload.venue.license',
    'payload.patron.idNumber',
    'payload.patron.phone',
    'payload.patron.fullName',
    'payload.patron.age',
    'evidence',
  ] as const;

  function withValue(path: string, value: unknown): unknown {
    const event = structuredClone(cafe('c-1')) as unknown as Record<string, unknown>;
    const keys = path.split('.');
    let node = event;
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
    return event;
  }

  const noMarker = (text: string) => {
    expect(text).not.toContain('⟦');
    expect(text).not.toContain('⟧');
  };

  it('never puts a value sent in any field into the answer (property)', { timeout: 30_000 }, async () => {
    const { ingest } = setup();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), marked, fc.boolean(), async (field, value, asKey) => {
        // The value in the field, or as the name of an extra field beside it.
        const beside = [...field.split('.').slice(0, -1), value].join('.');
        const event = asKey ? withValue(beside, 1) : withValue(field, value);
        const response = await ingest(request(JSON.stringify(event)));
        noMarker(response.body);
      }),
      { numRuns: 300 },
    );
  });

  it('never puts a digit code sent into a message (township and village outside the county)', async () => {
    const { ingest } = setup();
    const event = withValue('place', {
      county: '140581',
      township: '987654321',
      village: '123456789012',
      kind: 'other',
    });
    const body = (await ingest(request(JSON.stringify(event)))).body;
    expect(body).not.toContain('987654321');
    expect(body).not.toContain('123456789012');
    expect(JSON.parse(body).results[0].issues).toContainEqual({
      path: 'place.township',
      message: 'must start with the 6 digits of place.county',
    });
  });

  it('never puts a header, path or content type sent into a problem (property)', { timeout: 30_000 }, async () => {
    const { ingest } = setup();
    await fc.assert(
      fc.asyncProperty(
        marked,
        fc.constantFrom('integration', 'content-type', 'path', 'replay', 'format'),
        async (value, where) => {
          const event = JSON.stringify(cafe('c-1'));
          let response: Awaited<ReturnType<typeof ingest>>;
          if (where === 'integration') {
            response = await ingest(request(event, { headers: { 'x-sanwang-integration': value } }));
          } else if (where === 'content-type') {
            response = await ingest(request(event, { contentType: value }));
          } else if (where === 'path') {
            response = await ingest(request(event, { path: `/v1/${value}` }));
          } else if (where === 'format') {
            const format = value.replace(/[^a-z0-9-]/g, '') || 'x';
            response = await ingest(request(event, { path: `/v1/events/zz${format}`, contentType: 'text/plain' }));
            expect(response.body).not.toContain(`zz${format}`);
          } else {
            const signed = request(event, { requestId: value });
            await ingest(signed);
            response = await ingest(signed);
            expect(response.statusCode).toBe(401);
          }
          noMarker(response.body);
        },
      ),
      { numRuns: 200 },
    );
  });
});
