import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { Evidence } from '../common.ts';
import { EVENT_NETWORK, type EventType, type SanwangEventInput } from '../envelope.ts';
import { locateJsonError } from '../json-error.ts';
import type { skyPayloads } from '../payloads/sky.ts';
import { type AdapterOutcome, type DraftEvent, MalformedBodyError } from './device-adapter.ts';

type SkyType = keyof typeof skyPayloads;
type PayloadOf<T extends EventType> = Extract<SanwangEventInput, { type: T }>['payload'];
type EvidenceInput = z.input<typeof Evidence>;

/** What one device event means: a sky-net type and its payload. */
export type SkyMapping = { [T in SkyType]: { type: T; payload: PayloadOf<T> } }[SkyType];
export type AlarmState = 'active' | 'inactive';

/** The envelope fields an adapter reads from the device; `network` follows from the type. */
export interface DraftCommon {
  id: string;
  occurredAt: string;
  source: DraftEvent['source'];
  place?: DraftEvent['place'];
  evidence?: EvidenceInput[];
  devicePriority?: 1 | 2 | 3 | 4;
}

/** Assembles a draft event from its mapping and envelope fields. */
export function draftEvent(mapping: SkyMapping, common: DraftCommon): DraftEvent {
  const { place, evidence, ...rest } = common;
  return {
    schemaVersion: 1,
    ...rest,
    ...(place ? { place } : {}),
    ...(evidence?.length ? { evidence } : {}),
    network: EVENT_NETWORK[mapping.type],
    type: mapping.type,
    payload: mapping.payload,
  } as DraftEvent;
}

/** A device event type sanwang has no rule for: kept as `camera.other`, never rejected. */
export function otherMapping(vendor: string, vendorType: string, state: AlarmState, description?: string): SkyMapping {
  const desc = clip(description, 200);
  return {
    type: 'camera.other',
    payload: { state, vendor, vendorType: clip(vendorType, 64) || 'unknown', ...(desc ? { description: desc } : {}) },
  };
}

/** The first 20 hex digits of SHA-1 over the parts: a stable event id from the fields that identify an event. */
export function shortHash(...parts: readonly string[]): string {
  return createHash('sha1').update(parts.join('\u001f')).digest('hex').slice(0, 20);
}

/** Trims and cuts text to `max` UTF-16 units without splitting a surrogate pair; undefined when empty. */
export function clip(text: string | undefined, max: number): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length <= max) return trimmed;
  const code = trimmed.charCodeAt(max - 1);
  return trimmed.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export const RAW_EVIDENCE_MAX = 16_384;

/** The device's own text payload, kept as evidence (cut to the envelope's 16,384 characters). */
export function rawEvidence(text: string, contentType: string): EvidenceInput {
  return { kind: 'raw', raw: clip(text, RAW_EVIDENCE_MAX) ?? '', contentType: contentType.slice(0, 100) };
}

const SOURCE_ID = /^[\w.:@/-]{1,64}$/;

/** Whether a string may be a `source.id` (the Kinesis partition key). */
export function isSourceId(id: string | undefined): id is string {
  return id !== undefined && SOURCE_ID.test(id);
}

/** The `device` query parameter, if given; a malformed one refuses the request (it is the integrator's config). */
export function queryDevice(query: Readonly<Record<string, string | undefined>>): string | undefined {
  const device = query.device;
  if (device === undefined || device === '') return undefined;
  if (!isSourceId(device)) {
    throw new MalformedBodyError('query parameter device must be 1–64 letters, digits or . _ : @ / -');
  }
  return device;
}

/**
 * Parses a device's JSON body; an unreadable one is a MalformedBodyError naming the problem, line and column, in
 * the words the canonical path uses, never quoting the body.
 */
export function readJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const { problem, line, column } = locateJsonError(text);
    throw new MalformedBodyError(`body is not JSON: ${problem}`, { line, column });
  }
}

/** What reading one device message gave: an event, a reason to ignore it, or an issue with one field. */
export type Read =
  | { kind: 'event'; event: DraftEvent }
  | { kind: 'ignored'; reason: string }
  | { kind: 'issue'; path: string; message: string };

export const issue = (path: string, message: string): Read => ({ kind: 'issue', path, message });
export const ignored = (reason: string): Read => ({ kind: 'ignored', reason });

/** Collects reads into an outcome; `ignored` keeps one entry per reason. */
export function outcomeBuilder() {
  const outcome: AdapterOutcome = { events: [], ignored: [], rejected: [] };
  return {
    outcome,
    /** Adds a read; `at` (e.g. `part[3]`) prefixes the path of an issue. */
    add(read: Read, at?: string): void {
      if (read.kind === 'event') outcome.events.push(read.event);
      else if (read.kind === 'issue') {
        const path = at && read.path ? `${at}.${read.path}` : (at ?? read.path);
        outcome.rejected.push({ path, message: read.message });
      } else {
        const entry = outcome.ignored.find((i) => i.reason === read.reason);
        if (entry) entry.count++;
        else outcome.ignored.push({ reason: read.reason, count: 1 });
      }
    },
  };
}
export type OutcomeBuilder = ReturnType<typeof outcomeBuilder>;
