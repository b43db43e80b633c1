import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DraftEvent } from '../../../events/adapters/device-adapter.ts';
import { DEVICE_FORMATS, type DeviceFormat } from '../../../events/adapters/device-adapter.ts';
import { DEVICE_ADAPTERS } from '../../../events/adapters/registry.ts';
import type { EventResult, IngestSummary } from '../../../events/api.ts';
import type { Place } from '../../../events/common.ts';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { parseEvent } from '../../../events/validation.ts';
import type { DeviceRegistry, HeldFrom, RegisteredDevice } from '../../../shared/adapters/device-registry.ts';
import type { EventStream, PutOutcome } from '../../../shared/adapters/event-stream.ts';
import { signatureHeaders } from '../../../shared/adapters/signed-request.ts';
import { createIngest, type IngestRequest } from '../../../shared/app/ingest.ts';
import type { Integration } from '../../../shared/domain/integrations.ts';

// The real device adapters behind the ingest use case, with the registry, stream and replay guard in memory.

/** 03:30 in Gaoping: after every fixture's alarm time. */
const NOW = new Date('2026-11-25T19:30:00.000Z');
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const integration: Integration = {
  id: 'gaoping-video',
  name: '高平市视频联网平台',
  secrets: [secret],
  networks: ['sky'],
  jurisdictions: ['140581'],
  formats: [...DEVICE_FORMATS],
};

const SCHOOL: Place = {
  county: '140581',
  township: '140581100',
  village: '140581100201',
  kind: 'school',
  name: '米山镇第一小学',
};
const STATION: Place = { county: '140581', township: '140581001', kind: 'station', name: '高平火车站广场' };
const CAFE: Place = { county: '140581', township: '140581001', kind: 'internet_cafe', name: '星际网咖' };
const FRINGE: Place = { county: '140581', township: '140581100', kind: 'fringe', name: '米山镇城乡结合部' };

const registered = (sourceId: string, place: Place): [string, RegisteredDevice] => [
  sourceId,
  { sourceId, status: 'registered', place },
];

/** Every device the fixtures name, each at its own place. */
const FIXTURE_DEVICES = new Map<string, RegisteredDevice>([
  registered('4419b66d2485', SCHOOL),
  registered('4419b66d2486', STATION),
  registered('bcad28910f3e', FRINGE),
  registered('onvif-hik-0017', SCHOOL),
  registered('onvif-axis-0031', STATION),
  registered('14058100001320000017', SCHOOL),
  registered('14058100001180000001', CAFE),
  registered('dahua-nvr-03', FRINGE),
  registered('frigate-north_gate', SCHOOL),
  registered('frigate-boiler_room', CAFE),
]);

interface Fixture {
  format: DeviceFormat;
  name: string;
  contentType: string;
  query?: Record<string, string>;
  /** What the ingest answers with every device registered: the status and the events put on the stream. */
  status: 202 | 207;
  accepted: number;
}

