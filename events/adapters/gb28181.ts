import type { Place } from '../common.ts';
import { isCountyCode } from '../divisions.ts';
import { type AdapterOutcome, type DeviceAdapter, type DeviceRequest, MalformedBodyError } from './device-adapter.ts';
import { deviceTime } from './device-time.ts';
import {
  type AlarmState,
  clip,
  draftEvent,
  ignored,
  issue,
  otherMapping,
  outcomeBuilder,
  type Read,
  rawEvidence,
  type SkyMapping,
} from './draft.ts';
import { child, childText, decodeXml, parseXml, type XmlElement } from './xml.ts';

const VENDOR = 'gb28181';
const METHOD_NAMES: Record<string, string> = {
  '1': 'phone',
  '2': 'device',
  '3': 'sms',
  '4': 'gps',
  '5': 'video',
  '6': 'fault',
  '7': 'other',
};
/** AlarmType names per AlarmMethod (GB/T 28181-2016 A.2.6), for `camera.other` vendor types. */
const TYPE_NAMES: Record<string, Record<string, string>> = {
  '2': { '1': 'video-loss', '2': 'tamper', '3': 'disk-full', '4': 'high-temperature', '5': 'low-temperature' },
  '5': {
    '1': 'manual',
    '2': 'motion',
    '3': 'left-object',
    '4': 'object-removed',
    '5': 'tripwire',
    '6': 'intrusion',
    '7': 'wrong-way',
    '8': 'loitering',
    '9': 'flow-count',
    '10': 'density',
    '11': 'video-abnormal',
    '12': 'fast-movement',
  },
  '6': { '1': 'disk-fault', '2': 'fan-fault' },
};
const PRIORITY_NAMES = ['一级警情', '二级警情', '三级警情', '四级警情'];

/**
 * GB/T 28181 MANSCDP `<Notify>` with CmdType Alarm. The body is read in the encoding its XML declaration names;
 * without one, in GB2312 (the standard's), read with the GB18030 decoder. AlarmTime is local time in the request's
 * zone. AlarmPriority becomes the envelope's devicePriority (rules never grade below it) and names the description
 * of `camera.other` events. DeviceID digits 1–6 become the county only when GB/T 2260 lists them as one; otherwise
 * the event has no county, and an unregistered device is held for registration. AlarmDescription becomes the
 * region of video analytics alarms and the description of `camera.other` events.
 */
export const gb28181Adapter: DeviceAdapter = {
  format: 'gb28181',
  contentTypes: ['application/manscdp+xml', 'application/xml', 'text/xml'],
  parse(request: DeviceRequest): AdapterOutcome {
    const text = decodeXml(request.body, request.contentType, 'gb2312');
    const root = parseXml(text);
    if (root.local !== 'Notify') throw new MalformedBodyError('expected a MANSCDP <Notify>');
    const builder = outcomeBuilder();
    const field = (name: string) => childText(root, root.ns, name);
    const cmdType = field('CmdType')?.toLowerCase();
    if (cmdType === 'keepalive') builder.add(ignored('keepalive'));
    else if (cmdType !== 'alarm') builder.add(ignored('not an alarm (CmdType)'));
    else builder.add(readAlarm(root, field, request, text));
    return builder.outcome;
  },
};

