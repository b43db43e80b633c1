import { describe, expect, it } from 'vitest';
import { dahuaAdapter } from '../../../../events/adapters/dahua.ts';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { deviceRequest, fixture, only, RECEIVED_AT, stateOf, thrown, validEvents } from './helpers.ts';

const STREAM = 'multipart/x-mixed-replace; boundary=myboundary';
const DEVICE = { device: 'dahua-nvr-03' };
const parse = (body: Buffer | string, contentType = 'text/plain', query: Record<string, string> = DEVICE) =>
  dahuaAdapter.parse(deviceRequest(body, contentType, query));
const stream = fixture('dahua', 'event-stream.txt');
const lines = fixture('dahua', 'event-lines.txt');

describe('dahua adapter', () => {
  it('reads a multipart event stream, ignoring heartbeats', () => {
    const outcome = parse(stream, STREAM);
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, e.source.channel, stateOf(e)])).toEqual([
      ['camera.line_crossing', '1', 'active'],
      ['camera.other', '2', 'active'],
      ['camera.other', '2', 'inactive'],
      ['camera.other', '4', 'active'],
    ]);
    expect(outcome.ignored).toEqual([{ reason: 'heartbeat', count: 2 }]);
  });

  it('reads data that spans lines: time, rule name, direction and object', () => {
    const event = only(validEvents(parse(stream, STREAM)), 'camera.line_crossing');
    expect(event).toMatchObject({
      id: expect.stringMatching(/^dahua:dahua-nvr-03:[0-9a-f]{20}$/),
      occurredAt: '2026-11-26T02:00:00+08:00',
      source: { id: 'dahua-nvr-03', kind: 'camera', channel: '1' },
      payload: { state: 'active', region: '东侧警戒线', direction: 'a_to_b', objectType: 'person' },
    });
    expect(event.evidence?.[0]?.raw).toMatch(/^Code=CrossLineDetection;action=Start;index=0;data=\{/);
  });

  it('names a bad part and keeps the others', () => {
    expect(parse(stream, STREAM).rejected).toEqual([
      { path: 'part[4]', message: 'action must be Start, Stop, Pulse or State' },
    ]);
  });

  it('reads motion as camera.other motion and unknown codes as camera.other with the code', () => {
    const events = validEvents(parse(stream, STREAM));
    expect(events[1]?.payload).toEqual({ state: 'active', vendor: 'dahua', vendorType: 'motion' });
    expect(events[3]?.payload).toEqual({ state: 'active', vendor: 'dahua', vendorType: 'AlarmLocal' });
  });

  it('reads a stream of lines, a stray line a bad part of its own', () => {
    const outcome = parse(lines);
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, e.source.channel, stateOf(e)])).toEqual([
      ['camera.tamper', '3', 'active'],
      ['camera.loitering', '1', 'active'],
      ['camera.video_loss', '5', 'inactive'],
    ]);
    expect(only(events, 'camera.loitering').payload).toEqual({
      state: 'active',
      region: '校门口',
      objectType: 'person',
    });
    expect(outcome.rejected).toEqual([
      { path: 'part[3]', message: 'expected Code=…;action=…;index=…[;data={…}]' },
      { path: 'part[5]', message: 'data.UTC must be seconds since 1970' },
    ]);
    expect(outcome.ignored).toEqual([{ reason: 'heartbeat', count: 1 }]);
  });

  it('finds the boundary in the body when the Content-Type lost it', () => {
    expect(parse(stream, 'text/plain').events).toEqual(parse(stream, STREAM).events);
  });

  it.each([
    ['VideoMotion', 'camera.other'],
    ['CrossLineDetection', 'camera.line_crossing'],
    ['CrossRegionDetection', 'camera.intrusion'],
    ['LeftDetection', 'camera.other'],
    ['WanderDetection', 'camera.loitering'],
    ['VideoBlind', 'camera.tamper'],
    ['VideoLoss', 'camera.video_loss'],
    ['FaceRecognition', 'camera.other'],
    ['StorageFailure', 'camera.other'],
    ['SmartMotionHuman', 'camera.other'],
  ])('maps Code %s to %s', (code, type) => {
    expect(validEvents(parse(`Code=${code};action=Pulse;index=0`)).map((e) => e.type)).toEqual([type]);
  });

  it('takes the time of arrival when the part has no UTC, and gives a resend the same id', () => {
    const [event] = parse('Code=VideoMotion;action=Start;index=0').events;
    expect(event?.occurredAt).toBe(RECEIVED_AT);
    expect(parse('Code=VideoMotion;action=Start;index=0').events[0]?.id).toBe(event?.id);
    expect(parse(stream, STREAM).events.map((e) => e.id)).toEqual(parse(stream, STREAM).events.map((e) => e.id));
  });

  it('requires the query parameter device', () => {
    const error = thrown(() => parse(stream, STREAM, {}));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as Error).message).toBe('query parameter device is required for the Dahua event stream');
    expect(thrown(() => parse(stream, STREAM, { device: 'has space' }))).toBeInstanceOf(MalformedBodyError);
  });

  it('refuses a body without parts', () => {
    expect(thrown(() => parse('  \r\n'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('--myboundary--\r\n', STREAM))).toBeInstanceOf(MalformedBodyError);
  });

  it('rejects a bad index and bad data', () => {
    expect(parse('Code=VideoMotion;action=Start;index=first').rejected).toEqual([
      { path: 'part[0]', message: 'index must be a channel number from 0' },
    ]);
    expect(parse('Code=VideoMotion;action=Start;index=0;data={"UTC":').rejected).toEqual([
      { path: 'part[0]', message: 'data is not JSON: the JSON ends too early (line 1, column 8 of data)' },
    ]);
    const multiline = parse('Code=VideoMotion;action=Start;index=0;data={\n   "Name" : "李小明"\n   "UTC" : 1\n}');
    expect(multiline.rejected).toEqual([
      { path: 'part[0]', message: "data is not JSON: expected ',' or '}' in an object (line 3, column 4 of data)" },
    ]);
  });
});

