import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeviceFormat, MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { adapterFor } from '../../../../events/adapters/registry.ts';
import { deviceRequest, fixture, invalidReason } from './helpers.ts';

interface Case {
  format: DeviceFormat;
  name: string;
  contentType: string;
  query?: Record<string, string>;
}

const CASES: Case[] = [
  { format: 'hikvision', name: 'linedetection.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'fielddetection-isapi-prefixed.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'heartbeat.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'shelteralarm.json', contentType: 'application/json' },
  { format: 'hikvision', name: 'fielddetection-psialliance.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'linedetection-ver10.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'duration-fielddetection.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'garbled-datetime.xml', contentType: 'application/xml' },
  { format: 'hikvision', name: 'alert-stream.bin', contentType: 'multipart/mixed; boundary=boundary' },
  {
    format: 'hikvision',
    name: 'multipart-linedetection.bin',
    contentType: 'multipart/form-data; boundary=MIME_boundary',
  },
  { format: 'onvif', name: 'notify-hikvision.xml', contentType: 'application/soap+xml' },
  { format: 'onvif', name: 'notify-axis.xml', contentType: 'application/soap+xml' },
  {
    format: 'onvif',
    name: 'pull-monitoring-initialized.xml',
    contentType: 'application/soap+xml',
    query: { device: 'onvif-cam-12' },
  },
  { format: 'gb28181', name: 'alarm-intrusion-gb2312.xml', contentType: 'Application/MANSCDP+xml' },
  { format: 'gb28181', name: 'alarm-videoloss-utf8.xml', contentType: 'Application/MANSCDP+xml' },
  { format: 'gb28181', name: 'alarm-prefecture-id.xml', contentType: 'Application/MANSCDP+xml' },
  { format: 'gb28181', name: 'alarm-tripwire-description.xml', contentType: 'Application/MANSCDP+xml' },
  {
    format: 'dahua',
    name: 'event-stream.txt',
    contentType: 'multipart/x-mixed-replace; boundary=myboundary',
    query: { device: 'dahua-nvr-03' },
  },
  { format: 'dahua', name: 'event-lines.txt', contentType: 'text/plain', query: { device: 'dahua-nvr-03' } },
  {
    format: 'dahua',
    name: 'event-state-housekeeping.txt',
    contentType: 'multipart/x-mixed-replace; boundary=myboundary',
    query: { device: 'dahua-nvr-03' },
  },
  { format: 'frigate', name: 'review-new.json', contentType: 'application/json' },
  { format: 'frigate', name: 'review-update.json', contentType: 'application/json' },
  { format: 'frigate', name: 'review-end.json', contentType: 'application/json' },
  { format: 'frigate', name: 'review-detection-smoke.json', contentType: 'application/json' },
  { format: 'frigate', name: 'review-detection-person.json', contentType: 'application/json' },
];
const BODIES = new Map(CASES.map((c) => [c, fixture(c.format, c.name)]));

const PARSE_ERROR = /not well-formed XML|body is not JSON|XML must have|XML names|XML nested|unreadable XML/;

/**
 * Parses and checks the contract: only MalformedBodyError escapes, a parse error names its line and column, and
 * every event validates once completed.
 */
function holds(c: Case, body: Buffer): true {
  let outcome: ReturnType<ReturnType<typeof adapterFor>['parse']>;
  try {
    outcome = adapterFor(c.format).parse(deviceRequest(body, c.contentType, c.query));
  } catch (error) {
    if (!(error instanceof MalformedBodyError)) throw error;
    if (error.message.includes('undefined')) throw new Error(`${c.format}: ${error.message}`);
    if (PARSE_ERROR.test(error.message) && !error.position)
      throw new Error(`${c.format}: no position: ${error.message}`);
    return true;
  }
  const invalid = outcome.events.map(invalidReason).filter(Boolean);
  if (invalid.length) throw new Error(`${c.format}/${c.name}: ${invalid.join(' | ')}`);
  for (const issue of outcome.rejected) {
    if (typeof issue.path !== 'string' || !issue.message || issue.message.includes('undefined')) {
      throw new Error(`bad issue ${JSON.stringify(issue)}`);
    }
  }
  return true;
}

const TOKENS = [
  '<',
  '>',
  '</',
  '/>',
  '"',
  '=',
  ' ',
  '\n',
  ':',
  ';',
  '{',
  '}',
  '[',
  ']',
  ',',
  '--myboundary\r\n',
  '--MIME_boundary\r\n',
  '--boundary\r\nContent-Type: application/xml\r\nContent-Length: 9999\r\n\r\n',
  'Content-Type: image/jpeg\r\n\r\n',
  '<?xml version="1.0" encoding="GB2312"?>',
  '<EventNotificationAlert xmlns="http://www.isapi.org/ver20/XMLSchema">',
  '<EventNotificationAlert xmlns="urn:psialliance-org">',
  '<eventType>duration</eventType><DurationList><Duration><relationEvent>',
  '</relationEvent></Duration></DurationList>',
  '<dateTime>2026-11-26T02:00+08:00</dateTime>',
  '<dateTime>0000-00-00T00:00:00</dateTime>',
  '<dynChannelID>12</dynChannelID>',
  '<eventType>',
  '</eventType>',
  '<dateTime>2026-11-26T02:00:00</dateTime>',
  '<macAddress>aa:bb</macAddress>',
  '<wsnt:Notify xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema">',
  '<wsnt:NotificationMessage>',
  '<wsnt:Topic xmlns:t="http://www.onvif.org/ver10/topics">t:RuleEngine/FieldDetector/ObjectsInside</wsnt:Topic>',
  '<wsnt:Message><tt:Message UtcTime="2026-11-25T18:03:00Z" PropertyOperation="Changed">',
  '<tt:SimpleItem Name="IsInside" Value="false"/>',
  '<wsnt:Topic xmlns:t="http://www.onvif.org/ver10/topics">t:Monitoring/ProcessorUsage</wsnt:Topic>',
  'PropertyOperation="Initialized"',
  '<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>14058100001320000017</DeviceID>',
  '<AlarmTime>2026-11-26T02:00:00</AlarmTime>',
  '<AlarmMethod>5</AlarmMethod>',
  '<DeviceID>34020000001320000001</DeviceID>',
  '<AlarmDescription>值班13800138000</AlarmDescription>',
  'Code=VideoMotion;action=Start;index=0',
  'Code=AlarmLocal;action=State;index=1;data={"State":1}',
  'Code=NTPAdjustTime;action=Pulse;index=0',
  ';data={"UTC":1795629600}',
  'Heartbeat',
  '{"type":"new","after":{"id":"a","camera":"c","start_time":1795629600,"severity":"alert","data":{}}}',
  '"objects":["person"]',
  '"severity":"detection"',
  '&amp;',
  '&#x0;',
  '<![CDATA[',
  ']]>',
  '<!DOCTYPE',
  '__proto__',
  'constructor',
  '\uFEFF',
  '米山',
];

describe('device adapters under fuzzing', () => {
  it('never throw but MalformedBodyError on random bytes', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...CASES), fc.uint8Array({ maxLength: 400 }), (c, bytes) =>
        holds(c, Buffer.from(bytes)),
      ),
      { numRuns: 400 },
    );
  });

  it('never throw but MalformedBodyError on random token soup', { timeout: 30_000 }, () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(''));
    fc.assert(
      fc.property(fc.constantFrom(...CASES), soup, (c, text) => holds(c, Buffer.from(text, 'utf8'))),
      { numRuns: 600 },
    );
  });

  it.each(CASES.map((c) => [`${c.format}/${c.name}`, c] as const))('survive every truncation of %s', (_, c) => {
    const body = BODIES.get(c)!;
    const step = Math.max(1, Math.ceil(body.length / 150));
    for (let length = 0; length < body.length; length += length < 64 ? 1 : step) {
      expect(holds(c, body.subarray(0, length))).toBe(true);
    }
  });

  it('survive byte-level mutations of the fixtures', { timeout: 30_000 }, () => {
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      op: fc.constantFrom('set', 'delete', 'insert', 'duplicate'),
    });
    fc.assert(
      fc.property(fc.constantFrom(...CASES), fc.array(edit, { minLength: 1, maxLength: 6 }), (c, edits) => {
        let body = Buffer.from(BODIES.get(c)!);
        for (const { at, byte, op } of edits) {
          const i = at % Math.max(1, body.length);
          if (op === 'set') body[i] = byte;
          else if (op === 'delete') body = Buffer.concat([body.subarray(0, i), body.subarray(i + 1 + (byte % 16))]);
          else if (op === 'insert') body = Buffer.concat([body.subarray(0, i), Buffer.from([byte]), body.subarray(i)]);
          else body = Buffer.concat([body.subarray(0, i + (byte % 64)), body.subarray(i)]);
        }
        return holds(c, body);
      }),
      { numRuns: 400 },
    );
  });

  it('survive field values replaced with odd ones', { timeout: 30_000 }, () => {
    const odd = fc.constantFrom(
      '',
      '0',
      '-1',
      '1e999',
      'inactive',
      'false',
      'Stop',
      'end',
      '99999999999999999999999',
      '2026-02-30T25:61:61',
      'x'.repeat(300),
      '米'.repeat(90),
      '😀'.repeat(40),
      '&lt;&gt;',
      'null',
      '{}',
      '[]',
      '"',
      'a b',
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...CASES),
        fc.array(fc.tuple(fc.nat(), odd), { minLength: 1, maxLength: 4 }),
        (c, swaps) => {
          let text = BODIES.get(c)!.toString('latin1');
          for (const [at, value] of swaps) {
            // Replace one value: the text after a `>`, `=`, `:` or `"` up to the next delimiter.
            const start = text.slice(at % Math.max(1, text.length)).search(/[>=:"]/);
            if (start < 0) continue;
            const from = (at % Math.max(1, text.length)) + start + 1;
            const end = text.slice(from).search(/[<;,"\r\n}]/);
            text =
              text.slice(0, from) +
              Buffer.from(value, 'utf8').toString('latin1') +
              text.slice(end < 0 ? text.length : from + end);
          }
          return holds(c, Buffer.from(text, 'latin1'));
        },
      ),
      { numRuns: 600 },
    );
  });
});
