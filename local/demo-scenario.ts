import type { EventType } from '../events/envelope.ts';
import { EXAMPLE_ADULT_ID, EXAMPLE_MINOR_ID, exampleEvent } from '../events/examples.ts';
import { type DevicePayload, devicePayloads } from './demo-device-payloads.ts';

/** One moment of the night shift: what the narrator says, and what reaches the stream. */
export interface DemoStep {
  at: string; // local HH:mm, for the narration
  says: string;
  /** Posted to the API as integrations send them: without receivedAt, which the ingest sets. */
  events: object[];
  /** Payloads in a device's own format, posted to /v1/events/<format>. */
  devicePayloads?: DevicePayload[];
  /** Bytes that are not a valid event, put on the stream as they are. */
  malformed?: { partitionKey: string; data: string }[];
}

const GAOPING = { county: '140581' } as const;
const MISHAN = { ...GAOPING, township: '140581100' } as const;
const NANCHENG = { ...GAOPING, township: '140581001' } as const;

const school = { ...MISHAN, village: '140581100201', kind: 'school', name: '米山镇第一小学' } as const;
const cafe = { ...NANCHENG, village: '140581001003', kind: 'internet_cafe', name: '南城极速网咖' } as const;
const gasStation = { ...MISHAN, village: '140581100201', kind: 'commercial', name: '米东村加油站' } as const;
const villageRoad = { ...MISHAN, village: '140581100201', kind: 'public', name: '米东村村口' } as const;

/**
 * A night shift in Gaoping (140581), on the night of `date` (YYYY-MM-DD, Asia/Shanghai): an alarm storm at a
 * school gate, a minor in an internet café, a missed patrol checkpoint, an SOS, a wanted person at the café,
 * a post going viral — and a camera that sends rubbish.
 */
