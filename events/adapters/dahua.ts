import { locateJsonError } from '../json-error.ts';
import { mediaType } from './content-type.ts';
import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { isoInZone } from './device-time.ts';
import {
  type AlarmState,
  clip,
  draftEvent,
  ignored,
  issue,
  otherMapping,
  outcomeBuilder,
  queryDevice,
  type Read,
  rawEvidence,
  type SkyMapping,
  shortHash,
} from './draft.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';

/** More parts than this refuse the body: a stream is posted in small batches. */
export const DAHUA_MAX_PARTS = 200;

const EVENT_START = /^\s*(Code\s*=|Heartbeat\s*$)/i;

/**
 * Codes a device sends about itself, not about the scene: clock changes, stream sessions, feature sync, the motion
 * keep-alive, recording files. Matched without regard to case; the reason names the code as written here.
 */
const HOUSEKEEPING = new Map(
  [
    'TimeChange',
    'NTPAdjustTime',
    'RtspSessionDisconnect',
    'LeFunctionStatusSync',
    'VideoMotionInfo',
    'NewFile',
    'IntelliFrame',
    'MDResult',
    'SIPRegisterResult',
    'BackKeyLight',
    'KeepLightOn',
  ].map((code) => [code.toLowerCase(), code]),
);

/** Values of a State part's `State`, `Status` or `Active` item that mean the alarm condition is on. */
const STATE_ON = new Set(['1', 'true', 'on', 'start', 'active', 'alarm']);

/**
 * The Dahua event stream (`eventManager.cgi?action=attach`) as posted by a relay: multipart parts or plain lines,
 * each `Code=…;action=Start|Stop|Pulse|State;index=<channel from 0>[;data={json}]`. `data` may span lines. Issue
 * paths count parts from 0, heartbeats included.
 *
 * The public Dahua HTTP API describes Start (an alarm begins), Stop (it ends) and Pulse (a momentary event);
 * devices also send `action=State`, which reports a code's current state instead of a change: it is an alarm only
 * when its data says the state is on (`State`/`Status`/`Active` 1, true, On, Start, Active), and ignored otherwise
 * (the VideoMotionInfo keep-alive carries nothing but a time). Housekeeping codes are ignored with their name.
 */
export const dahuaAdapter: DeviceAdapter = {
  format: 'dahua',
  contentTypes: ['text/plain', 'multipart/x-mixed-replace', 'multipart/mixed', 'multipart/form-data'],
  parse(request: DeviceRequest): AdapterOutcome {
    const device = queryDevice(request.query);
    if (!device) throw new MalformedBodyError('query parameter device is required for the Dahua event stream');
    const parts = splitParts(request);
    if (parts.length === 0) throw new MalformedBodyError('no event parts in the body');
    const builder = outcomeBuilder();
    parts.forEach((text, i) => {
      builder.add(readPart(text, device, request), `part[${i}]`);
    });
    return builder.outcome;
  },
};

function splitParts(request: DeviceRequest): string[] {
  const decoder = new TextDecoder('utf-8');
  const declared = mediaType(request.contentType).startsWith('multipart/')
    ? boundaryOf(request.contentType)
    : undefined;
  // Relays often drop the Content-Type of the stream: a body that opens with `--x` is multipart with boundary x.
  const sniffed = /^--([^\s]{1,70})\r?\n/.exec(request.body.subarray(0, 80).toString('latin1'))?.[1];
  const boundary = declared ?? sniffed;
  const texts = boundary
    ? parseMultipart(request.body, boundary, DAHUA_MAX_PARTS).map((p) => decoder.decode(p.body))
    : [decoder.decode(request.body)];
  const parts = texts.flatMap(splitLines);
  if (parts.length > DAHUA_MAX_PARTS) throw new MalformedBodyError(`more than ${DAHUA_MAX_PARTS} parts in one body`);
  return parts;
}

/**
 * Splits text into parts at each line that starts `Code=` or is `Heartbeat`. Other lines continue a part only while
 * its `data=` JSON is open (pretty-printed data spans lines); anywhere else they are a part of their own, which then
 * fails to read, so one stray line never spoils its neighbour.
 */
function splitLines(text: string): string[] {
  const parts: string[][] = [];
  let depth = 0;
  for (const line of text.split(/\r?\n/)) {
    const current = parts.at(-1);
    if (current && depth > 0 && !EVENT_START.test(line)) {
      current.push(line);
      depth += braceDepth(line);
    } else if (line.trim() !== '') {
      parts.push([line]);
      if (parts.length > DAHUA_MAX_PARTS) break;
      const data = /;\s*data\s*=/i.exec(line);
      depth = data ? braceDepth(line.slice(data.index)) : 0;
    }
  }
  return parts.map((p) => p.join('\n').trim());
}

