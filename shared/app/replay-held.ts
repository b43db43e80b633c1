import type { SanwangEventInput } from '../../events/envelope.ts';
import type { FieldIssue } from '../../events/validation.ts';
import type { DeviceRegistration, DynamoDeviceRegistry, HeldEvent } from '../adapters/device-registry.ts';
import type { EventStream } from '../adapters/event-stream.ts';
import type { IntegrationDirectory } from '../adapters/integration-directory.ts';
import { type AdmissionPolicy, admitEvent } from '../domain/event-admission.ts';
import type { Integration } from '../domain/integrations.ts';
import { pseudonymizeId } from '../domain/personal-data-masking.ts';

/** One held event that was not sent on, and why (field by field, never the submitted values). */
export interface HeldEventRefused {
  /** The event's id (pseudonymized at the door when it held personal data). */
  id: string;
  issues: FieldIssue[];
}

export interface ReplayOutcome {
  sourceId: string;
  held: number;
  sent: number;
  /** Checked like a live event and refused: reported here, then deleted (they could never be sent). */
  rejected: HeldEventRefused[];
  /** Kept before sanwang recorded who sent them: they cannot be checked, so they stay until they expire. */
  unchecked: HeldEventRefused[];
  /** Not written to the stream: kept for the next registration run. */
  failed: number;
}

const UNCHECKED: FieldIssue = {
  path: '',
  message: 'held before sanwang recorded the integration that sent it: it cannot be checked and is not sent on',
};

/**
 * Sends on what a device posted before it was registered: each held event gets the device's place and is checked
 * against its integration's registration (format, network, jurisdiction), its time and its priority ceiling,
 * exactly as the ingest checks a live event ({@link admitEvent}). The good ones go onto the stream; what fails is
 * reported per event. Held copies are deleted once sent, or once refused; those the stream did not take stay.
 */
export async function replayHeld(
  device: DeviceRegistration,
  deps: {
    registry: Pick<DynamoDeviceRegistry, 'takeHeld'>;
    stream: EventStream;
    integrations: IntegrationDirectory;
    policy: AdmissionPolicy;
    now: Date;
  },
): Promise<ReplayOutcome> {
  const { held, remove } = await deps.registry.takeHeld(pseudonymizeId(device.sourceId), deps.now);
  const integrations = new Map<string, Promise<Integration | undefined>>();
  const integrationOf = (id: string) => {
    if (!integrations.has(id)) integrations.set(id, deps.integrations.get(id));
    return integrations.get(id)!;
  };

  const good: { held: HeldEvent; event: SanwangEventInput }[] = [];
  const rejected: { held: HeldEvent; refused: HeldEventRefused }[] = [];
  const unchecked: HeldEventRefused[] = [];
  for (const h of held) {
    const id = h.event.id;
    if (!h.from) {
      unchecked.push({ id, issues: [UNCHECKED] });
      continue;
    }
    const integration = await integrationOf(h.from.integrationId);
    if (!integration) {
      const issue = { path: '', message: `integration ${h.from.integrationId} that sent it is no longer registered` };
      rejected.push({ held: h, refused: { id, issues: [issue] } });
      continue;
    }
    const admission = admitEvent(
      {
        ...h.event,
        place: {
          ...device.place,
          ...(h.event.place?.lat !== undefined ? { lat: h.event.place.lat, lon: h.event.place.lon } : {}),
        },
      },
      { integration, format: h.from.format, receivedAt: new Date(h.receivedAt), policy: deps.policy },
    );
    if (admission.ok) good.push({ held: h, event: admission.event as SanwangEventInput });
    else rejected.push({ held: h, refused: { id, issues: admission.issues } });
  }

  const outcomes = good.length ? await deps.stream.put(good.map((g) => g.event)) : [];
  const sent = good.filter((_, n) => outcomes[n]?.ok);
  await remove([...sent.map((g) => g.held), ...rejected.map((r) => r.held)]);
  return {
    sourceId: device.sourceId,
    held: held.length,
    sent: sent.length,
    rejected: rejected.map((r) => r.refused),
    unchecked,
    failed: good.length - sent.length,
  };
}
