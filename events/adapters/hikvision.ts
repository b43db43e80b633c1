import { mediaType } from './content-type.ts';
import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { deviceTime, isoInZone } from './device-time.ts';
import {
  type AlarmState,
  clip,
  type DraftCommon,
  draftEvent,
  ignored,
  isSourceId,
  issue,
  type OutcomeBuilder,
  otherMapping,
  outcomeBuilder,
  queryDevice,
  type Read,
  rawEvidence,
  readJsonBody,
  type SkyMapping,
  shortHash,
} from './draft.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { childrenNamed, childText, decodeXml, parseXml, positionAt, type XmlElement } from './xml.ts';

/** At most this many multipart parts: an alert stream posted in batches (alerts, heartbeats and pictures). */
export const HIK_MAX_PARTS = 500;
/** Pictures kept per alert: with the alert itself they fill the envelope's 8 evidence items. */
export const HIK_MAX_PICTURES = 7;
/** Pictures above this are left out of the evidence, with a rejected issue; the alarm itself still counts. */
export const HIK_MAX_PICTURE_BYTES = 2 * 1024 * 1024;

/**
 * EventNotificationAlert namespaces, matched by URI: ISAPI moved from hikvision.com to isapi.org (ver10 and ver20),
 * older firmware used std-cgi.com, NVRs and older cameras the PSIA namespace; cheap firmware omits xmlns.
 */
const ISAPI_NAMESPACES: ReadonlySet<string> = new Set([
  '',
  'urn:psialliance-org',
  ...['www.hikvision.com', 'www.isapi.org', 'www.isapi.com', 'www.std-cgi.com'].flatMap((host) =>
    ['ver10', 'ver20'].map((version) => `http://${host}/${version}/XMLSchema`),
  ),
]);

/** The fields of an EventNotificationAlert the mapping reads, as text, from XML or JSON alike. */
interface HikAlert {
  ipAddress?: string | undefined;
  macAddress?: string | undefined;
  channelID?: string | undefined;
  dynChannelID?: string | undefined;
  dateTime?: string | undefined;
  eventType?: string | undefined;
  eventState?: string | undefined;
  activePostCount?: string | undefined;
  eventDescription?: string | undefined;
  regionIds: string[];
  targets: string[];
  /** `DurationList/Duration/relationEvent`: the events an `eventType duration` alert says are still going on. */
  relationEvents: string[];
}
const FIELDS = [
  'ipAddress',
  'macAddress',
  'channelID',
  'dynChannelID',
  'dateTime',
  'eventType',
  'eventState',
  'activePostCount',
  'eventDescription',
] as const;

type ObjectType = 'person' | 'vehicle' | 'unknown';

interface Picture {
  kind: 'image';
  contentType: string;
  bytes: number;
}

interface Context {
  device: string | undefined;
  timeZone: string;
  receivedAt: Date;
}

/**
 * Hikvision ISAPI `EventNotificationAlert`: XML (any of its namespaces, any prefix), JSON, multipart/form-data with
 * JPEG pictures, or the alert stream (`multipart/mixed`, many alerts and heartbeats, split by the boundary alone).
 * The source is the MAC address (lower-case hex), else the query device, else the IP address; its kind is always
 * `camera`, since channel 1 exists on cameras and NVRs alike and a source must not change kind. Issue paths of a
 * multipart body name the part (`part[3].dateTime`), counting from 0.
 */
export const hikvisionAdapter: DeviceAdapter = {
  format: 'hikvision',
  contentTypes: ['application/xml', 'text/xml', 'application/json', 'multipart/form-data', 'multipart/mixed'],
  parse(request: DeviceRequest): AdapterOutcome {
    const context: Context = {
      device: queryDevice(request.query),
      timeZone: request.timeZone,
      receivedAt: request.receivedAt,
    };
    const builder = outcomeBuilder();
    if (mediaType(request.contentType).startsWith('multipart/')) {
      for (const alert of readMultipart(request, builder)) {
        for (const read of mapAlert(alert.alert, context, alert.evidence)) builder.add(read, alert.at);
      }
    } else {
      const { alert, text, contentType } = readAlert(request.body, request.contentType);
      for (const read of mapAlert(alert, context, [rawEvidence(text, contentType)])) builder.add(read);
    }
    return builder.outcome;
  },
};

interface PartAlert {
  at: string;
  alert: HikAlert;
  evidence: NonNullable<DraftCommon['evidence']>;
  pictures: number;
}

/**
 * Every XML or JSON part is an alert; a picture belongs to the alert before it (pictures before the first alert to
 * the first). One unreadable alert part is an issue of its own; when no alert part can be read, the body is refused
 * with the first part's error.
 */
