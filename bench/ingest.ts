import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DEVICE_ADAPTERS } from '../events/adapters/registry.ts';
import type { SanwangEventInput } from '../events/envelope.ts';
import { exampleEvent } from '../events/examples.ts';
import { signatureHeaders } from '../shared/adapters/signed-request.ts';
import { createIngest, type IngestRequest } from '../shared/app/ingest.ts';
import type { Integration } from '../shared/domain/integrations.ts';

const NOW = new Date('2026-11-25T18:00:00Z');
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const integration: Integration = {
  id: 'bench',
  name: 'bench',
  secrets: [secret],
  networks: ['sky', 'ground', 'internet'],
  jurisdictions: ['140581'],
  formats: ['hikvision', 'onvif', 'gb28181', 'dahua', 'frigate'],
};

/** The ingest use case with instant in-memory ports: what is left is our own work per request. */
function ingestUnderTest() {
  let n = 0;
  return createIngest({
    integrations: { get: async () => integration },
    replay: { firstUse: async () => true },
    devices: {
      find: async (ids) =>
        new Map(
          ids.map((id) => [
            id,
            { sourceId: id, status: 'registered' as const, place: { county: '140581', kind: 'school' as const } },
          ]),
        ),
      noteUnregistered: async () => {},
      hold: async () => {},
    },
    stream: {
      put: async (events) => events.map((e) => ({ id: e.id, ok: true as const, sequenceNumber: String(n++) })),
    },
    adapters: DEVICE_ADAPTERS,
    openApi: () => ({}),
    timeZone: 'Asia/Shanghai',
    maxBodyBytes: 6_000_000,
    eventTime: { maxSkewMs: 300_000, retentionMs: 180 * 86_400_000 },
    log: { info() {}, warn() {} },
  });
}

function request(path: string, contentType: string, body: Buffer): IngestRequest {
  return {
    method: 'POST',
    path,
    headers: signatureHeaders({
      url: `${path}?device=bench-device`,
      integrationId: integration.id,
      secret,
      body,
      contentType,
      now: NOW,
    }),
    query: { device: 'bench-device' },
    body,
    receivedAt: NOW,
  };
}

async function perCall(iterations: number, run: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, iterations); i++) await run();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

/** A 500-event canonical batch through the whole use case, against JSON.parse of the same body. */
export async function measureIngestBatch() {
  const events: SanwangEventInput[] = Array.from({ length: 500 }, (_, i) =>
    exampleEvent('cafe.minor_admitted', { id: `bench-${i}`, source: { id: `cafe-${i % 20}`, kind: 'cafe_system' } }),
  );
  const body = Buffer.from(JSON.stringify({ events }));
  const ingest = ingestUnderTest();
  const req = request('/v1/events', 'application/json', body);
  const ours = await perCall(40, () => ingest(req));
  const floor = await perCall(40, () => JSON.parse(body.toString('utf8')));
  return {
    bytes: body.length,
    eventsPerSecond: 500 / (ours / 1e6),
    floorEventsPerSecond: 500 / (floor / 1e6),
    ratio: ours / floor,
  };
}

const FIXTURES: { format: keyof typeof DEVICE_ADAPTERS; file: string; contentType: string }[] = [
  { format: 'hikvision', file: 'test/fixtures/hikvision/linedetection.xml', contentType: 'application/xml' },
  { format: 'hikvision', file: 'test/fixtures/hikvision/shelteralarm.json', contentType: 'application/json' },
  { format: 'onvif', file: 'test/fixtures/onvif/notify-hikvision.xml', contentType: 'application/soap+xml' },
  {
    format: 'gb28181',
    file: 'test/fixtures/gb28181/alarm-intrusion-gb2312.xml',
    contentType: 'application/manscdp+xml',
  },
  { format: 'dahua', file: 'test/fixtures/dahua/event-lines.txt', contentType: 'text/plain' },
  { format: 'frigate', file: 'test/fixtures/frigate/review-new.json', contentType: 'application/json' },
];

/** Each device parser on a realistic payload, against JSON.parse of the canonical events it produces. */
export async function measureParsers() {
  const rows = [];
  for (const f of FIXTURES) {
    const adapter = DEVICE_ADAPTERS[f.format];
    const body = readFileSync(f.file);
    const input = {
      body,
      contentType: f.contentType,
      query: { device: 'bench-device' },
      receivedAt: NOW,
      timeZone: 'Asia/Shanghai',
    };
    const outcome = adapter.parse(input);
    const canonical = JSON.stringify(outcome.events);
    const parse = await perCall(2000, () => adapter.parse(input));
    const floor = await perCall(2000, () => JSON.parse(canonical));
    rows.push({
      label: `${f.format} ${f.file.split('.').pop()}`,
      bytes: body.length,
      events: outcome.events.length,
      parseMicros: parse,
      ratio: parse / floor,
    });
  }
  return rows;
}
