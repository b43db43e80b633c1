import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { gb28181Adapter } from '../../../../events/adapters/gb28181.ts';
import { deviceRequest, fixture, only, thrown, validEvents } from './helpers.ts';

const MANSCDP = 'Application/MANSCDP+xml';
const parse = (body: Buffer | string, timeZone?: string) =>
  gb28181Adapter.parse(deviceRequest(body, MANSCDP, {}, timeZone));
const gb2312 = fixture('gb28181', 'alarm-intrusion-gb2312.xml');
const utf8 = fixture('gb28181', 'alarm-videoloss-utf8.xml').toString('utf8');
/** Replaces ASCII text in GB2312 bytes (tags and digits are the same bytes in both encodings). */
const patch = (bytes: Buffer, from: string, to: string) =>
  Buffer.from(bytes.toString('latin1').replace(from, to), 'latin1');
const alarm = (method: number, type?: number) =>
  utf8.replace('<AlarmMethod>2<', `<AlarmMethod>${method}<`).replace('<AlarmType>1<', `<AlarmType>${type ?? ''}<`);

describe('gb28181 adapter', () => {
  it('reads an alarm notify in GB2312 bytes', () => {
    const outcome = parse(gb2312);
    const event = only(validEvents(outcome), 'camera.intrusion');
    expect(event).toMatchObject({
      id: 'gb:14058100001320000017:17430:2026-11-26T02:00:00',
      occurredAt: '2026-11-26T02:00:00+08:00',
      source: { id: '14058100001320000017', kind: 'camera' },
      payload: { state: 'active', region: '米山镇第一小学北门围墙区域入侵' },
    });
    expect(outcome.events[0]?.place).toEqual({ county: '140581', lat: 35.791234, lon: 112.923456 });
    expect(event.evidence?.[0]?.raw).toContain('<AlarmDescription>米山镇第一小学北门围墙区域入侵</AlarmDescription>');
  });

  it('keeps the decoded Chinese description and the priority in a camera.other description', () => {
    const motion = patch(gb2312, '<AlarmType>6</AlarmType>', '<AlarmType>2</AlarmType>');
    const event = only(validEvents(parse(motion)), 'camera.other');
    expect(event.payload).toEqual({
      state: 'active',
      vendor: 'gb28181',
      vendorType: 'video/motion',
      description: '一级警情 米山镇第一小学北门围墙区域入侵',
    });
  });

  it('reads GB2312 when the XML declaration names no encoding', () => {
    const undeclared = patch(gb2312, ' encoding="GB2312"', '');
    expect(parse(undeclared).events[0]?.evidence?.[0]?.raw).toContain('北门围墙区域入侵');
  });

  it('reads a UTF-8 notify from an NVR, and 0/0 as no position', () => {
    const outcome = parse(utf8);
    const event = only(validEvents(outcome), 'camera.video_loss');
    expect(event.source).toEqual({ id: '14058100001180000001', kind: 'nvr' });
    expect(outcome.events[0]?.place).toEqual({ county: '140581' });
    expect(event.evidence?.[0]?.raw).toContain('通道3视频丢失');
  });

  it('reads an intrusion that ends (EventType 2) as inactive', () => {
    const leave = patch(gb2312, '<EventType>1</EventType>', '<EventType>2</EventType>');
    expect(only(validEvents(parse(leave)), 'camera.intrusion').payload.state).toBe('inactive');
  });

  it.each([
    [5, 2, 'camera.other', 'video/motion'],
    [5, 3, 'camera.other', 'video/left-object'],
    [5, 4, 'camera.other', 'video/object-removed'],
    [5, 5, 'camera.line_crossing', undefined],
    [5, 6, 'camera.intrusion', undefined],
    [5, 8, 'camera.loitering', undefined],
    [5, 10, 'camera.crowd', undefined],
    [5, 11, 'camera.tamper', undefined],
    [5, 12, 'camera.other', 'video/fast-movement'],
    [2, 1, 'camera.video_loss', undefined],
    [2, 2, 'camera.tamper', undefined],
    [2, 3, 'camera.other', 'device/disk-full'],
    [2, 4, 'camera.other', 'device/high-temperature'],
    [6, 1, 'camera.other', 'fault/disk-fault'],
    [6, 2, 'camera.other', 'fault/fan-fault'],
    [1, undefined, 'camera.other', 'phone'],
    [3, undefined, 'camera.other', 'sms'],
    [4, undefined, 'camera.other', 'gps'],
    [7, undefined, 'camera.other', 'other'],
    [5, 99, 'camera.other', 'video/type-99'],
    [9, 1, 'camera.other', 'method-9/type-1'],
  ])('maps AlarmMethod %s AlarmType %s to %s', (method, type, eventType, vendorType) => {
    const [event] = validEvents(parse(alarm(method, type)));
    expect(event?.type).toBe(eventType);
    if (vendorType) expect(event?.payload).toMatchObject({ vendorType });
  });

  it('reports a density alarm with an unknown head count as 0', () => {
    expect(only(validEvents(parse(alarm(5, 10))), 'camera.crowd').payload.count).toBe(0);
  });

  it('reads AlarmTime as wall time in the request zone', () => {
    expect(parse(gb2312, 'Asia/Urumqi').events[0]?.occurredAt).toBe('2026-11-26T02:00:00+06:00');
  });

  it('gives a resent notify the same id', () => {
    expect(parse(gb2312).events[0]?.id).toBe(parse(Buffer.from(gb2312)).events[0]?.id);
    expect(parse(patch(gb2312, '<SN>17430<', '<SN>17431<')).events[0]?.id).toBe(
      'gb:14058100001320000017:17431:2026-11-26T02:00:00',
    );
  });

  it('ignores keepalives and other commands', () => {
    const keepalive = '<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>';
    expect(parse(keepalive)).toEqual({ events: [], ignored: [{ reason: 'keepalive', count: 1 }], rejected: [] });
    expect(parse(keepalive.replace('Keepalive', 'MobilePosition')).ignored).toEqual([
      { reason: 'not an alarm (CmdType)', count: 1 },
    ]);
  });

  it('rejects an alarm without a 20-digit DeviceID, an SN or a usable AlarmTime', () => {
    expect(parse(utf8.replace('14058100001180000001', '1405810000118')).rejected).toEqual([
      { path: 'DeviceID', message: 'must be 20 digits (GB/T 28181)' },
    ]);
    expect(parse(utf8.replace('<SN>902</SN>', '')).rejected[0]?.path).toBe('SN');
    expect(parse(utf8.replace('2026-11-26T03:12:45', '2026-11-26T25:12:45')).rejected[0]?.path).toBe('AlarmTime');
  });

  it('refuses XML that is not well-formed, with its line and column', () => {
    const error = thrown(() => parse(patch(gb2312, '</SN>', '</Sn>')));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as MalformedBodyError).position).toEqual({ line: 4, column: expect.any(Number) });
  });

  it('refuses other roots and unknown encodings', () => {
    expect(thrown(() => parse('<Response><CmdType>Alarm</CmdType></Response>'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('<?xml version="1.0" encoding="EBCDIC-XY"?><Notify/>'))).toBeInstanceOf(
      MalformedBodyError,
    );
  });
});