function readMultipart(request: DeviceRequest, builder: OutcomeBuilder): PartAlert[] {
  const boundary = boundaryOf(request.contentType);
  if (!boundary) throw new MalformedBodyError('multipart Content-Type without a boundary');
  const alerts: PartAlert[] = [];
  const early: { at: string; picture: Picture }[] = [];
  let firstError: MalformedBodyError | undefined;
  const attach = (owner: PartAlert, at: string, picture: Picture) => {
    if (owner.pictures === HIK_MAX_PICTURES) {
      builder.add(issue(at, `more than ${HIK_MAX_PICTURES} pictures for one alert: left out of the evidence`));
      return;
    }
    owner.pictures++;
    owner.evidence.push(picture);
  };
  parseMultipart(request.body, boundary, HIK_MAX_PARTS).forEach((part, i) => {
    const at = `part[${i}]`;
    const partType = part.headers['content-type'] ?? '';
    const type = mediaType(partType);
    if (type.startsWith('image/') || isJpeg(part.body)) {
      if (part.body.length > HIK_MAX_PICTURE_BYTES) {
        builder.add(issue(at, 'picture larger than 2 MB: left out of the evidence'));
        return;
      }
      const picture: Picture = {
        kind: 'image',
        contentType: type.startsWith('image/') ? type.slice(0, 100) : 'image/jpeg',
        bytes: part.body.length,
      };
      const owner = alerts.at(-1);
      if (owner) attach(owner, at, picture);
      else early.push({ at, picture });
    } else if (/xml|json/.test(type) || startsWith(part.body, '<{')) {
      try {
        const { alert, text, contentType } = readAlert(part.body, partType || 'application/xml');
        const owner: PartAlert = { at, alert, evidence: [rawEvidence(text, contentType)], pictures: 0 };
        alerts.push(owner);
        if (alerts.length === 1) for (const waiting of early.splice(0)) attach(owner, waiting.at, waiting.picture);
      } catch (error) {
        if (!(error instanceof MalformedBodyError)) throw error;
        firstError ??= new MalformedBodyError(`${at}: ${error.reason}`, error.position);
        builder.add(issue(at, error.message));
      }
    } else builder.add(ignored('multipart part neither alert nor picture'));
  });
  if (!alerts.length) throw firstError ?? new MalformedBodyError('multipart body without an XML or JSON alert part');
  return alerts;
}

function isJpeg(body: Buffer): boolean {
  return body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff;
}

function startsWith(body: Buffer, chars: string): boolean {
  const first = body
    .subarray(0, 64)
    .toString('latin1')
    .replace(/^(\uFEFF|\xEF\xBB\xBF)?\s*/, '')[0];
  return first !== undefined && chars.includes(first);
}

function readAlert(bytes: Buffer, contentType: string): { alert: HikAlert; text: string; contentType: string } {
  // Sniff before trusting the label: devices and gateways mislabel bodies.
  const isJson = startsWith(bytes, '{') || (!startsWith(bytes, '<') && mediaType(contentType).includes('json'));
  if (isJson) {
    const text = new TextDecoder('utf-8').decode(bytes);
    const value = readJsonBody(text);
    return { alert: readJsonAlert(value), text, contentType: contentType || 'application/json' };
  }
  const text = decodeXml(bytes, contentType);
  return { alert: readXmlAlert(parseXml(text), text), text, contentType: contentType || 'application/xml' };
}

function readXmlAlert(root: XmlElement, text: string): HikAlert {
  if (root.local !== 'EventNotificationAlert' || !ISAPI_NAMESPACES.has(root.ns)) {
    throw new MalformedBodyError(
      'expected an ISAPI EventNotificationAlert (namespace isapi.org, hikvision.com, std-cgi.com or urn:psialliance-org)',
      positionAt(text, root.start),
    );
  }
  const ns = root.ns;
  const alert: HikAlert = { regionIds: [], targets: [], relationEvents: [] };
  for (const field of FIELDS) alert[field] = childText(root, ns, field);
  for (const list of childrenNamed(root, ns, 'DurationList')) {
    for (const duration of childrenNamed(list, ns, 'Duration')) {
      const related = childText(duration, ns, 'relationEvent');
      if (related) alert.relationEvents.push(related);
    }
  }
  for (const list of childrenNamed(root, ns, 'DetectionRegionList')) {
    for (const entry of childrenNamed(list, ns, 'DetectionRegionEntry')) {
      const id = childText(entry, ns, 'regionID');
      const target = childText(entry, ns, 'detectionTarget');
      if (id) alert.regionIds.push(id);
      if (target) alert.targets.push(target);
    }
  }
  return alert;
}

function readJsonAlert(value: unknown): HikAlert {
  let object = asObject(value);
  // Some firmware wraps the alert in its element name, as the XML does.
  const wrapped = asObject(object?.EventNotificationAlert);
  if (wrapped) object = wrapped;
  if (!object) throw new MalformedBodyError('expected a JSON object with the EventNotificationAlert fields');
  const alert: HikAlert = { regionIds: [], targets: [], relationEvents: [] };
  for (const field of FIELDS) alert[field] = scalar(object[field]);
  for (const entry of jsonList(object.DetectionRegionList, 'DetectionRegionEntry')) {
    const id = scalar(entry.regionID);
    const target = scalar(entry.detectionTarget);
    if (id) alert.regionIds.push(id);
    if (target) alert.targets.push(target);
  }
  for (const entry of jsonList(object.DurationList, 'Duration')) {
    const related = scalar(entry.relationEvent);
    if (related) alert.relationEvents.push(related);
  }
  return alert;
}

