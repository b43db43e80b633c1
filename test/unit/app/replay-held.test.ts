import { describe, expect, it } from 'vitest';
import type { DraftEvent } from '../../../events/adapters/device-adapter.ts';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { exampleEvent } from '../../../events/examples.ts';
import type { PutOutcome } from '../../../shared/adapters/event-stream.ts';
import { replayHeld } from '../../../shared/app/replay-held.ts';

const NOW = new Date('2026-11-26T08:00:00Z');
const device = {
  sourceId: 'cam-new',
  name: '新装',
  place: { county: '140581', township: '140581001', kind: 'hotel' as const, name: '南城宾馆' },
};

function draft(id: string): DraftEvent {
  const {
    place: _p,
    receivedAt: _r,
    ...rest
  } = exampleEvent('camera.intrusion', { id, source: { id: 'cam-new', kind: 'camera' } });
  return rest as DraftEvent;
}

function setup(fail = false) {
  let removed = false;
  const put: SanwangEventInput[] = [];
  const registry = {
    takeHeld: async () => ({
      events: [draft('h-1'), draft('h-2'), { ...draft('h-3'), occurredAt: 'yesterday' } as DraftEvent],
      receivedAt: ['2026-11-25T18:00:01Z', '2026-11-25T18:00:02Z', '2026-11-25T18:00:03Z'],
      remove: async () => {
        removed = true;
      },
    }),
  };
  const stream = {
    put: async (events: readonly SanwangEventInput[]): Promise<PutOutcome[]> => {
      put.push(...events);
      return events.map((e) =>
        fail ? { id: e.id, ok: false, error: 'x' } : { id: e.id, ok: true, sequenceNumber: '1' },
      );
    },
  };
  return { registry, stream, put, removed: () => removed };
}

describe('replayHeld', () => {
  it('sends held events on with the registered place and deletes the held copies', async () => {
    const { registry, stream, put, removed } = setup();
    const outcome = await replayHeld(device, { registry, stream, now: NOW });
    expect(outcome).toEqual({ sourceId: 'cam-new', held: 3, sent: 2, invalid: 1, failed: 0 });
    expect(put.map((e) => [e.id, e.place, e.receivedAt])).toEqual([
      ['h-1', device.place, '2026-11-25T18:00:01Z'],
      ['h-2', device.place, '2026-11-25T18:00:02Z'],
    ]);
    expect(removed()).toBe(true);
  });

  it('keeps the held copies when the stream did not take them', async () => {
    const { registry, stream, removed } = setup(true);
    expect(await replayHeld(device, { registry, stream, now: NOW })).toMatchObject({ sent: 0, failed: 2 });
    expect(removed()).toBe(false);
  });
});