function readAlarm(
  root: XmlElement,
  field: (name: string) => string | undefined,
  request: DeviceRequest,
  text: string,
): Read {
  const deviceId = field('DeviceID');
  if (!deviceId || !/^\d{20}$/.test(deviceId)) return issue('DeviceID', 'must be 20 digits (GB/T 28181)');
  const sn = field('SN');
  if (!sn || !/^\d{1,20}$/.test(sn)) return issue('SN', 'must be a number of at most 20 digits');
  const alarmTime = field('AlarmTime');
  if (!alarmTime) return issue('AlarmTime', 'is required');
  const occurredAt = deviceTime(alarmTime, request.timeZone);
  if (!occurredAt) return issue('AlarmTime', 'must be a date-time like 2026-11-26T02:00:00');
  // GB/T 28181-2016 puts AlarmType under Info; the 2011 edition's devices put it beside AlarmMethod.
  const info = child(root, root.ns, 'Info');
  const alarmType = childText(info, root.ns, 'AlarmType') ?? field('AlarmType');
  const eventType = childText(child(info, root.ns, 'AlarmTypeParam'), root.ns, 'EventType');
  const priority = Number(field('AlarmPriority'));
  const alarmDescription = freeText(field('AlarmDescription'));
  const description = [PRIORITY_NAMES[priority - 1], alarmDescription].filter(Boolean).join(' ');
  const mapping = mapAlarm(field('AlarmMethod') ?? '', alarmType ?? '', eventType, { description, alarmDescription });
  // Digits 1–6 are the county only when the division list says so: prefecture codes (640100) and the factory
  // default id (34020000001320000001) are common, and a wrong county would route the alarm to the wrong desk.
  const county = deviceId.slice(0, 6);
  const place = { ...(isCountyCode(county) ? { county } : {}), ...position(field('Longitude'), field('Latitude')) };
  const event = draftEvent(mapping, {
    id: `gb:${deviceId}:${sn}:${alarmTime.replace(' ', 'T').replace(/[^\w.:-]/g, '_')}`,
    occurredAt,
    source: { id: deviceId, kind: sourceKind(deviceId) },
    ...(Object.keys(place).length ? { place } : {}),
    evidence: [rawEvidence(text, request.contentType || 'Application/MANSCDP+xml')],
    ...(priority >= 1 && priority <= 4 ? { devicePriority: priority as 1 | 2 | 3 | 4 } : {}),
  });
  return { kind: 'event', event };
}

/**
 * AlarmDescription is free text an installer typed: cut short for the zone name it usually is, and without long
 * digit runs, which no description needs and which may be an ID or phone number.
 */
function freeText(text: string | undefined): string | undefined {
  return clip(text?.replace(/\d{7,}[\dXx]?/g, '*'), 40);
}

function mapAlarm(
  method: string,
  type: string,
  eventType: string | undefined,
  text: { description: string; alarmDescription: string | undefined },
): SkyMapping {
  const state: AlarmState = 'active';
  // The description names the zone or what happened: it goes where the rules' timeline detail reads it.
  const region = text.alarmDescription ? { region: text.alarmDescription } : {};
  const said = text.alarmDescription ? { description: text.alarmDescription } : {};
  if (method === '5') {
    switch (type) {
      case '5':
        return { type: 'camera.line_crossing', payload: { state, ...region } };
      case '6':
        return { type: 'camera.intrusion', payload: { state: eventType === '2' ? 'inactive' : 'active', ...region } };
      case '8':
        return { type: 'camera.loitering', payload: { state, ...region } };
      case '10':
        // The notify carries no head count: 0 means unknown.
        return { type: 'camera.crowd', payload: { state, count: 0, ...region } };
      case '11':
        return { type: 'camera.tamper', payload: { state, ...said } };
    }
  } else if (method === '2') {
    if (type === '1') return { type: 'camera.video_loss', payload: { state, ...said } };
    if (type === '2') return { type: 'camera.tamper', payload: { state, ...said } };
  }
  const methodName = METHOD_NAMES[method] ?? `method-${method || 'none'}`;
  const typeName = type ? (TYPE_NAMES[method]?.[type] ?? `type-${type}`) : undefined;
  return otherMapping(VENDOR, typeName ? `${methodName}/${typeName}` : methodName, state, text.description);
}

/** Digits 11–13 of a GB/T 28181 id name the device type. */
function sourceKind(deviceId: string): 'camera' | 'nvr' | 'alarm_input' {
  const code = deviceId.slice(10, 13);
  if (code === '111' || code === '112' || code === '115' || code === '118') return 'nvr';
  if (code === '117' || code === '134') return 'alarm_input';
  return 'camera';
}

// Devices without a fix send 0/0: that is no position, not the Gulf of Guinea.
function position(lonText: string | undefined, latText: string | undefined): Pick<Place, 'lat' | 'lon'> {
  const lon = Number(lonText);
  const lat = Number(latText);
  const valid =
    lonText && latText && Number.isFinite(lon) && Number.isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  return valid && (lat !== 0 || lon !== 0) ? { lat, lon } : {};
}
