import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import {
  HIK_MAX_PARTS,
  HIK_MAX_PICTURE_BYTES,
  HIK_MAX_PICTURES,
  hikvisionAdapter,
} from '../../../../events/adapters/hikvision.ts';
import { deviceRequest, fixture, only, RECEIVED_AT, stateOf, thrown, validEvents } from './helpers.ts';

const XML = 'application/xml; charset="UTF-8"';
const MULTIPART = 'multipart/form-data; boundary=MIME_boundary';
const parse = (body: Buffer | string, contentType = XML, query = {}) =>
  hikvisionAdapter.parse(deviceRequest(body, contentType, query));
const lineXml = fixture('hikvision', 'linedetection.xml').toString('utf8');
const withType = (eventType: string, state = 'active') =>
  lineXml.replace('linedetection</eventType>', `${eventType}</eventType>`).replace('>active<', `>${state}<`);

function jpeg(size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x42);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  bytes.set([0xff, 0xd9], size - 2);
  return bytes;
}

function multipart(parts: { type: string; body: Buffer }[], boundary = 'MIME_boundary'): Buffer {
  const chunks = parts.flatMap((p, i) => [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="p${i}"\r\nContent-Type: ${p.type}\r\n\r\n`),
    p.body,
    Buffer.from('\r\n'),
  ]);
  return Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]);
}

describe('hikvision adapter', () => {
  it('reads a line-crossing alert in the hikvision.com namespace', () => {
    const outcome = parse(lineXml);
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event).toMatchObject({
      id: expect.stringMatching(/^hik:[0-9a-f]{20}$/),
      occurredAt: '2026-11-26T02:00:00+08:00',
      source: { id: '4419b66d2485', kind: 'camera', channel: '1' },
      payload: { state: 'active', region: '1', objectType: 'person' },
    });
    expect(event.evidence).toEqual([{ kind: 'raw', raw: lineXml.trim(), contentType: XML }]);
    expect(outcome.ignored).toEqual([]);
    expect(outcome.rejected).toEqual([]);
  });

  it('reads a prefixed alert in the isapi.org namespace and a local time in the request zone', () => {
    const body = fixture('hikvision', 'fielddetection-isapi-prefixed.xml');
    const event = only(validEvents(parse(body)), 'camera.intrusion');
    expect(event).toMatchObject({
      occurredAt: '2026-11-26T02:14:37+08:00',
      source: { id: 'bcad28910f3e', kind: 'camera', channel: '3' },
      payload: { state: 'active', region: '2', objectType: 'vehicle' },
    });
  });

  it('gives the same events whatever the namespace prefix', () => {
    const prefixed = lineXml
      .replace(/<(\/?)([A-Za-z])/g, '<$1isapi:$2')
      .replace(
        'xmlns="http://www.hikvision.com/ver20/XMLSchema"',
        'xmlns:isapi="http://www.hikvision.com/ver20/XMLSchema"',
      );
    const plain = parse(lineXml).events.map(({ evidence, ...e }) => e);
    expect(parse(prefixed).events.map(({ evidence, ...e }) => e)).toEqual(plain);
  });

  it('reads the ISAPI JSON form', () => {
    const body = fixture('hikvision', 'shelteralarm.json');
    const event = only(validEvents(parse(body, 'application/json')), 'camera.tamper');
    expect(event).toMatchObject({
      occurredAt: '2026-11-26T03:05:10+08:00',
      source: { id: '4419b66d2486', channel: '1' },
      payload: { state: 'active' },
    });
    expect(event.evidence?.[0]).toMatchObject({ kind: 'raw', contentType: 'application/json' });
  });

  it('records multipart pictures as image evidence, without their bytes', () => {
    const outcome = parse(fixture('hikvision', 'multipart-linedetection.bin'), MULTIPART);
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event.evidence).toEqual([
      {
        kind: 'raw',
        raw: expect.stringContaining('<eventType>linedetection</eventType>'),
        contentType: expect.any(String),
      },
      { kind: 'image', contentType: 'image/jpeg', bytes: 222 },
      { kind: 'image', contentType: 'image/jpeg', bytes: 222 },
    ]);
    expect(JSON.stringify(event)).not.toContain('JFIF');
  });

  it('reads multipart/mixed the same way', () => {
    const body = fixture('hikvision', 'multipart-linedetection.bin');
    const mixed = parse(body, 'multipart/mixed; boundary="MIME_boundary"').events;
    expect(mixed).toEqual(parse(body, MULTIPART).events);
  });

  it('leaves a picture over 2 MB out of the evidence and still reports the alarm', () => {
    const body = multipart([
      { type: 'application/xml', body: Buffer.from(lineXml) },
      { type: 'image/jpeg', body: jpeg(HIK_MAX_PICTURE_BYTES + 1) },
      { type: 'image/jpeg', body: jpeg(1000) },
    ]);
    const outcome = parse(body, MULTIPART);
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event.evidence?.filter((e) => e.kind === 'image')).toEqual([
      { kind: 'image', contentType: 'image/jpeg', bytes: 1000 },
    ]);
    expect(outcome.rejected).toEqual([{ path: 'part[1]', message: expect.stringContaining('2 MB') }]);
  });

  it(`keeps ${HIK_MAX_PICTURES} pictures an alert and names the ones left out`, () => {
    const parts: { type: string; body: Buffer }[] = [{ type: 'application/xml', body: Buffer.from(lineXml) }];
    for (let i = 0; i < HIK_MAX_PICTURES + 1; i++) parts.push({ type: 'image/jpeg', body: jpeg(100) });
    const outcome = parse(multipart(parts), MULTIPART);
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event.evidence).toHaveLength(1 + HIK_MAX_PICTURES);
    expect(outcome.rejected).toEqual([
      { path: `part[${HIK_MAX_PICTURES + 1}]`, message: expect.stringContaining('left out of the evidence') },
    ]);
  });

  it(`refuses a multipart body of more than ${HIK_MAX_PARTS} parts`, () => {
    const heartbeat = fixture('hikvision', 'heartbeat.xml');
    const parts = Array.from({ length: HIK_MAX_PARTS + 1 }, () => ({ type: 'application/xml', body: heartbeat }));
    const error = thrown(() => parse(multipart(parts), MULTIPART));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as Error).message).toContain(`more than ${HIK_MAX_PARTS} parts`);
  });

  it('refuses a multipart body without an alert part or without a boundary', () => {
    const pictures = multipart([{ type: 'image/jpeg', body: jpeg(100) }]);
    expect(thrown(() => parse(pictures, MULTIPART))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse(pictures, 'multipart/form-data'))).toBeInstanceOf(MalformedBodyError);
  });

  it('ignores heartbeats (videoloss, inactive, activePostCount 0)', () => {
    const outcome = parse(fixture('hikvision', 'heartbeat.xml'));
    expect(outcome).toEqual({ events: [], ignored: [{ reason: 'heartbeat', count: 1 }], rejected: [] });
  });

  it('reads a real video loss and an inactive state', () => {
    expect(only(validEvents(parse(withType('videoloss'))), 'camera.video_loss').payload.state).toBe('active');
    expect(only(validEvents(parse(withType('fielddetection', 'inactive'))), 'camera.intrusion').payload.state).toBe(
      'inactive',
    );
  });

  it.each([
    ['fielddetection', 'camera.intrusion'],
    ['regionEntrance', 'camera.intrusion'],
    ['linedetection', 'camera.line_crossing'],
    ['loitering', 'camera.loitering'],
    ['group', 'camera.crowd'],
    ['shelteralarm', 'camera.tamper'],
    ['tamperdetection', 'camera.tamper'],
    ['videoloss', 'camera.video_loss'],
    ['nicbroken', 'device.offline'],
    ['facedetection', 'camera.other'],
    ['faceCapture', 'camera.other'],
    ['diskfull', 'camera.other'],
    ['diskerror', 'camera.other'],
    ['ipconflict', 'camera.other'],
    ['illaccess', 'camera.other'],
    ['regionExiting', 'camera.other'],
    ['VMD', 'camera.other'],
  ])('maps eventType %s to %s', (eventType, type) => {
    expect(validEvents(parse(withType(eventType))).map((e) => e.type)).toEqual([type]);
  });

  it('keeps unknown types as camera.other with the vendor type and description', () => {
    const event = only(validEvents(parse(withType('PIR'))), 'camera.other');
    expect(event.payload).toEqual({
      state: 'active',
      vendor: 'hikvision',
      vendorType: 'PIR',
      description: 'linedetection alarm',
    });
  });

  it('reports a crowd with an unknown head count as 0', () => {
    expect(only(validEvents(parse(withType('group'))), 'camera.crowd').payload.count).toBe(0);
  });

  it('does not open an offline alarm when a broken network link recovers', () => {
    const event = only(validEvents(parse(withType('nicbroken', 'inactive'))), 'camera.other');
    expect(event.payload).toMatchObject({ state: 'inactive', vendorType: 'nicbroken' });
  });

  it('gives a resent alert the same id and the next post a new one', () => {
    const first = parse(lineXml).events[0]?.id;
    expect(parse(lineXml).events[0]?.id).toBe(first);
    const next = lineXml.replace('<activePostCount>1<', '<activePostCount>2<');
    expect(parse(next).events[0]?.id).not.toBe(first);
  });

  it('falls back to the query device, then the IP address, without a MAC address', () => {
    const noMac = lineXml.replace(/<macAddress>.*<\/macAddress>/, '');
    expect(parse(noMac, XML, { device: 'gate-cam-1' }).events[0]?.source.id).toBe('gate-cam-1');
    expect(parse(noMac).events[0]?.source.id).toBe('192.168.1.64');
  });

  it('takes the IP address when the MAC address is not one, and refuses a malformed query device', () => {
    const badMac = lineXml.replace('44:19:b6:6d:24:85', 'unknown');
    expect(parse(badMac).events[0]?.source.id).toBe('192.168.1.64');
    expect(thrown(() => parse(lineXml, XML, { device: 'a b' }))).toBeInstanceOf(MalformedBodyError);
  });

  it('counts multipart parts that are neither alert nor picture as ignored', () => {
    const body = multipart([
      { type: 'application/xml', body: Buffer.from(lineXml) },
      { type: 'text/plain', body: Buffer.from('note') },
    ]);
    expect(parse(body, MULTIPART).ignored).toEqual([{ reason: 'multipart part neither alert nor picture', count: 1 }]);
  });

  it('keeps an alert without a dateTime or with one that is no date-time, at the time it was received, and says so', () => {
    for (const body of [
      lineXml.replace(/<dateTime>.*<\/dateTime>/, ''),
      lineXml.replace('2026-11-26T02:00:00+08:00', '2026-13-26T02:00:00+08:00'),
    ]) {
      const outcome = parse(body);
      const event = only(validEvents(outcome), 'camera.line_crossing');
      expect(Date.parse(event.occurredAt)).toBe(Date.parse(RECEIVED_AT));
      expect(outcome.ignored).toEqual([{ reason: expect.stringContaining('time it was received'), count: 1 }]);
      expect(outcome.rejected).toEqual([]);
    }
  });

  it('refuses XML that is not well-formed, with its line and column', () => {
    const error = thrown(() => parse(lineXml.replace('</channelID>', '</channel>')));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as MalformedBodyError).position).toEqual({ line: 7, column: expect.any(Number) });
    expect((error as Error).message).toMatch(/\(line 7, column \d+\)$/);
  });

  it('refuses other XML, a DOCTYPE, and bodies that are neither XML nor JSON', () => {
    expect(thrown(() => parse('<ResponseStatus xmlns="http://www.isapi.org/ver20/XMLSchema"/>'))).toBeInstanceOf(
      MalformedBodyError,
    );
    expect(thrown(() => parse(`<!DOCTYPE x [<!ENTITY a "b">]>${lineXml.slice(39)}`))).toBeInstanceOf(
      MalformedBodyError,
    );
    expect(thrown(() => parse('hello', 'text/plain'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('{"eventType":', 'application/json'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('[1,2]', 'application/json'))).toBeInstanceOf(MalformedBodyError);
  });
});

describe('hikvision adapter, as real devices send it', () => {
  const STREAM = 'multipart/mixed; boundary=boundary';

  it.each([
    ['fielddetection-psialliance.xml', 'urn:psialliance-org', 'camera.intrusion', 'c056e31a2b3c'],
    ['linedetection-ver10.xml', 'hikvision.com ver10', 'camera.line_crossing', '2857be0a417d'],
    ['intrusion-isapi-ver10.xml', 'isapi.org ver10', 'camera.intrusion', '2857be0a417e'],
  ])('reads %s (namespace %s)', (name, _namespace, type, source) => {
    const outcome = parse(fixture('hikvision', name));
    expect(validEvents(outcome).map((e) => [e.type, e.source.id])).toEqual([[type, source]]);
  });

  it('matches the PSIA namespace by URI, whatever the prefix', () => {
    const body = fixture('hikvision', 'fielddetection-psialliance.xml')
      .toString('utf8')
      .replace(/<(\/?)([A-Za-z])/g, '<$1psia:$2')
      .replace('xmlns="urn:psialliance-org"', 'xmlns:psia="urn:psialliance-org"');
    const plain = parse(fixture('hikvision', 'fielddetection-psialliance.xml')).events.map(({ evidence, ...e }) => e);
    expect(parse(body).events.map(({ evidence, ...e }) => e)).toEqual(plain);
  });

  it('refuses a look-alike namespace, naming where the root element starts', () => {
    const body = lineXml.replace('http://www.hikvision.com/ver20/XMLSchema', 'http://www.hikvision.com.evil/ver20');
    const error = thrown(() => parse(body));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as MalformedBodyError).position).toEqual({ line: 2, column: 1 });
    const prefixOnly = lineXml.replace('xmlns="http://www.hikvision.com/ver20/XMLSchema"', 'xmlns="urn:other"');
    expect(thrown(() => parse(prefixOnly))).toBeInstanceOf(MalformedBodyError);
  });

  it('reads every alert of an alert stream: heartbeats first, wrong Content-Lengths, a picture, no close delimiter', () => {
    const outcome = parse(fixture('hikvision', 'alert-stream.bin'), STREAM);
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, e.occurredAt])).toEqual([
      ['camera.intrusion', '2026-11-26T02:00:21+08:00'],
      ['camera.line_crossing', '2026-11-26T02:00:24+08:00'],
    ]);
    expect(outcome.ignored).toEqual([{ reason: 'heartbeat', count: 3 }]);
    expect(outcome.rejected).toEqual([]);
    // The picture follows the intrusion alert, and belongs to it.
    expect(events[0]!.evidence?.map((e) => e.kind)).toEqual(['raw', 'image']);
    expect(events[0]!.evidence?.[0]).toMatchObject({ raw: expect.stringContaining('fielddetection') });
    expect(events[1]!.evidence?.map((e) => e.kind)).toEqual(['raw']);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('names an unreadable part of an alert stream and keeps the others', () => {
    const body = Buffer.from(
      fixture('hikvision', 'alert-stream.bin').toString('latin1').replace('</eventType>', '</eventTyp>'),
      'latin1',
    );
    const outcome = parse(body, STREAM);
    expect(outcome.rejected).toEqual([
      { path: 'part[0]', message: expect.stringMatching(/^not well-formed XML: .*\(line \d+, column \d+\)$/) },
    ]);
    expect(outcome.events).toHaveLength(2);
    expect(outcome.ignored).toEqual([{ reason: 'heartbeat', count: 2 }]);
  });

  it('refuses a stream none of whose alerts can be read, naming the first part with its line and column', () => {
    const body = multipart([
      { type: 'application/xml', body: Buffer.from('<EventNotificationAlert>\n<eventType>') },
      { type: 'application/xml', body: Buffer.from('{"eventType": }') },
    ]);
    const error = thrown(() => parse(body, MULTIPART)) as MalformedBodyError;
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect(error.message).toMatch(/^part\[0\]: not well-formed XML: .*\(line \d+, column \d+\)$/);
  });

  it('names the part of an alert whose fields cannot be read', () => {
    const body = multipart([
      { type: 'application/xml', body: Buffer.from(lineXml) },
      { type: 'application/xml', body: Buffer.from(lineXml.replace(/<eventType>.*<\/eventType>/, '')) },
    ]);
    expect(parse(body, MULTIPART).rejected).toEqual([{ path: 'part[1].eventType', message: 'is required' }]);
  });

  it('gives pictures sent before the first alert to that alert', () => {
    const body = multipart([
      { type: 'image/jpeg', body: jpeg(300) },
      { type: 'application/xml', body: Buffer.from(lineXml) },
      { type: 'image/jpeg', body: jpeg(400) },
    ]);
    const event = only(validEvents(parse(body, MULTIPART)), 'camera.line_crossing');
    expect(event.evidence?.filter((e) => e.kind === 'image').map((e) => e.bytes)).toEqual([300, 400]);
  });

  it('reads a time without seconds', () => {
    const event = only(validEvents(parse(fixture('hikvision', 'time-without-seconds.xml'))), 'camera.intrusion');
    expect(event.occurredAt).toBe('2026-11-26T02:00:00+08:00');
  });

  it('keeps an alarm whose firmware garbled the dateTime, at the time it was received', () => {
    const outcome = parse(fixture('hikvision', 'garbled-datetime.xml'));
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event.occurredAt).toBe(RECEIVED_AT);
    expect(outcome.ignored).toEqual([
      { reason: 'dateTime missing or not a date-time: the alarm is kept at the time it was received', count: 1 },
    ]);
    // The resend of the same alert is the same event, though it arrives later.
    const later = hikvisionAdapter.parse({
      ...deviceRequest(fixture('hikvision', 'garbled-datetime.xml'), XML),
      receivedAt: new Date('2026-11-26T02:05:00+08:00'),
    });
    expect(later.events[0]?.id).toBe(event.id);
  });

  it('reads a duration alert as the related event, still active', () => {
    const outcome = parse(fixture('hikvision', 'duration-fielddetection.xml'));
    const event = only(validEvents(outcome), 'camera.intrusion');
    expect(event).toMatchObject({
      occurredAt: '2026-11-26T02:15:07+08:00',
      source: { id: 'bcad28910f3e', channel: '3' },
      payload: { state: 'active' },
    });
  });

  it('reads a duration alert with two related events as two events, and one without any as camera.other', () => {
    const xml = fixture('hikvision', 'duration-fielddetection.xml').toString('utf8');
    const two = xml.replace(
      '</DurationList>',
      '<Duration><relationEvent>linedetection</relationEvent></Duration></DurationList>',
    );
    const events = validEvents(parse(two));
    expect(events.map((e) => [e.type, stateOf(e)])).toEqual([
      ['camera.intrusion', 'active'],
      ['camera.line_crossing', 'active'],
    ]);
    expect(events[0]!.id).not.toBe(events[1]!.id);
    const bare = xml.replace(/<DurationList>[\s\S]*<\/DurationList>/, '');
    expect(only(validEvents(parse(bare)), 'camera.other').payload.vendorType).toBe('duration');
  });

  it('reads the JSON form of a duration alert', () => {
    const body = JSON.stringify({
      macAddress: 'bc:ad:28:91:0f:3e',
      channelID: 3,
      dateTime: '2026-11-26T02:15:07+08:00',
      activePostCount: 4,
      eventType: 'duration',
      eventState: 'active',
      DurationList: [{ Duration: { relationEvent: 'linedetection' } }],
    });
    expect(validEvents(parse(body, 'application/json')).map((e) => e.type)).toEqual(['camera.line_crossing']);
    const wrapped = body.replace(
      '"DurationList":[{"Duration":{"relationEvent":"linedetection"}}]',
      '"DurationList":{"Duration":[{"relationEvent":"fielddetection"}]}',
    );
    expect(validEvents(parse(wrapped, 'application/json')).map((e) => e.type)).toEqual(['camera.intrusion']);
  });

  it('reads a channel given only as dynChannelID, and activePostCount 0 with eventState active as an alarm', () => {
    const outcome = parse(fixture('hikvision', 'dynchannel-only.xml'));
    const event = only(validEvents(outcome), 'camera.video_loss');
    expect(event.source).toEqual({ id: 'c056e31a2b3c', kind: 'camera', channel: '12' });
    expect(event.payload.state).toBe('active');
    expect(outcome.ignored).toEqual([]);
  });

  it('reads an inactive video loss that counts its posts as the end of a video loss, not a heartbeat', () => {
    const body = fixture('hikvision', 'heartbeat.xml')
      .toString('utf8')
      .replace('>0</activePostCount>', '>3</activePostCount>');
    expect(validEvents(parse(body)).map((e) => [e.type, stateOf(e)])).toEqual([['camera.video_loss', 'inactive']]);
  });

  it('ignores the subscription heartbeat of newer firmware', () => {
    const body = lineXml.replace('linedetection</eventType>', 'heartBeat</eventType>');
    expect(parse(body)).toEqual({ events: [], ignored: [{ reason: 'heartbeat', count: 1 }], rejected: [] });
  });

  it('names the line and column of a JSON alert that is not JSON, without quoting it', () => {
    const error = thrown(() =>
      parse('{\n  "eventType": "linedetection",\n  "channelName": "李小明" }x', 'application/json'),
    );
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as MalformedBodyError).position).toEqual({ line: 3, column: 25 });
    expect((error as Error).message).not.toContain('李小明');
  });
});
