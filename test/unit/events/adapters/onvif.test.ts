import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { onvifAdapter } from '../../../../events/adapters/onvif.ts';
import { deviceRequest, fixture, only, stateOf, thrown, validEvents } from './helpers.ts';

const SOAP = 'application/soap+xml; charset=utf-8';
const parse = (body: Buffer | string, query = {}) => onvifAdapter.parse(deviceRequest(body, SOAP, query));
const hikvision = fixture('onvif', 'notify-hikvision.xml').toString('utf8');
const axis = fixture('onvif', 'notify-axis.xml').toString('utf8');
const withoutEvidence = (body: string, query = {}) => parse(body, query).events.map(({ evidence, ...e }) => e);

describe('onvif adapter', () => {
  it('reads every NotificationMessage of a Notify (Hikvision prefixes)', () => {
    const outcome = parse(hikvision);
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, stateOf(e)])).toEqual([
      ['camera.other', 'active'],
      ['camera.intrusion', 'active'],
      ['camera.other', 'inactive'],
    ]);
    expect(events[0]).toMatchObject({
      occurredAt: '2026-11-25T18:03:00+00:00',
      source: { id: '192.168.1.64', kind: 'camera', channel: 'VideoSourceToken' },
      payload: { vendor: 'onvif', vendorType: 'motion' },
    });
    expect(only(events, 'camera.intrusion').payload).toEqual({ state: 'active', region: '北门围墙' });
    expect(outcome.rejected).toEqual([]);
  });

  it('keeps each message as its own raw evidence', () => {
    const [first] = parse(hikvision).events;
    const raw = first?.evidence?.[0]?.raw ?? '';
    expect(raw.startsWith('<wsnt:NotificationMessage>')).toBe(true);
    expect(raw).toContain('IsMotion');
    expect(raw).not.toContain('IsInside');
  });

  it('reads other prefixes, a topic prefix declared on the Topic, and vendor topics (Axis prefixes)', () => {
    const outcome = parse(axis);
    const events = validEvents(outcome);
    expect(events.map((e) => e.type)).toEqual(['camera.line_crossing', 'camera.other', 'camera.other']);
    expect(only(events, 'camera.line_crossing')).toMatchObject({
      occurredAt: '2026-11-25T18:10:42.517+00:00',
      source: { id: '10.20.3.18', channel: '0' },
      payload: { state: 'active', region: '东侧警戒线' },
    });
    expect(events[1]?.payload).toMatchObject({ vendorType: 'CameraApplicationPlatform/VMD/Camera1Profile1' });
    expect(events[2]).toMatchObject({
      source: { channel: 'DigitalInputToken0' },
      payload: { state: 'active', vendorType: 'digital-input' },
    });
    // The tamper property's initial state is false: no alarm.
    expect(outcome.ignored).toEqual([
      { reason: 'initial state: no alarm', count: 1 },
      { reason: 'property deleted', count: 1 },
    ]);
  });

  it('keeps the good messages and names the bad one', () => {
    expect(parse(axis).rejected).toEqual([
      { path: 'NotificationMessage[5].Message', message: 'must hold a tt:Message' },
    ]);
  });

  it('gives the same events whatever prefixes the vendor chose', () => {
    const renamed = hikvision
      .replaceAll('env:', 's:')
      .replaceAll('xmlns:env=', 'xmlns:s=')
      .replaceAll('wsnt:', 'b2:')
      .replaceAll('xmlns:wsnt=', 'xmlns:b2=')
      .replaceAll('tt:', 'sch:')
      .replaceAll('xmlns:tt=', 'xmlns:sch=')
      .replaceAll('tns1:', 'top:')
      .replaceAll('xmlns:tns1=', 'xmlns:top=')
      .replaceAll('wsa:', 'a:')
      .replaceAll('xmlns:wsa=', 'xmlns:a=');
    expect(renamed).not.toContain('wsnt:');
    expect(withoutEvidence(renamed)).toEqual(withoutEvidence(hikvision));
  });

  it('reads a bare Notify and a pulled PullMessagesResponse', () => {
    const notify = hikvision.slice(hikvision.indexOf('<wsnt:Notify>'), hikvision.indexOf('</env:Body>'));
    const declarations =
      'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
      'xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:wsa="http://www.w3.org/2005/08/addressing"';
    const bare = notify.replace('<wsnt:Notify>', `<wsnt:Notify ${declarations}>`);
    expect(withoutEvidence(bare)).toEqual(withoutEvidence(hikvision));
    const pulled = bare
      .replace('<wsnt:Notify ', '<tev:PullMessagesResponse xmlns:tev="http://www.onvif.org/ver10/events/wsdl" ')
      .replace('</wsnt:Notify>', '</tev:PullMessagesResponse>');
    expect(withoutEvidence(pulled)).toEqual(withoutEvidence(hikvision));
  });

  it('names the source by the query parameter device before the producer address', () => {
    const events = parse(hikvision, { device: 'nvr-07' }).events;
    expect(new Set(events.map((e) => e.source.id))).toEqual(new Set(['nvr-07']));
  });

  it('rejects a message that names no device when the query does not either', () => {
    const anonymous = hikvision.replace(/<wsnt:ProducerReference>[\s\S]*?<\/wsnt:ProducerReference>/, '');
    const outcome = parse(anonymous);
    expect(outcome.events).toHaveLength(2);
    expect(outcome.rejected).toEqual([
      { path: 'NotificationMessage[0].ProducerReference', message: expect.any(String) },
    ]);
    expect(parse(anonymous, { device: 'nvr-07' }).events).toHaveLength(3);
  });

  it('reads a Changed to false as inactive, an Initialized true as active, and an Initialized false as no alarm', () => {
    expect(parse(hikvision).events.map((e) => e.payload)).toMatchObject([
      { state: 'active' },
      { state: 'active' },
      { state: 'inactive' },
    ]);
    const initialized = parse(hikvision.replaceAll('PropertyOperation="Changed"', 'PropertyOperation="Initialized"'));
    expect(initialized.events.map((e) => e.payload)).toMatchObject([{ state: 'active' }, { state: 'active' }]);
    expect(initialized.ignored).toEqual([{ reason: 'initial state: no alarm', count: 1 }]);
  });

  it('keeps unknown topics and topics with an undeclared prefix as camera.other', () => {
    const unknown = hikvision.replace(
      'tns1:RuleEngine/CellMotionDetector/Motion',
      'tns1:VideoSource/ImageTooBlurry/AnalyticsService',
    );
    expect(validEvents(parse(unknown))[0]?.payload).toMatchObject({
      vendorType: 'VideoSource/ImageTooBlurry/AnalyticsService',
    });
    const undeclared = hikvision.replace(
      'tns1:RuleEngine/FieldDetector/ObjectsInside',
      'acme:RuleEngine/FieldDetector/ObjectsInside',
    );
    expect(validEvents(parse(undeclared))[1]?.type).toBe('camera.other');
  });

  it('gives the same ids on a resend and different ids to different messages', () => {
    const ids = parse(hikvision).events.map((e) => e.id);
    expect(parse(hikvision).events.map((e) => e.id)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0]).toMatch(/^onvif:[0-9a-f]{20}$/);
  });

  it('rejects a message without a usable UtcTime', () => {
    const outcome = parse(hikvision.replace('UtcTime="2026-11-25T18:03:00Z"', 'UtcTime="yesterday"'));
    expect(outcome.rejected).toEqual([
      { path: 'NotificationMessage[0].Message.UtcTime', message: 'must be an ISO 8601 date-time' },
    ]);
    expect(outcome.events).toHaveLength(2);
  });

  it('refuses bodies that are not a Notify, and XML that is not well-formed, with its position', () => {
    expect(
      thrown(() => parse('<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>')),
    ).toBeInstanceOf(MalformedBodyError);
    const error = thrown(() => parse(hikvision.replace('</tt:Source>', '</tt:Sauce>')));
    expect(error).toBeInstanceOf(MalformedBodyError);
    const line = hikvision.slice(0, hikvision.indexOf('</tt:Source>')).split('\n').length;
    expect((error as MalformedBodyError).position).toEqual({ line, column: expect.any(Number) });
  });
});

