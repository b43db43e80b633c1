import type { SanwangEvent, SanwangEventInput } from '../../events/envelope.ts';
import { parseEvent } from '../../events/validation.ts';
import type { DeviceRegistration, DynamoDeviceRegistry } from '../adapters/device-registry.ts';
import type { EventStream } from '../adapters/event-stream.ts';

export interface ReplayOutcome {
  sourceId: string;
  held: number;
  sent: number;
  invalid: number;
  failed: number;
}

/**
 * Sends on what a device posted before it was registered: each held event gets the device's place, is checked
 * again, and goes onto the stream; the held copies are deleted only when every event went out.
 */
export async function replayHeld(
  device: DeviceRegistration,
  deps: { registry: Pick<DynamoDeviceRegistry, 'takeHeld'>; stream: EventStream; now: Date },
): Promise<ReplayOutcome> {
  const held = await deps.registry.takeHeld(device.sourceId, deps.now);
  const good: SanwangEvent[] = [];
  let invalid = 0;
  held.events.forEach((draft, i) => {
    const parsed = parseEvent({
      ...draft,
      place: {
        ...device.place,
        ...(draft.place?.lat !== undefined ? { lat: draft.place.lat, lon: draft.place.lon } : {}),
      },
      receivedAt: held.receivedAt[i],
    });
    if (parsed.ok) good.push(parsed.event);
    else invalid++;
  });
  const outcomes = good.length ? await deps.stream.put(good as SanwangEventInput[]) : [];
  const failed = outcomes.filter((o) => !o.ok).length;
  if (failed === 0) await held.remove();
  return { sourceId: device.sourceId, held: held.events.length, sent: outcomes.length - failed, invalid, failed };
}
