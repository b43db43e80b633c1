import * as z from 'zod';
import { Evidence, Instant, type Network, Place, Source } from './common.ts';
import { groundPayloads } from './payloads/ground.ts';
import { internetPayloads } from './payloads/internet.ts';
import { skyPayloads } from './payloads/sky.ts';

const networkPayloads = { sky: skyPayloads, ground: groundPayloads, internet: internetPayloads } as const;
type Payloads = typeof skyPayloads & typeof groundPayloads & typeof internetPayloads;
export type EventType = keyof Payloads;

/** Every event type and the network it belongs to. */
export const EVENT_NETWORK = Object.fromEntries(
  Object.entries(networkPayloads).flatMap(([network, payloads]) => Object.keys(payloads).map((t) => [t, network])),
) as Record<EventType, Network>;
export const EVENT_TYPES = Object.keys(EVENT_NETWORK) as EventType[];

const base = {
  schemaVersion: z.literal(1, { error: 'must be 1 (this is envelope v1)' }),
  id: z
    .string()
    .regex(/^[\w.:@/-]{1,128}$/, { error: 'must be 1–128 letters, digits or . _ : @ / -' })
    .meta({ description: "The source's own event id: the idempotency key, the same on every retry" }),
  occurredAt: Instant.meta({ description: 'When the device or system saw it' }),
  receivedAt: Instant.meta({ description: 'When sanwang accepted it (set by the ingest)' }),
  source: Source,
  place: Place,
  evidence: z.array(Evidence).max(8).optional(),
  devicePriority: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'must be 1, 2, 3 or 4' })
    .optional()
    .meta({
      description:
        "The device's own alarm level (GB/T 28181 AlarmPriority), 1 most severe: an incident is at least this severe",
    }),
};

function variant<N extends Network, T extends string, P extends z.ZodType>(network: N, type: T, payload: P) {
  return z.object({ ...base, network: z.literal(network), type: z.literal(type), payload });
}

const variants = Object.entries(networkPayloads).flatMap(([network, payloads]) =>
  Object.entries(payloads).map(([type, payload]) => variant(network as Network, type, payload as z.ZodType)),
);

/** Canonical event envelope v1: one schema per type, discriminated by `type`. */
export const EventEnvelope = z
  .discriminatedUnion('type', variants as unknown as [ReturnType<typeof variant>, ...ReturnType<typeof variant>[]])
  .meta({ id: 'EventEnvelopeV1', title: 'sanwang canonical event envelope v1' });

type Base = z.output<z.ZodObject<typeof base>>;
/** A validated event; `payload` is typed by `type`. */
export type SanwangEvent = {
  [T in EventType]: Base & { network: (typeof EVENT_NETWORK)[T]; type: T; payload: z.output<Payloads[T]> };
}[EventType];
export type EventOf<T extends EventType> = Extract<SanwangEvent, { type: T }>;
/** What an integration may send: defaults (e.g. alarm state) may be left out. */
export type SanwangEventInput = {
  [T in EventType]: Omit<z.input<z.ZodObject<typeof base>>, never> & {
    network: Network;
    type: T;
    payload: z.input<Payloads[T]>;
  };
}[EventType];
