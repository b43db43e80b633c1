import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { HIK_MAX_PICTURE_BYTES, hikvisionAdapter } from '../../../../events/adapters/hikvision.ts';
import { deviceRequest, fixture, only, thrown, validEvents } from './helpers.ts';

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

  it('refuses a multipart body of more than 8 parts', () => {
    const parts: { type: string; body: Buffer }[] = [{ type: 'application/xml', body: Buffer.from(lineXml) }];
    for (let i = 0; i < 8; i++) parts.push({ type: 'image/jpeg', body: jpeg(100) });
    const error = thrown(() => parse(multipart(parts), MULTIPART));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as Error).message).toContain('more than 8 parts');
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

  it('rejects an alert without a usable date-time, naming the field', () => {
    expect(parse(lineXml.replace(/<dateTime>.*<\/dateTime>/, '')).rejected).toEqual([
      { path: 'dateTime', message: 'is required' },
    ]);
    const bad = parse(lineXml.replace('2026-11-26T02:00:00+08:00', '2026-13-26T02:00:00+08:00'));
    expect(bad.events).toEqual([]);
    expect(bad.rejected).toEqual([{ path: 'dateTime', message: expect.stringContaining('ISO 8601') }]);
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
