import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DraftEvent } from '../../../events/adapters/device-adapter.ts';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { exampleEvent } from '../../../events/examples.ts';
import type { HeldEvent } from '../../../shared/adapters/device-registry.ts';
import type { PutOutcome } from '../../../shared/adapters/event-stream.ts';
import { replayHeld } from '../../../shared/app/replay-held.ts';
import type { Integration } from '../../../shared/domain/integrations.ts';

const NOW = new Date('2026-11-26T08:00:00Z');
const POLICY = { maxSkewMs: 300_000, retentionMs: 180 * 86_400_000 };
const device = {
  sourceId: 'cam-new',
  name: '新装',
  place: { county: '140581', township: '140581001', kind: 'hotel' as const, name: '南城宾馆' },
};
const integration = (over: Partial<Integration> = {}): Integration => ({
  id: 'gaoping-video',
  name: '高平市视频联网平台',
  secrets: [`whsec_${randomBytes(32).toString('base64')}`],
  networks: ['sky'],
  jurisdictions: ['140581'],
  formats: ['hikvision'],
  ...over,
});
const INTEGRATIONS = new Map<string, Integration>([
  ['gaoping-video', integration()],
  // A café platform in another county: the case of the issue, a camera event it held must not get through.
  ['cafe-elsewhere', integration({ id: 'cafe-elsewhere', networks: ['internet', 'sky'], jurisdictions: ['140502'] })],
  ['no-hikvision', integration({ id: 'no-hikvision', formats: ['onvif'] })],
]);

function draft(id: string, over: Partial<DraftEvent> = {}): DraftEvent {
  const {
    place: _p,
    receivedAt: _r,
    ...rest
  } = exampleEvent('camera.intrusion', { id, source: { id: 'cam-new', kind: 'camera' } });
  return { ...(rest as DraftEvent), ...over } as DraftEvent;
}

const held = (id: string, integrationId: string | undefined, over: Partial<DraftEvent> = {}): HeldEvent => ({
  event: draft(id, over),
  receivedAt: '2026-11-25T18:00:01.000Z',
  ...(integrationId ? { from: { integrationId, format: 'hikvision' } } : {}),
  key: { pk: 'DEVICE#cam-new', sk: `HELD#2026-11-25T18:00:01.000Z#${id}` },
});

function setup(events: HeldEvent[], fail = false) {
  const removed: string[] = [];
  const put: SanwangEventInput[] = [];
  const registry = {
    takeHeld: async () => ({
      held: events,
      remove: async (which: readonly HeldEvent[]) => {
        removed.push(...which.map((h) => h.event.id));
      },
    }),
  };
  const stream = {
    put: async (list: readonly SanwangEventInput[]): Promise<PutOutcome[]> => {
      put.push(...list);
      return list.map((e) =>
        fail ? { id: e.id, ok: false, error: 'x' } : { id: e.id, ok: true, sequenceNumber: '1' },
      );
    },
  };
  const deps = {
    registry,
    stream,
    integrations: { get: async (id: string) => INTEGRATIONS.get(id) },
    policy: POLICY,
    now: NOW,
  };
  return { deps, put, removed };
}

describe('replayHeld', () => {
  it('sends held events on with the registered place and the time they were received, and deletes them', async () => {
    const { deps, put, removed } = setup([held('h-1', 'gaoping-video'), held('h-2', 'gaoping-video')]);

    const outcome = await replayHeld(device, deps);

    expect(outcome).toEqual({ sourceId: 'cam-new', held: 2, sent: 2, rejected: [], unchecked: [], failed: 0 });
    expect(put.map((e) => [e.id, e.place, e.receivedAt])).toEqual([
      ['h-1', device.place, '2026-11-25T18:00:01.000Z'],
      ['h-2', device.place, '2026-11-25T18:00:01.000Z'],
    ]);
    expect(removed).toEqual(['h-1', 'h-2']);
  });

  it('checks each against its own integration as a live event is checked, and reports what fails', async () => {
    const { deps, put, removed } = setup([
      held('ok', 'gaoping-video'),
      held('other-county', 'cafe-elsewhere'),
      held('format', 'no-hikvision'),
      held('gone', 'removed-integration'),
      held('bad-time', 'gaoping-video', { occurredAt: 'yesterday' }),
      held('future', 'gaoping-video', { occurredAt: '2026-11-26T03:00:00+08:00' }),
    ]);

    const outcome = await replayHeld(device, deps);

    expect(put.map((e) => e.id)).toEqual(['ok']);
    expect(outcome.sent).toBe(1);
    expect(outcome.rejected).toEqual([
      {
        id: 'other-county',
        issues: [
          {
            path: 'place.township',
            message: 'is outside the jurisdictions integration cafe-elsewhere is registered for (140502)',
          },
        ],
      },
      {
        id: 'format',
        issues: [
          { path: '', message: 'came in the hikvision format, which integration no-hikvision is not registered for' },
        ],
      },
      { id: 'gone', issues: [{ path: '', message: expect.stringContaining('no longer registered') }] },
      { id: 'bad-time', issues: [{ path: 'occurredAt', message: expect.stringContaining('offset') }] },
      { id: 'future', issues: [{ path: 'occurredAt', message: expect.stringContaining('ahead') }] },
    ]);
    // Refused events could never be sent: reported, then deleted.
    expect(removed).toEqual(['ok', 'other-county', 'format', 'gone', 'bad-time', 'future']);
  });

  it('lowers a devicePriority above the integration ceiling, as the ingest does', async () => {
    const { deps, put } = setup([held('p-1', 'gaoping-video', { devicePriority: 1 })]);
    await replayHeld(device, deps);
    expect(put[0]?.devicePriority).toBe(2);
  });

  it('keeps events held before the integration was recorded: not sent, not deleted, reported', async () => {
    const { deps, put, removed } = setup([held('old', undefined)]);
    const outcome = await replayHeld(device, deps);
    expect(outcome.unchecked).toEqual([{ id: 'old', issues: [expect.objectContaining({ path: '' })] }]);
    expect(put).toEqual([]);
    expect(removed).toEqual([]);
  });

  it('keeps the held copies when the stream did not take them', async () => {
    const { deps, removed } = setup([held('h-1', 'gaoping-video'), held('h-2', 'cafe-elsewhere')], true);
    expect(await replayHeld(device, deps)).toMatchObject({ sent: 0, failed: 1 });
    expect(removed).toEqual(['h-2']);
  });
});
