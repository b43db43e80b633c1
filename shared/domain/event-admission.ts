import { Instant } from '../../events/common.ts';
import type { SanwangEvent } from '../../events/envelope.ts';
import { type FieldIssue, parseEvent } from '../../events/validation.ts';
import { type EventTimePolicy, occurredAtIssue } from './event-time.ts';
import { DEFAULT_MAX_DEVICE_PRIORITY, type Integration, networkIssue, outsideRegistration } from './integrations.ts';
import { pseudonymizeId } from './personal-data-masking.ts';

/** The time limits an event must meet at the door (from the ingest's configuration). */
export type AdmissionPolicy = Pick<EventTimePolicy, 'maxSkewMs' | 'retentionMs'>;

/** Who sent an event, how, and when sanwang received it. */
export interface AdmissionContext {
  integration: Integration;
  /** A device format, or `canonical`. */
  format: string;
  receivedAt: Date;
  policy: AdmissionPolicy;
}

/** An admitted event (perhaps adjusted, each adjustment noted by field) or the issues that keep it out. */
export type Admission = { ok: true; event: SanwangEvent; notes: FieldIssue[] } | { ok: false; issues: FieldIssue[] };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The item with its `id` and `source.id` pseudonymized when they hold personal data ({@link pseudonymizeId}):
 * done at the door, before anything is stored, put on the stream or answered.
 */
export function pseudonymizeIds<T>(item: T): T {
  if (!isRecord(item)) return item;
  let out: Record<string, unknown> = item;
  if (typeof item.id === 'string') {
    const id = pseudonymizeId(item.id);
    if (id !== item.id) out = { ...out, id };
  }
  const source = item.source;
  if (isRecord(source) && typeof source.id === 'string') {
    const id = pseudonymizeId(source.id);
    if (id !== source.id) out = { ...out, source: { ...source, id } };
  }
  return out as T;
}

function timeIssue(occurredAt: string, ctx: AdmissionContext): FieldIssue | undefined {
  return occurredAtIssue(Date.parse(occurredAt), ctx.receivedAt.getTime(), ctx.policy);
}

/**
 * What can be checked of an event that has no place yet (its device is not registered, so it is held): its
 * network and, when it reads, its time. The rest waits for {@link admitEvent} when the device is registered.
 */
export function issuesBeforePlacement(draft: unknown, ctx: AdmissionContext): FieldIssue[] {
  if (!isRecord(draft)) return [];
  const issues: FieldIssue[] = [];
  const network = networkIssue(ctx.integration, draft.network);
  if (network) issues.push(network);
  if (Instant.safeParse(draft.occurredAt).success) {
    const time = timeIssue(draft.occurredAt as string, ctx);
    if (time) issues.push(time);
  }
  return issues;
}

/**
 * Admits one event as the ingest does for a live event and for a held one on release: ids pseudonymized,
 * `receivedAt` set to sanwang's own time, the schema, the integration's registration (format, network,
 * jurisdiction), the time limits, and a `devicePriority` above the integration's ceiling lowered to it (noted).
 */
export function admitEvent(candidate: unknown, ctx: AdmissionContext): Admission {
  // receivedAt is sanwang's: whatever an integration put there is replaced.
  const input = isRecord(candidate)
    ? { ...pseudonymizeIds(candidate), receivedAt: ctx.receivedAt.toISOString() }
    : candidate;
  const parsed = parseEvent(input);
  if (!parsed.ok) return parsed;
  const issues = [
    outsideRegistration(ctx.integration, parsed.event, ctx.format),
    timeIssue(parsed.event.occurredAt, ctx),
  ].filter((issue): issue is FieldIssue => issue !== undefined);
  if (issues.length > 0) return { ok: false, issues };

  const ceiling = ctx.integration.maxDevicePriority ?? DEFAULT_MAX_DEVICE_PRIORITY;
  const claimed = parsed.event.devicePriority;
  if (claimed === undefined || claimed >= ceiling) return { ok: true, event: parsed.event, notes: [] };
  return {
    ok: true,
    event: { ...parsed.event, devicePriority: ceiling },
    notes: [
      {
        path: 'devicePriority',
        message: `lowered to ${ceiling}: integration ${ctx.integration.id} may claim no level more severe (1 is the most severe)`,
      },
    ],
  };
}