describe('dahua adapter, State parts and housekeeping', () => {
  const states = fixture('dahua', 'event-state-housekeeping.txt');

  it('reads a State that is on as an alarm, ignores a State that is off or carries none, and housekeeping codes', () => {
    const outcome = parse(states, STREAM);
    const events = validEvents(outcome);
    expect(events.map((e) => [e.type, e.source.channel, stateOf(e)])).toEqual([
      ['camera.other', '2', 'active'],
      ['camera.intrusion', '1', 'active'],
    ]);
    expect(events[0]?.payload).toEqual({ state: 'active', vendor: 'dahua', vendorType: 'AlarmLocal' });
    expect(events[0]?.occurredAt).toBe('2026-11-26T02:20:02+08:00');
    expect(outcome.ignored).toEqual([
      { reason: 'heartbeat', count: 2 },
      { reason: 'housekeeping (VideoMotionInfo): not an alarm', count: 1 },
      { reason: 'housekeeping (TimeChange): not an alarm', count: 1 },
      { reason: 'housekeeping (NTPAdjustTime): not an alarm', count: 1 },
      { reason: 'housekeeping (RtspSessionDisconnect): not an alarm', count: 1 },
      { reason: 'housekeeping (LeFunctionStatusSync): not an alarm', count: 1 },
      { reason: 'state report: no alarm', count: 1 },
    ]);
    expect(outcome.rejected).toEqual([]);
  });

  it.each([
    ['{"State":1}', true],
    ['{"State":true}', true],
    ['{"Status":"On"}', true],
    ['{"Active":"true"}', true],
    ['{"State":"Start"}', true],
    ['{"State":0}', false],
    ['{"State":false}', false],
    ['{"Status":"Off"}', false],
    ['{"State":{"x":1}}', false],
    ['{"UTC":1795630802}', false],
  ])('reads a State part with data %s as an alarm: %s', (data, alarm) => {
    const outcome = parse(`Code=AlarmLocal;action=State;index=0;data=${data}`);
    expect(outcome.events.length).toBe(alarm ? 1 : 0);
    expect(outcome.ignored).toEqual(alarm ? [] : [{ reason: 'state report: no alarm', count: 1 }]);
    expect(outcome.rejected).toEqual([]);
  });

  it('ignores a bare State part and matches housekeeping codes without regard to case', () => {
    expect(parse('Code=VideoLoss;action=State;index=0').ignored).toEqual([
      { reason: 'state report: no alarm', count: 1 },
    ]);
    expect(parse('Code=ntpadjusttime;action=Pulse;index=0').ignored).toEqual([
      { reason: 'housekeeping (NTPAdjustTime): not an alarm', count: 1 },
    ]);
  });
});
