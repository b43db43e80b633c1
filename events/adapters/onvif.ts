import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { deviceTime } from './device-time.ts';
import {
  type AlarmState,
  clip,
  draftEvent,
  ignored,
  isSourceId,
  issue,
  otherMapping,
  outcomeBuilder,
  queryDevice,
  type Read,
  rawEvidence,
  type SkyMapping,
  shortHash,
} from './draft.ts';
import { child, childrenNamed, childText, decodeXml, parseXml, resolveQName, XML_NS, type XmlElement } from './xml.ts';

/** More messages than this in one Notify refuse the body: a camera sends a handful. */
export const ONVIF_MAX_MESSAGES = 100;

/** Topics sanwang maps, by their path under tns1 (`http://www.onvif.org/ver10/topics`), and their state item. */
const TOPICS: Record<string, { item?: string; map: (state: AlarmState, region?: string) => SkyMapping }> = {
  'RuleEngine/FieldDetector/ObjectsInside': {
    item: 'IsInside',
    map: (state, region) => ({ type: 'camera.intrusion', payload: { state, ...(region ? { region } : {}) } }),
  },
  'RuleEngine/LineDetector/Crossed': {
    map: (state, region) => ({ type: 'camera.line_crossing', payload: { state, ...(region ? { region } : {}) } }),
  },
  'RuleEngine/TamperDetector/Tamper': {
    item: 'IsTamper',
    map: (state) => ({ type: 'camera.tamper', payload: { state } }),
  },
  'RuleEngine/CellMotionDetector/Motion': { item: 'IsMotion', map: (state) => otherMapping('onvif', 'motion', state) },
  'VideoSource/MotionAlarm': { item: 'State', map: (state) => otherMapping('onvif', 'motion', state) },
  'Device/Trigger/DigitalInput': {
    item: 'LogicalState',
    map: (state) => otherMapping('onvif', 'digital-input', state),
  },
};

const CHANNEL_ITEMS = ['VideoSourceConfigurationToken', 'VideoSourceToken', 'InputToken'];

/**
 * ONVIF `wsnt:Notify` (SOAP 1.2 or 1.1 envelope, or bare) and the pulled `tev:PullMessagesResponse`. Elements and
 * topics are matched by namespace URI, whatever prefixes the vendor chose. Issue paths count messages from 0.
 */
export const onvifAdapter: DeviceAdapter = {
  format: 'onvif',
  contentTypes: ['application/soap+xml', 'application/xml', 'text/xml'],
  parse(request: DeviceRequest): AdapterOutcome {
    const device = queryDevice(request.query);
    const text = decodeXml(request.body, request.contentType);
    const messages = notificationMessages(parseXml(text));
    if (messages.length > ONVIF_MAX_MESSAGES) {
      throw new MalformedBodyError(`more than ${ONVIF_MAX_MESSAGES} NotificationMessages in one body`);
    }
    const builder = outcomeBuilder();
    messages.forEach((message, i) => {
      builder.add(readMessage(message, `NotificationMessage[${i}]`, { device, text, request }));
    });
    return builder.outcome;
  },
};

function notificationMessages(root: XmlElement): XmlElement[] {
  let container: XmlElement | undefined = root;
  if (root.local === 'Envelope' && (root.ns === XML_NS.soap12 || root.ns === XML_NS.soap11)) {
    container = child(root, root.ns, 'Body')?.children[0];
  }
  const isNotify = container?.ns === XML_NS.wsnt && container.local === 'Notify';
  const isPull = container?.ns === XML_NS.tev && container.local === 'PullMessagesResponse';
  if (!isNotify && !isPull) {
    throw new MalformedBodyError(`expected a Notify in namespace ${XML_NS.wsnt} (bare or in a SOAP Body)`);
  }
  return childrenNamed(container, XML_NS.wsnt, 'NotificationMessage');
}

interface Context {
  device: string | undefined;
  text: string;
  request: DeviceRequest;
}