describe('gb28181 adapter, ids and descriptions as devices send them', () => {
  it('gives a camera numbered under a prefecture code no county, and keeps its position', () => {
    const outcome = parse(fixture('gb28181', 'alarm-prefecture-id.xml'));
    const [draft] = outcome.events;
    expect(draft).toMatchObject({ type: 'camera.intrusion', source: { id: '64010000001320000042' } });
    expect(draft?.place).toEqual({ lat: 38.487193, lon: 106.230909 });
    expect(draft?.payload).toEqual({ state: 'active', region: '西门广场区域入侵' });
  });

  it('gives a camera on the factory default id no place at all', () => {
    const outcome = parse(fixture('gb28181', 'alarm-factory-default-id.xml'));
    const [draft] = outcome.events;
    expect(draft).toMatchObject({ type: 'camera.line_crossing', source: { id: '34020000001320000001' } });
    expect(draft?.place).toBeUndefined();
    expect(draft?.payload).toEqual({ state: 'active', region: '北门越线' });
  });

  it.each([
    ['14058100001320000017', '140581'],
    ['11010100001320000001', '110101'],
    ['64010000001320000042', undefined],
    ['14050000001320000001', undefined],
    ['14000000001320000001', undefined],
    ['99999900001320000001', undefined],
  ])('reads DeviceID %s as county %s', (deviceId, county) => {
    const body = utf8.replace('14058100001180000001', deviceId);
    expect(parse(body).events[0]?.place?.county).toBe(county);
  });

  it('keeps the AlarmDescription short and without long digit runs (phone or ID numbers)', () => {
    const outcome = parse(fixture('gb28181', 'alarm-tripwire-description.xml'));
    const event = only(validEvents(outcome), 'camera.line_crossing');
    expect(event.payload).toEqual({ state: 'active', region: '东门围墙越线 值班电话*' });
    const long = fixture('gb28181', 'alarm-tripwire-description.xml')
      .toString('utf8')
      .replace('值班电话13800138000', `${'很长的描述'.repeat(10)} 身份证140581199001010026`);
    const region = only(validEvents(parse(long)), 'camera.line_crossing').payload.region ?? '';
    expect(region.length).toBe(40);
    expect(JSON.stringify(parse(long).events[0]?.payload)).not.toMatch(/\d{7}/);
  });

  it.each([
    [2, 1, 'camera.video_loss'],
    [2, 2, 'camera.tamper'],
  ] as const)(
    'keeps the AlarmDescription of a device alarm (method %i, type %i) as its description',
    (method, type, eventType) => {
      const body = alarm(method, type).replace('通道3视频丢失', '通道3 报警电话13800138000');
      expect(only(validEvents(parse(body)), eventType).payload).toEqual({
        state: 'active',
        description: '通道3 报警电话*',
      });
    },
  );

  it('keeps the AlarmDescription of a camera.other event beside the priority, cleaned the same way', () => {
    const body = alarm(7).replace('通道3视频丢失', '通道3 报警电话13800138000');
    expect(only(validEvents(parse(body)), 'camera.other').payload.description).toBe('四级警情 通道3 报警电话*');
  });
});