describe('onvif adapter, pulled messages', () => {
  const pulled = fixture('onvif', 'pull-monitoring-initialized.xml');

  it('ignores device status topics and initial states that are off, and reads the alarms among them', () => {
    const outcome = parse(pulled, { device: 'onvif-cam-12' });
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, stateOf(e)])).toEqual([
      ['camera.intrusion', 'active'],
      ['camera.tamper', 'active'],
    ]);
    expect(only(events, 'camera.intrusion')).toMatchObject({
      occurredAt: '2026-11-25T18:19:58+00:00',
      source: { id: 'onvif-cam-12', channel: 'VideoSourceToken' },
      payload: { region: '围墙区域' },
    });
    expect(outcome.ignored).toEqual([
      { reason: 'device status (tns1:Monitoring): not an alarm', count: 3 },
      { reason: 'initial state: no alarm', count: 2 },
    ]);
    expect(outcome.rejected).toEqual([]);
  });

  it('ignores any tns1:Monitoring topic by namespace, whatever its prefix, and nothing of another namespace', () => {
    const text = pulled.toString('utf8');
    const renamed = text
      .replaceAll('tns1:', 'ot:')
      .replace('xmlns:tns1="http://www.onvif.org/ver10/topics"', 'xmlns:ot="http://www.onvif.org/ver10/topics"')
      .replace('ot:Monitoring/ProcessorUsage', 'ot:Monitoring/Backup/Last');
    expect(parse(renamed, { device: 'cam' }).ignored[0]).toEqual({
      reason: 'device status (tns1:Monitoring): not an alarm',
      count: 3,
    });
    const withAcme = text
      .replace('tns1:Monitoring/ProcessorUsage', 'acme:Monitoring/ProcessorUsage')
      .replace('<wsnt:Topic Dialect', '<wsnt:Topic xmlns:acme="urn:acme" Dialect');
    const events = validEvents(parse(withAcme, { device: 'cam' }));
    expect(events.map((e) => e.type)).toEqual(['camera.other', 'camera.intrusion', 'camera.tamper']);
  });
});