const FIXTURES: Fixture[] = [
  { format: 'hikvision', name: 'linedetection.xml', contentType: 'application/xml', status: 202, accepted: 1 },
  {
    format: 'hikvision',
    name: 'fielddetection-isapi-prefixed.xml',
    contentType: 'text/xml; charset=UTF-8',
    status: 202,
    accepted: 1,
  },
  { format: 'hikvision', name: 'heartbeat.xml', contentType: 'application/xml', status: 202, accepted: 0 },
  { format: 'hikvision', name: 'shelteralarm.json', contentType: 'application/json', status: 202, accepted: 1 },
  {
    format: 'hikvision',
    name: 'multipart-linedetection.bin',
    contentType: 'multipart/form-data; boundary=MIME_boundary',
    status: 202,
    accepted: 1,
  },
  {
    format: 'onvif',
    name: 'notify-hikvision.xml',
    contentType: 'application/soap+xml; charset=utf-8',
    query: { device: 'onvif-hik-0017' },
    status: 202,
    accepted: 3,
  },
  {
    format: 'onvif',
    name: 'notify-axis.xml',
    contentType: 'application/soap+xml',
    query: { device: 'onvif-axis-0031' },
    status: 207,
    accepted: 3,
  },
  {
    format: 'gb28181',
    name: 'alarm-intrusion-gb2312.xml',
    contentType: 'Application/MANSCDP+xml',
    status: 202,
    accepted: 1,
  },
  {
    format: 'gb28181',
    name: 'alarm-videoloss-utf8.xml',
    contentType: 'Application/MANSCDP+xml',
    status: 202,
    accepted: 1,
  },
  {
    format: 'dahua',
    name: 'event-stream.txt',
    contentType: 'multipart/x-mixed-replace; boundary=myboundary',
    query: { device: 'dahua-nvr-03' },
    status: 207,
    accepted: 4,
  },
  {
    format: 'dahua',
    name: 'event-lines.txt',
    contentType: 'text/plain',
    query: { device: 'dahua-nvr-03' },
    status: 207,
    accepted: 3,
  },
  { format: 'frigate', name: 'review-new.json', contentType: 'application/json', status: 202, accepted: 1 },
  { format: 'frigate', name: 'review-update.json', contentType: 'application/json', status: 202, accepted: 1 },
  { format: 'frigate', name: 'review-end.json', contentType: 'application/json', status: 202, accepted: 1 },
  {
    format: 'frigate',
    name: 'review-detection-smoke.json',
    contentType: 'application/json',
    status: 202,
    accepted: 1,
  },
];
const BODIES = new Map(
  FIXTURES.map((f) => [f, readFileSync(new URL(`../../fixtures/${f.format}/${f.name}`, import.meta.url))]),
);
const bodyOf = (f: Fixture) => BODIES.get(f)!;
const fixtureNamed = (name: string) => FIXTURES.find((f) => f.name === name)!;

class MemoryStream implements EventStream {
  readonly put_: SanwangEventInput[] = [];
  async put(events: readonly SanwangEventInput[]): Promise<PutOutcome[]> {
    return events.map((e) => {
      this.put_.push(e);
      return { id: e.id, ok: true, sequenceNumber: String(49_000 + this.put_.length) };
    });
  }
}

type Seen = Parameters<DeviceRegistry['noteUnregistered']>[1];

class MemoryDevices implements DeviceRegistry {
  readonly noted: ({ sourceId: string } & Seen)[] = [];
  constructor(readonly known: ReadonlyMap<string, RegisteredDevice>) {}
  async find(ids: readonly string[]) {
    return new Map([...this.known].filter(([id]) => ids.includes(id)));
  }
  readonly heldEvents: DraftEvent[] = [];
  async hold(events: readonly DraftEvent[], _receivedAt: string, _from: HeldFrom) {
    this.heldEvents.push(...events);
  }
  async noteUnregistered(sourceId: string, seen: Seen) {
    this.noted.push({ sourceId, ...seen });
  }
}

function setup(known: ReadonlyMap<string, RegisteredDevice> = FIXTURE_DEVICES) {
  const stream = new MemoryStream();
  const devices = new MemoryDevices(known);
  const used = new Set<string>();
  const ingest = createIngest({
    integrations: { get: async (id) => (id === integration.id ? integration : undefined) },
    replay: {
      firstUse: async (i, r) => {
        const key = `${i}/${r}`;
        if (used.has(key)) return false;
        used.add(key);
        return true;
      },
    },
    devices,
    stream,
    adapters: DEVICE_ADAPTERS,
    openApi: () => ({}),
    timeZone: 'Asia/Shanghai',
    maxBodyBytes: 1024 * 1024,
    eventTime: { maxSkewMs: 300_000, retentionMs: 180 * 86_400_000 },
    log: { info() {}, warn() {} },
  });
  return { ingest, stream, devices };
}