function readMessage(message: XmlElement, path: string, { device, text, request }: Context): Read {
  const topicElement = child(message, XML_NS.wsnt, 'Topic');
  if (!topicElement?.text) return issue(`${path}.Topic`, 'is required');
  const topic = readTopic(topicElement);
  // Processor load, last reboot, clock sync and the like: a pull subscription hands them out beside the alarms.
  if (topic.onvifPath?.startsWith('Monitoring/')) return ignored('device status (tns1:Monitoring): not an alarm');
  const inner = child(child(message, XML_NS.wsnt, 'Message'), XML_NS.tt, 'Message');
  if (!inner) return issue(`${path}.Message`, 'must hold a tt:Message');
  const operation = inner.attrs.PropertyOperation;
  if (operation === 'Deleted') return ignored('property deleted');
  const utcTime = inner.attrs.UtcTime;
  if (!utcTime) return issue(`${path}.Message.UtcTime`, 'is required');
  // UtcTime is UTC by definition, with or without a Z.
  const occurredAt = deviceTime(utcTime, 'UTC');
  if (!occurredAt) return issue(`${path}.Message.UtcTime`, 'must be an ISO 8601 date-time');
  const address = childText(child(message, XML_NS.wsnt, 'ProducerReference'), XML_NS.wsa, 'Address');
  const sourceId = device ?? producerId(address);
  if (!sourceId) {
    return issue(
      `${path}.ProducerReference`,
      'must hold a wsa:Address naming the device when the query parameter device is absent',
    );
  }
  const sourceItems = simpleItems(child(inner, XML_NS.tt, 'Source'));
  const dataItems = simpleItems(child(inner, XML_NS.tt, 'Data'));
  const known = topic.onvifPath === undefined ? undefined : TOPICS[topic.onvifPath];
  // A known topic's state is its named item (Crossed has none: an event, not a state); an unknown topic's is its
  // first true/false item, if any.
  const flag = known ? (known.item ? bool(dataItems.get(known.item)) : undefined) : firstBool(dataItems);
  // Initialized reports a property's state when a subscription starts: only a state that is on is an alarm.
  if (operation === 'Initialized' && flag !== true) return ignored('initial state: no alarm');
  const state: AlarmState = flag === false ? 'inactive' : 'active';
  const region = clip(sourceItems.get('Rule'), 40);
  const mapping = known
    ? known.map(state, region)
    : otherMapping('onvif', topic.name, state, describe(topic.name, dataItems));
  const channel = clip(
    CHANNEL_ITEMS.map((name) => sourceItems.get(name)).find((v) => v),
    32,
  );
  const id = `onvif:${shortHash(
    sourceId,
    topic.key,
    utcTime,
    operation ?? '',
    [...sourceItems].join(';'),
    [...dataItems].join(';'),
  )}`;
  const raw = rawEvidence(text.slice(message.start, message.end), request.contentType || 'application/soap+xml');
  const event = draftEvent(mapping, {
    id,
    occurredAt,
    source: { id: sourceId, kind: 'camera', ...(channel ? { channel } : {}) },
    evidence: [raw],
  });
  return { kind: 'event', event };
}

/** The topic with its root prefix resolved: `key` is prefix-free, `onvifPath` set for tns1 topics. */
function readTopic(element: XmlElement): { key: string; name: string; onvifPath?: string } {
  const [first = '', ...rest] = element.text.split('/');
  const root = resolveQName(element, first);
  const segments = [root.local, ...rest.map((s) => s.slice(s.indexOf(':') + 1))].map((s) => s.trim());
  const name = segments.join('/');
  const key = `${root.ns ?? first}|${name}`;
  return root.ns === XML_NS.tns1 ? { key, name, onvifPath: name } : { key, name };
}

function producerId(address: string | undefined): string | undefined {
  if (!address) return undefined;
  let host = '';
  try {
    host = new URL(address).hostname.replace(/^\[|\]$/g, '');
  } catch {
    // not a URL: a urn:uuid or a bare host name
  }
  return [host, address].find((candidate) => candidate && isSourceId(candidate));
}

function simpleItems(element: XmlElement | undefined): Map<string, string> {
  const items = new Map<string, string>();
  for (const item of childrenNamed(element, XML_NS.tt, 'SimpleItem')) {
    const name = item.attrs.Name;
    if (name) items.set(name, item.attrs.Value ?? '');
  }
  return items;
}

function bool(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : undefined;
}

function firstBool(items: Map<string, string>): boolean | undefined {
  for (const value of items.values()) {
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === 'false') return v === 'true';
  }
  return undefined;
}

function describe(topic: string, data: Map<string, string>): string {
  return [topic, ...[...data].map(([k, v]) => `${k}=${v}`)].join(' ');
}
