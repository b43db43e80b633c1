import { mediaType } from './content-type.ts';
import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { deviceTime } from './device-time.ts';
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
  type SkyMapping,
  shortHash,
} from './draft.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { childrenNamed, childText, decodeXml, parseXml, type XmlElement } from './xml.ts';

/** At most this many multipart parts: the alert and 7 pictures fill the envelope's 8 evidence items. */
export const HIK_MAX_PARTS = 8;
/** Pictures above this are left out of the evidence, with a rejected issue; the alarm itself still counts. */
export const HIK_MAX_PICTURE_BYTES = 2 * 1024 * 1024;

// ISAPI moved from hikvision.com to isapi.org; older firmware used std-cgi.com; cheap firmware may omit xmlns.
const ISAPI_NAMESPACE = /^(|https?:\/\/www\.(hikvision|isapi|std-cgi)\.(com|org)\/ver\d+\/XMLSchema)$/;

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

/**
 * Hikvision ISAPI `EventNotificationAlert`: XML (either namespace, any prefix), JSON, or multipart with JPEG
 * pictures. The source is the MAC address (lower-case hex), else the query device, else the IP address; its kind
 * is always `camera`, since channel 1 exists on cameras and NVRs alike and a source must not change kind.
 */
export const hikvisionAdapter: DeviceAdapter = {
  format: 'hikvision',
  contentTypes: ['application/xml', 'text/xml', 'application/json', 'multipart/form-data', 'multipart/mixed'],
  parse(request: DeviceRequest): AdapterOutcome {
    const device = queryDevice(request.query);
    const builder = outcomeBuilder();
    const { alertPart, pictures } = mediaType(request.contentType).startsWith('multipart/')
      ? readMultipart(request, builder)
      : { alertPart: { body: request.body, contentType: request.contentType }, pictures: [] };
    const { alert, text, contentType } = readAlert(alertPart.body, alertPart.contentType);
    const evidence = [rawEvidence(text, contentType), ...pictures];
    builder.add(mapAlert(alert, { device, timeZone: request.timeZone }, evidence));
    return builder.outcome;
  },
};

interface AlertPart {
  body: Buffer;
  contentType: string;
}

/** The first XML or JSON part is the alert; pictures become image evidence with their size only. */
function readMultipart(request: DeviceRequest, builder: OutcomeBuilder): { alertPart: AlertPart; pictures: Picture[] } {
  const boundary = boundaryOf(request.contentType);
  if (!boundary) throw new MalformedBodyError('multipart Content-Type without a boundary');
  let alertPart: AlertPart | undefined;
  const pictures: Picture[] = [];
  parseMultipart(request.body, boundary, HIK_MAX_PARTS).forEach((part, i) => {
    const partType = part.headers['content-type'] ?? '';
    const type = mediaType(partType);
    if (type.startsWith('image/') || isJpeg(part.body)) {
      if (part.body.length > HIK_MAX_PICTURE_BYTES) {
        builder.add(issue(`part[${i}]`, 'picture larger than 2 MB: left out of the evidence'));
      } else {
        const contentType = type.startsWith('image/') ? type.slice(0, 100) : 'image/jpeg';
        pictures.push({ kind: 'image', contentType, bytes: part.body.length });
      }
    } else if (/xml|json/.test(type) || startsWith(part.body, '<{')) {
      if (alertPart) builder.add(issue(`part[${i}]`, 'a second alert part: only the first is read'));
      else alertPart = { body: part.body, contentType: partType || 'application/xml' };
    } else builder.add(ignored('multipart part neither alert nor picture'));
  });
  if (!alertPart) throw new MalformedBodyError('multipart body without an XML or JSON alert part');
  return { alertPart, pictures };
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
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new MalformedBodyError('body is not valid JSON');
    }
    return { alert: readJsonAlert(value), text, contentType: contentType || 'application/json' };
  }
  const text = decodeXml(bytes, contentType);
  return { alert: readXmlAlert(parseXml(text)), text, contentType: contentType || 'application/xml' };
}

function readXmlAlert(root: XmlElement): HikAlert {
  if (root.local !== 'EventNotificationAlert' || !ISAPI_NAMESPACE.test(root.ns)) {
    throw new MalformedBodyError('expected an ISAPI EventNotificationAlert (namespace hikvision.com or isapi.org)');
  }
  const ns = root.ns;
  const alert: HikAlert = { regionIds: [], targets: [] };
  for (const field of FIELDS) alert[field] = childText(root, ns, field);
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
  const alert: HikAlert = { regionIds: [], targets: [] };
  for (const field of FIELDS) alert[field] = scalar(object[field]);
  const regions = Array.isArray(object.DetectionRegionList) ? object.DetectionRegionList : [];
  for (const item of regions.slice(0, 16)) {
    const entry = asObject(asObject(item)?.DetectionRegionEntry) ?? asObject(item);
    const id = scalar(entry?.regionID);
    const target = scalar(entry?.detectionTarget);
    if (id) alert.regionIds.push(id);
    if (target) alert.targets.push(target);
  }
  return alert;
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

function mapAlert(
  alert: HikAlert,
  context: { device: string | undefined; timeZone: string },
  evidence: DraftCommon['evidence'],
): Read {
  const eventType = alert.eventType;
  if (!eventType) return issue('eventType', 'is required');
  const state: AlarmState = alert.eventState?.toLowerCase() === 'inactive' ? 'inactive' : 'active';
  // Cameras send this every few seconds as a keep-alive: never an alarm.
  if (eventType.toLowerCase() === 'videoloss' && state === 'inactive' && Number(alert.activePostCount) === 0) {
    return ignored('heartbeat');
  }
  // A MAC is unique and stable; a (private) IP address is neither, so it comes last.
  const mac = alert.macAddress?.replace(/[^0-9a-f]/gi, '').toLowerCase();
  const sourceId = [/^[0-9a-f]{12}$/.test(mac ?? '') ? mac : undefined, context.device, alert.ipAddress].find(
    isSourceId,
  );
  if (!sourceId) return issue('macAddress', 'is required (or ipAddress, or the query parameter device)');
  if (!alert.dateTime) return issue('dateTime', 'is required');
  const occurredAt = deviceTime(alert.dateTime, context.timeZone);
  if (!occurredAt) return issue('dateTime', 'must be an ISO 8601 date-time, e.g. 2026-11-25T02:03:00+08:00');
  const channel = clip(alert.channelID ?? alert.dynChannelID, 32);
  const key = [sourceId, channel ?? '', eventType, alert.dateTime, alert.activePostCount ?? '', state];
  const event = draftEvent(mapType(alert, eventType, state), {
    id: `hik:${shortHash(...key)}`,
    occurredAt,
    source: { id: sourceId, kind: 'camera', ...(channel ? { channel } : {}) },
    evidence,
  });
  return { kind: 'event', event };
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