/** An ISAPI JSON list: an array of entries, each bare or wrapped in its element name, or one such wrapper. */
function jsonList(value: unknown, entryName: string): Record<string, unknown>[] {
  const wrapped = asObject(value)?.[entryName];
  const items = Array.isArray(value) ? value : Array.isArray(wrapped) ? wrapped : wrapped ? [wrapped] : [];
  return items
    .slice(0, 16)
    .map((item) => asObject(asObject(item)?.[entryName]) ?? asObject(item))
    .filter((entry): entry is Record<string, unknown> => entry !== undefined);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

const TIME_FALLBACK = 'dateTime missing or not a date-time: the alarm is kept at the time it was received';

/**
 * The reads of one alert: none for a heartbeat, one event, or one per related event of a `duration` alert; and a
 * note when the device's dateTime could not be read and the request's arrival time stands in for it.
 */
function mapAlert(alert: HikAlert, context: Context, evidence: DraftCommon['evidence']): Read[] {
  const eventType = alert.eventType;
  if (!eventType) return [issue('eventType', 'is required')];
  const state: AlarmState = alert.eventState?.toLowerCase() === 'inactive' ? 'inactive' : 'active';
  const type = eventType.toLowerCase();
  // Cameras send this every few seconds as a keep-alive: never an alarm. An active alert with activePostCount 0
  // is an alarm all the same, and so is an inactive video loss that counts its posts.
  if (type === 'videoloss' && state === 'inactive' && Number(alert.activePostCount) === 0)
    return [ignored('heartbeat')];
  // The subscription heartbeat of newer firmware says what it is.
  if (type === 'heartbeat') return [ignored('heartbeat')];
  // A MAC is unique and stable; a (private) IP address is neither, so it comes last.
  const mac = alert.macAddress?.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const sourceId = [/^[0-9a-f]{12}$/.test(mac ?? '') ? mac : undefined, context.device, alert.ipAddress].find(
    isSourceId,
  );
  if (!sourceId) return [issue('macAddress', 'is required (or ipAddress, or the query parameter device)')];
  const deviceAt = alert.dateTime ? deviceTime(alert.dateTime, context.timeZone) : undefined;
  // Firmware that garbles its clock still saw the alarm: losing it would be worse than an arrival-time stamp.
  const occurredAt = deviceAt ?? isoInZone(context.receivedAt.getTime(), context.timeZone);
  if (!occurredAt) return [issue('dateTime', 'must be an ISO 8601 date-time, e.g. 2026-11-25T02:03:00+08:00')];
  const channel = clip(alert.channelID ?? alert.dynChannelID, 32);
  const common = {
    occurredAt,
    source: { id: sourceId, kind: 'camera' as const, ...(channel ? { channel } : {}) },
    evidence,
  };
  const key = [sourceId, channel ?? '', eventType, alert.dateTime ?? '', alert.activePostCount ?? '', state];
  // A `duration` alert repeats an alarm that is still going on, once for each event it relates to.
  const mappings =
    type === 'duration' && alert.relationEvents.length > 0
      ? alert.relationEvents.map((related) => ({ key: [...key, related], mapping: mapType(alert, related, state) }))
      : [{ key, mapping: mapType(alert, eventType, state) }];
  const reads: Read[] = mappings.map(({ key, mapping }) => ({
    kind: 'event',
    event: draftEvent(mapping, { id: `hik:${shortHash(...key)}`, ...common }),
  }));
  return deviceAt ? reads : [...reads, ignored(TIME_FALLBACK)];
}

function mapType(alert: HikAlert, eventType: string, state: AlarmState): SkyMapping {
  const region = clip(alert.regionIds.join(','), 40);
  const target = alert.targets[0]?.toLowerCase();
  const objectType: ObjectType | undefined =
    target === 'human' ? 'person' : target === 'vehicle' ? 'vehicle' : target ? 'unknown' : undefined;
  const detection = { state, ...(region ? { region } : {}), ...(objectType ? { objectType } : {}) };
  switch (eventType.toLowerCase()) {
    case 'fielddetection':
    case 'regionentrance':
      return { type: 'camera.intrusion', payload: detection };
    case 'linedetection':
      return { type: 'camera.line_crossing', payload: detection };
    case 'loitering':
      return { type: 'camera.loitering', payload: detection };
    case 'group':
      // ISAPI gives no head count (activePostCount counts posts, not people): 0 means unknown.
      return { type: 'camera.crowd', payload: { ...detection, count: 0 } };
    case 'shelteralarm':
    case 'tamperdetection':
      return { type: 'camera.tamper', payload: { state } };
    case 'videoloss':
      return { type: 'camera.video_loss', payload: { state } };
    case 'nicbroken':
      // The device's own word that its network link broke; its recovery (inactive) must not open an offline alarm.
      if (state === 'active') return { type: 'device.offline', payload: { reason: 'network' } };
      return otherMapping('hikvision', eventType, state, alert.eventDescription);
    default:
      return otherMapping('hikvision', eventType, state, alert.eventDescription);
  }
}
