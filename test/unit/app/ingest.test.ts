import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceAdapter, DraftEvent } from '../../../events/adapters/device-adapter.ts';
import { MalformedBodyError } from '../../../events/adapters/device-adapter.ts';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import type { DeviceRegistry, RegisteredDevice } from '../../../shared/adapters/device-registry.ts';
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
  async hold(events: readonly DraftEvent[]) {
    this.heldEvents.push(...events);
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

function setup(maxBodyBytes = 64 * 1024) {
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
  const ingest = createIngest({
    integrations: { get: async (id) => (id === integration.id ? integration : undefined) },
    replay: { firstUse: async (i, r) => !used.has(`${i}/${r}`) && Boolean(used.add(`${i}/${r}`)) },
    devices,
    stream,
    adapters: { hikvision: lineAdapter, onvif: { ...lineAdapter, format: 'onvif' } },
    openApi: () => ({ openapi: '3.1.0' }),
    timeZone: 'Asia/Shanghai',
    maxBodyBytes,
    log: { info() {}, warn() {} },
  });
  return { stream, devices, ingest };
}

function request(
  body: Buffer | string,
  options: { path?: string; contentType?: string; headers?: Record<string, string>; requestId?: string } = {},
): IngestRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const contentType = options.contentType ?? 'application/json';
  return {
    method: 'POST',
    path: options.path ?? '/v1/events',
    headers: {
      ...signatureHeaders({
        integrationId: integration.id,
        secret,
        body: bytes,
        contentType,
        now: NOW,
        ...(options.requestId ? { requestId: options.requestId } : {}),
      }),
      ...options.headers,
    },
    query: {},
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
      [{ path: 'network', message: 'integration cafe-platform is not registered for the ground network' }],
      [{ path: 'place.county', message: 'integration cafe-platform is not registered for jurisdiction 140502' }],
    ]);
  });

  it.each([
    [
      'a forged signature',
      { 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      'does not match',
    ],
    ['a stale timestamp', { 'webhook-timestamp': String(NOW.getTime() / 1000 - 600) }, 'old'],
    ['an unknown integration', { 'x-sanwang-integration': 'nobody' }, 'unknown integration'],
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
    expect(JSON.parse(response.body).message).toBe('integration cafe-platform is not registered for the onvif format');
  });

  it('places device events from the registry and holds those of unknown devices', async () => {
    const { ingest, stream, devices } = setup();
    const response = await ingest(
      request('cam-1 alarm\ncam-unknown alarm', { path: '/v1/events/hikvision', contentType: 'text/plain' }),
    );
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body);
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'held']);
    expect(body.results[1].reason).toContain('cam-unknown is not registered');
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

  it('never answers 5xx to any signed body (property)', async () => {
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
      log: { info() {}, warn() {} },
    });
    const response = await ingest(request(JSON.stringify(cafe('c-1'))));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(stream.put_).toEqual([]);
  });
});