// Braces inside JSON strings are rare in Dahua data; a miscount only changes which part a stray line joins.
function braceDepth(text: string): number {
  let depth = 0;
  for (const ch of text) {
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  return depth;
}

function readPart(text: string, device: string, request: DeviceRequest): Read {
  if (/^heartbeat$/i.test(text)) return ignored('heartbeat');
  const fields = readFields(text);
  if (!fields) return issue('', 'expected Code=…;action=…;index=…[;data={…}]');
  const code = fields.get('code');
  if (!code) return issue('', 'Code is required');
  if (code.toLowerCase() === 'heartbeat') return ignored('heartbeat');
  const housekeeping = HOUSEKEEPING.get(code.toLowerCase());
  if (housekeeping) return ignored(`housekeeping (${housekeeping}): not an alarm`);
  const action = fields.get('action')?.toLowerCase();
  if (action !== 'start' && action !== 'stop' && action !== 'pulse' && action !== 'state') {
    return issue('', 'action must be Start, Stop, Pulse or State');
  }
  const index = fields.get('index');
  if (index !== undefined && !/^\d{1,4}$/.test(index)) return issue('', 'index must be a channel number from 0');
  let data: Record<string, unknown> = {};
  const dataText = fields.get('data');
  if (dataText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(dataText);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        data = parsed as Record<string, unknown>;
      }
    } catch {
      const { problem, line, column } = locateJsonError(dataText);
      return issue('', `data is not JSON: ${problem} (line ${line}, column ${column} of data)`);
    }
  }
  if (action === 'state' && !isOn(data)) return ignored('state report: no alarm');
  const utc = data.UTC === undefined ? undefined : Number(data.UTC);
  const occurredAt = isoInZone(utc === undefined ? request.receivedAt.getTime() : utc * 1000, request.timeZone);
  if (!occurredAt) return issue('', 'data.UTC must be seconds since 1970');
  const state: AlarmState = action === 'stop' ? 'inactive' : 'active';
  // Without the device's UTC, identical parts at different times differ only in when they arrived.
  const id = `dahua:${device}:${shortHash(text, utc === undefined ? occurredAt : '')}`;
  const channel = index === undefined ? undefined : String(Number(index) + 1);
  const event = draftEvent(mapCode(code, state, data), {
    id,
    occurredAt,
    source: { id: device, kind: 'camera', ...(channel ? { channel } : {}) },
    evidence: [rawEvidence(text, 'text/plain')],
  });
  return { kind: 'event', event };
}

function isOn(data: Record<string, unknown>): boolean {
  const value = data.State ?? data.Status ?? data.Active;
  return (
    (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
    STATE_ON.has(String(value).trim().toLowerCase())
  );
}

/** `Code=X;action=Y;index=0;data={…}` → fields by lower-cased key; `data` runs to the end (its JSON may hold `;`). */
function readFields(text: string): Map<string, string> | undefined {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < text.length) {
    const eq = text.indexOf('=', at);
    if (eq < 0) return text.slice(at).trim() === '' ? fields : undefined;
    const key = text.slice(at, eq).trim().toLowerCase();
    if (!/^[a-z]{1,20}$/.test(key)) return undefined;
    if (key === 'data') {
      fields.set(key, text.slice(eq + 1).trim());
      break;
    }
    const semicolon = text.indexOf(';', eq);
    fields.set(key, text.slice(eq + 1, semicolon < 0 ? text.length : semicolon).trim());
    at = semicolon < 0 ? text.length : semicolon + 1;
  }
  return fields;
}

function mapCode(code: string, state: AlarmState, data: Record<string, unknown>): SkyMapping {
  const region = clip(typeof data.Name === 'string' ? data.Name : undefined, 40);
  const objectType = objectTypeOf(data.Object);
  const detection = { state, ...(region ? { region } : {}), ...(objectType ? { objectType } : {}) } as const;
  switch (code) {
    case 'CrossLineDetection': {
      const direction =
        data.Direction === 'LeftToRight' ? 'a_to_b' : data.Direction === 'RightToLeft' ? 'b_to_a' : undefined;
      return { type: 'camera.line_crossing', payload: { ...detection, ...(direction ? { direction } : {}) } };
    }
    case 'CrossRegionDetection':
      return { type: 'camera.intrusion', payload: detection };
    case 'WanderDetection':
      return { type: 'camera.loitering', payload: detection };
    case 'VideoBlind':
      return { type: 'camera.tamper', payload: { state } };
    case 'VideoLoss':
      return { type: 'camera.video_loss', payload: { state } };
    case 'VideoMotion':
      return otherMapping('dahua', 'motion', state, region);
    default:
      return otherMapping('dahua', code, state, region);
  }
}

function objectTypeOf(object: unknown): 'person' | 'vehicle' | 'unknown' | undefined {
  if (object === null || typeof object !== 'object') return undefined;
  const type = (object as { ObjectType?: unknown }).ObjectType;
  if (typeof type !== 'string') return undefined;
  if (type === 'Human') return 'person';
  return /vehicle|nonmotor/i.test(type) ? 'vehicle' : 'unknown';
}