/** A request to /v1/events/<format>, signed as the integration. */
function signedPost(fixture: Fixture, body: Buffer = bodyOf(fixture)): IngestRequest {
  const search = new URLSearchParams(fixture.query ?? {}).toString();
  return {
    method: 'POST',
    path: `/v1/events/${fixture.format}`,
    headers: signatureHeaders({
      url: `/v1/events/${fixture.format}${search ? `?${search}` : ''}`,
      integrationId: integration.id,
      secret,
      body,
      contentType: fixture.contentType,
      now: NOW,
    }),
    query: fixture.query ?? {},
    body,
    receivedAt: NOW,
  };
}

const without = (place: Place | undefined) => {
  const { lat: _lat, lon: _lon, ...rest } = place ?? ({} as Place);
  return rest;
};

describe('ingest with the real device adapters', () => {
  it.each(FIXTURES.map((f) => [`${f.format}/${f.name}`, f] as const))(
    'places every event of %s from the device registry and puts it on the stream',
    async (_name, fixture) => {
      const { ingest, stream, devices } = setup();

      const response = await ingest(signedPost(fixture));

      expect(response.statusCode).toBe(fixture.status);
      const summary = JSON.parse(response.body) as IngestSummary;
      expect(summary).toMatchObject({
        integration: integration.id,
        format: fixture.format,
        accepted: fixture.accepted,
        rejected: 0,
        held: 0,
        failed: 0,
      });
      expect(summary.results.every((r: EventResult) => r.status === 'accepted')).toBe(true);
      expect(summary.partsRejected.length > 0).toBe(fixture.status === 207);
      expect(stream.put_).toHaveLength(fixture.accepted);
      for (const event of stream.put_) {
        const parsed = parseEvent(event);
        expect(parsed.ok ? [] : parsed.issues).toEqual([]);
        expect(event.network).toBe('sky');
        expect(event.receivedAt).toBe(NOW.toISOString());
        const device = FIXTURE_DEVICES.get(event.source.id);
        expect(device, `device ${event.source.id} is in the registry`).toBeDefined();
        // The registry's place; only the coordinates a device reports (GB/T 28181) are kept beside it.
        expect(without(event.place as Place)).toEqual(device!.place);
      }
      expect(devices.noted).toEqual([]);
    },
  );

  it('keeps the coordinates a GB/T 28181 camera reports beside the registry place', async () => {
    const { ingest, stream } = setup();

    await ingest(signedPost(fixtureNamed('alarm-intrusion-gb2312.xml')));

    expect(stream.put_[0]?.place).toEqual({ ...SCHOOL, lat: 35.791234, lon: 112.923456 });
  });

  it('accepts a GB/T 28181 alarm from an unregistered camera at the county in its id, and notes the camera', async () => {
    const known = new Map(FIXTURE_DEVICES);
    known.delete('14058100001320000017');
    const { ingest, stream, devices } = setup(known);

    const response = await ingest(signedPost(fixtureNamed('alarm-intrusion-gb2312.xml')));

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ accepted: 1, held: 0 });
    expect(stream.put_).toHaveLength(1);
    const event = stream.put_[0]!;
    expect(parseEvent(event).ok).toBe(true);
    expect(event.type).toBe('camera.intrusion');
    expect(event.place).toEqual({ county: '140581', kind: 'other', name: '高平市', lat: 35.791234, lon: 112.923456 });
    expect(devices.noted).toEqual([
      {
        sourceId: '14058100001320000017',
        format: 'gb28181',
        eventType: 'camera.intrusion',
        at: NOW.toISOString(),
        held: 0,
      },
    ]);
  });

  it('holds the alarm of an unregistered Hikvision camera and notes the camera', async () => {
    const known = new Map(FIXTURE_DEVICES);
    known.delete('4419b66d2485');
    const { ingest, stream, devices } = setup(known);

    const response = await ingest(signedPost(fixtureNamed('linedetection.xml')));

    expect(response.statusCode).toBe(202);
    const summary = JSON.parse(response.body) as IngestSummary;
    expect(summary).toMatchObject({ accepted: 0, held: 1, rejected: 0 });
    expect(summary.results).toEqual([
      {
        index: 0,
        id: expect.stringMatching(/^hik:/),
        status: 'held',
        reason: expect.stringContaining('its device (source.id) is not registered'),
      },
    ]);
    expect(stream.put_).toEqual([]);
    expect(devices.noted).toEqual([
      {
        sourceId: '4419b66d2485',
        format: 'hikvision',
        eventType: 'camera.line_crossing',
        at: NOW.toISOString(),
        held: 1,
      },
    ]);
  });

  it('holds every event of an unregistered ONVIF camera and still names the unreadable message', async () => {
    const known = new Map(FIXTURE_DEVICES);
    known.delete('onvif-axis-0031');
    const { ingest, stream, devices } = setup(known);

    const response = await ingest(signedPost(fixtureNamed('notify-axis.xml')));

    expect(response.statusCode).toBe(207);
    expect(JSON.parse(response.body)).toMatchObject({
      accepted: 0,
      held: 3,
      partsRejected: [{ path: 'NotificationMessage[5].Message', message: 'must hold a tt:Message' }],
    });
    expect(stream.put_).toEqual([]);
    expect(devices.noted).toMatchObject([{ sourceId: 'onvif-axis-0031', format: 'onvif', held: 3 }]);
  });
});