export function nightShift(date: string): DemoStep[] {
  const at = (hhmm: string, seconds = 0) => {
    const t = new Date(`${date}T${hhmm}:00+08:00`).getTime() + seconds * 1000;
    return new Date(t).toISOString().replace('Z', '+00:00');
  };
  // What an integration posts: the example event at this moment, without receivedAt (the ingest sets it).
  const posted = <T extends EventType>(
    type: T,
    hhmm: string,
    seconds: number,
    overrides: Parameters<typeof exampleEvent<T>>[1],
  ) => {
    const { receivedAt: _set_by_the_ingest, ...event } = exampleEvent(type, {
      ...overrides,
      occurredAt: at(hhmm, seconds),
    });
    return event;
  };
  const schoolCam = { id: '14058110001320000017', kind: 'camera' } as const;
  const schoolCam2 = { id: '14058110001320000018', kind: 'camera' } as const;

  // 240 analytics alarms in four minutes, the camera toggling active/inactive, 20 of them resent by the NVR.
  const storm: object[] = [];
  for (let i = 0; i < 240; i++) {
    storm.push(
      posted('camera.intrusion', '02:00', i, {
        id: `hik-0017-${1000 + i}`,
        source: schoolCam,
        place: school,
        payload: {
          state: i % 6 === 5 ? 'inactive' : 'active',
          region: '北门围墙',
          objectType: 'person',
          objectCount: 1,
        },
      }),
    );
  }
  const resent = storm.slice(0, 20);

  return [
    {
      at: '02:00',
      says: '米山镇第一小学北门摄像机报警风暴：4 分钟 240 条区域入侵（含失效状态），NVR 重发 20 条',
      events: [...storm, ...resent],
    },
    {
      at: '02:05',
      says: '同一学校东侧第二台摄像机：越线报警 5 次',
      events: Array.from({ length: 5 }, (_, i) =>
        posted('camera.line_crossing', '02:05', i * 20, {
          id: `hik-0018-${i}`,
          source: schoolCam2,
          place: school,
        }),
      ),
    },
    {
      at: '02:12',
      says: '南城极速网咖：实名系统发现两名未成年人上网',
      events: [
        posted('cafe.minor_admitted', '02:12', 0, {
          id: 'cafe-jisu-77120',
          source: { id: 'cafe-140581001003-01', kind: 'cafe_system' },
          place: cafe,
          payload: {
            venue: { license: '晋文网140581001', terminal: 'A12' },
            patron: { fullName: '李小明', idNumber: EXAMPLE_MINOR_ID, age: 16 },
          },
        }),
        posted('cafe.minor_admitted', '02:14', 0, {
          id: 'cafe-jisu-77131',
          source: { id: 'cafe-140581001003-01', kind: 'cafe_system' },
          place: cafe,
          payload: {
            venue: { license: '晋文网140581001', terminal: 'A15' },
            patron: { fullName: '王小红', age: 15, phone: '13912345678' },
          },
        }),
      ],
    },
    {
      at: '02:20',
      says: '夜巡 T-night-03 漏巡米东村加油站打卡点',
      events: [
        posted('patrol.checkpoint_missed', '02:20', 0, {
          id: 'patrol-T3-CP09-0220',
          source: { id: 'patrol-app-140581123', kind: 'patrol_app' },
          place: gasStation,
        }),
      ],
    },
    {
      at: '02:31',
      says: '米东村村口巡逻民警按下 SOS 一键求助（无人签收，演示逐级上报）',
      events: [
        posted('patrol.sos', '02:31', 0, {
          id: 'sos-140581207-0231',
          source: { id: 'radio-140581207', kind: 'patrol_terminal' },
          place: villageRoad,
        }),
      ],
    },
    {
      at: '02:40',
      says: '网吧实名核验比中网上在逃人员；同一网吧出现超时营业',
      events: [
        posted('cafe.wanted_person_hit', '02:40', 0, {
          id: 'cafe-jisu-77190',
          source: { id: 'cafe-140581001003-01', kind: 'cafe_system' },
          place: cafe,
          payload: {
            venue: { license: '晋文网140581001', terminal: 'C01' },
            patron: { fullName: '陈某某', idNumber: EXAMPLE_ADULT_ID, phone: '13812345678' },
            list: '网上在逃人员',
            score: 0.99,
          },
        }),
        posted('cafe.after_hours', '02:40', 0, {
          id: 'cafe-jisu-hours-0240',
          source: { id: 'cafe-140581001003-01', kind: 'cafe_system' },
          place: cafe,
        }),
      ],
    },
    {
      at: '02:45',
      says: '本地论坛帖子发酵：黄金 6 小时内须正面回应',
      events: [
        posted('opinion.post_flagged', '02:45', 0, {
          id: 'yuqing-20261125-0042',
          source: { id: 'yuqing-monitor', kind: 'opinion_monitor' },
          place: { ...MISHAN, kind: 'school', name: '米山镇中学' },
        }),
      ],
    },
    {
      at: '02:46',
      says: '各类设备按自己的格式上报：海康、ONVIF、国标 GB/T 28181（GB2312）、大华、Frigate；另有一台未登记的摄像机',
      events: [],
      devicePayloads: devicePayloads(date),
    },
    {
      at: '02:50',
      says: '坏数据：接入方发来无时区的时间（接口当场拒绝并指明字段）；一个绕过接口直写数据流的老系统发来两条坏记录',
      events: [
        {
          ...exampleEvent('camera.tamper', {
            id: 'old-platform-7',
            source: { id: '14058110001320000099', kind: 'camera' },
            place: school,
          }),
          occurredAt: `${date}T02:50:00`,
        },
      ],
      malformed: [
        {
          partitionKey: '14058110001320000099',
          data: JSON.stringify({
            ...exampleEvent('camera.tamper', {
              id: 'old-cam-99-1',
              source: { id: '14058110001320000099', kind: 'camera' },
              place: school,
            }),
            occurredAt: `${date} 02:50:00`,
            place: { county: '14058', kind: 'school' },
          }),
        },
        { partitionKey: '14058110001320000099', data: 'ALARM;tamper;ch=1;contact=13612345678;' },
      ],
    },
  ];
}
