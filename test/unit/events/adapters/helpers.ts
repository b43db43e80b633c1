import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type {
  AdapterOutcome,
  DeviceFormat,
  DeviceRequest,
  DraftEvent,
} from '../../../../events/adapters/device-adapter.ts';
import type { SanwangEvent } from '../../../../events/envelope.ts';
import { formatIssues, parseEvent } from '../../../../events/validation.ts';

/** What the device registry would add: the place of a school in Gaoping. */
export const PLACE = { county: '140581', kind: 'school' } as const;
export const RECEIVED_AT = '2026-11-26T02:00:03+08:00';

/** A fixture's bytes from test/fixtures/<format>/. */
export function fixture(format: DeviceFormat, name: string): Buffer {
  return readFileSync(new URL(`../../../fixtures/${format}/${name}`, import.meta.url));
}

/** A device request as the ingest would hand it over. */
export function deviceRequest(
  body: Buffer | string,
  contentType: string,
  query: Record<string, string | undefined> = {},
  timeZone = 'Asia/Shanghai',
): DeviceRequest {
  return {
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    contentType,
    query,
    receivedAt: new Date(RECEIVED_AT),
    timeZone,
  };
}

/** Completes a draft as the ingest will: receivedAt, and the registry's place under what the device said. */
export function complete(draft: DraftEvent): unknown {
  return { ...draft, receivedAt: RECEIVED_AT, place: { ...PLACE, ...draft.place } };
}

/** The reason a completed draft fails validation, or undefined when it passes. */
export function invalidReason(draft: DraftEvent): string | undefined {
  const result = parseEvent(complete(draft));
  return result.ok ? undefined : `${draft.id}: ${formatIssues(result.issues)}`;
}

/** Asserts that every event of the outcome validates once completed, and returns them validated. */
export function validEvents(outcome: AdapterOutcome): SanwangEvent[] {
  expect(outcome.events.map(invalidReason).filter(Boolean)).toEqual([]);
  return outcome.events.map((draft) => {
    const result = parseEvent(complete(draft));
    if (!result.ok) throw new Error('unreachable');
    return result.event;
  });
}

/** The first event of a type, narrowed. */
export function only<T extends SanwangEvent['type']>(
  events: SanwangEvent[],
  type: T,
): Extract<SanwangEvent, { type: T }> {
  const matching = events.filter((e) => e.type === type);
  expect(matching).toHaveLength(1);
  return matching[0] as Extract<SanwangEvent, { type: T }>;
}

/** Catches the error a call throws. */
export function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The alarm state of an event whose payload has one. */
export function stateOf(event: SanwangEvent | undefined): string | undefined {
  const payload = event?.payload as { state?: string } | undefined;
  return payload?.state;
}