/** Prefix lengths to try: every one near both ends (where parsers break) and an even spread between. */
const MAX_PREFIXES = 300;
function prefixLengths(size: number): number[] {
  if (size <= MAX_PREFIXES) return Array.from({ length: size }, (_, i) => i);
  const ends = Array.from({ length: 50 }, (_, i) => [i, size - 1 - i]).flat();
  const spread = Array.from({ length: MAX_PREFIXES - 100 }, (_, i) =>
    Math.round(((i + 1) * size) / (MAX_PREFIXES - 99)),
  );
  return [...new Set([...ends, ...spread])].filter((n) => n >= 0 && n < size).sort((a, b) => a - b);
}

describe('ingest with the real device adapters under fuzzing', () => {
  const { ingest } = setup();

  /** Posts a body signed correctly; the answer must be a 2xx or a 4xx about the body, never a 5xx or a throw. */
  async function neverFails(fixture: Fixture, body: Buffer): Promise<void> {
    const response = await ingest(signedPost(fixture, body));
    if (response.statusCode >= 500) {
      throw new Error(
        `${fixture.format} (${body.length} bytes) answered ${response.statusCode}: ${response.body.slice(0, 300)}`,
      );
    }
    // Signed correctly and registered for every format: never refused at the door.
    expect([401, 403]).not.toContain(response.statusCode);
    expect(response.statusCode).toBeGreaterThanOrEqual(200);
  }

  it('answers every signed random body in every format below 500', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIXTURES), fc.uint8Array({ maxLength: 600 }), (fixture, bytes) =>
        neverFails(fixture, Buffer.from(bytes)),
      ),
      { numRuns: 500 },
    );
  });

  it('answers every signed random mix of a fixture and random bytes below 500', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FIXTURES),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (fixture, at, bytes) => {
          const body = bodyOf(fixture);
          const i = at % (body.length + 1);
          return neverFails(fixture, Buffer.concat([body.subarray(0, i), Buffer.from(bytes), body.subarray(i)]));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(FIXTURES.map((f) => [`${f.format}/${f.name}`, f] as const))(
    'answers every signed prefix of %s below 500',
    // Bounded by count, not by the body's size: a few hundred calls, which a loaded 2-core machine finishes well
    // within the timeout (every prefix of the 4.6 KB ONVIF body took over 5 s there).
    { timeout: 60_000 },
    async (_name, fixture) => {
      const body = bodyOf(fixture);
      for (const length of prefixLengths(body.length)) await neverFails(fixture, body.subarray(0, length));
      expect((await ingest(signedPost(fixture))).statusCode).toBe(fixture.status);
    },
  );
});
