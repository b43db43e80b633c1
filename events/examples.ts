import type { EventType, SanwangEventInput } from './envelope.ts';
import { EVENT_NETWORK } from './envelope.ts';
import { residentIdCheckChar } from './personal-data.ts';

/** A made-up resident ID with a valid check character (region 140581, born 2010-03-15). */
export const EXAMPLE_MINOR_ID = `14058120100315123${residentIdCheckChar('14058120100315123')}`;
export const EXAMPLE_ADULT_ID = `14058119850607002${residentIdCheckChar('14058119850607002')}`;

const payloads: { [T in EventType]: Extract<SanwangEventInput, { type: T }>['payload'] } = {
  'camera.intrusion': { state: 'active', region: '北门围墙', objectType: 'person', objectCount: 1, confidence: 0.91 },
  'camera.line_crossing': { region: '东侧警戒线', direction: 'a_to_b' },
  'camera.loitering': { region: '校门口', dwellSeconds: 900 },
  'camera.crowd': { count: 46, threshold: 30 },
  'camera.tamper': { state: 'active' },
  'camera.video_loss': { state: 'active' },
  'camera.fire_smoke': { kind: 'smoke', confidence: 0.87 },
  'camera.watchlist_hit': {
    list: '重点人员库',
    match: 'face',
    score: 0.93,
    subject: { fullName: '王大力', idNumber: EXAMPLE_ADULT_ID },
  },
  'camera.other': { vendor: 'hikvision', vendorType: 'PIR', description: 'PIR alarm' },
  'device.offline': { lastSeenAt: '2026-11-25T01:40:00+08:00', reason: 'heartbeat_lost' },
  'patrol.checkin': {
    tourId: 'T-night-03',
    checkpointId: 'CP-07',
    checkpointName: '米东村委会',
    method: 'nfc',
    officer: { badge: '140581123' },
  },
  'patrol.checkpoint_missed': {
    tourId: 'T-night-03',
    checkpointId: 'CP-09',
    checkpointName: '米东村加油站',
    dueAt: '2026-11-25T02:30:00+08:00',
    officer: { badge: '140581123', fullName: '赵建国', phone: '13912345678' },
  },
  'patrol.sos': { kind: 'sos', officer: { badge: '140581207', fullName: '刘卫东', phone: '13712345678' }, battery: 64 },
  'cafe.minor_admitted': {
    venue: { license: '晋文网140581001', terminal: 'A12' },
    patron: { fullName: '李小明', idNumber: EXAMPLE_MINOR_ID, age: 16 },
  },
  'cafe.unregistered_user': { venue: { license: '晋文网140581001', terminal: 'B03' } },
  'cafe.id_mismatch': {
    venue: { license: '晋文网140581001', terminal: 'B07' },
    patron: { fullName: '张伟', idNumber: EXAMPLE_ADULT_ID },
    mismatch: 'face',
  },
  'cafe.wanted_person_hit': {
    venue: { license: '晋文网140581001', terminal: 'C01' },
    patron: { fullName: '陈某某', idNumber: EXAMPLE_ADULT_ID, phone: '13812345678' },
    list: '网上在逃人员',
    score: 0.99,
  },
  'cafe.after_hours': { venue: { license: '晋文网140581001' }, activeUsers: 23 },
  'cafe.terminal_offline': { venue: { license: '晋文网140581001' }, component: 'monitoring_terminal' },
  'opinion.post_flagged': {
    platform: '本地论坛',
    url: 'https://bbs.example.cn/t/123456',
    title: '米山镇中学门口深夜有人聚集滋事？',
    topic: '米山中学聚集',
    reach: 12_400,
    sentiment: 'negative',
  },
};

const sources: Record<string, SanwangEventInput['source']['kind']> = {
  camera: 'camera',
  device: 'nvr',
  patrol: 'patrol_app',
  cafe: 'cafe_system',
  opinion: 'opinion_monitor',
};

/**
 * A valid example event of each type, placed in Gaoping (140581). Documentation, tests, the demo and the bench
 * start from these and override what they need.
 */
export function exampleEvent<T extends EventType>(
  type: T,
  overrides: Partial<Omit<SanwangEventInput, 'type' | 'network' | 'payload'>> & {
    payload?: Extract<SanwangEventInput, { type: T }>['payload'];
  } = {},
): Extract<SanwangEventInput, { type: T }> {
  const family = type.split('.')[0] as string;
  return {
    schemaVersion: 1,
    id: `ex-${type}-0001`,
    network: EVENT_NETWORK[type],
    type,
    occurredAt: '2026-11-25T02:03:00+08:00',
    receivedAt: '2026-11-25T02:03:01+08:00',
    source: { id: family === 'camera' ? '14058110001320000017' : `${family}-0001`, kind: sources[family] ?? 'site' },
    place: {
      county: '140581',
      township: '140581100',
      village: '140581100201',
      kind: family === 'cafe' ? 'internet_cafe' : 'school',
      name: family === 'cafe' ? '极速网咖' : '米山镇第一小学',
    },
    ...overrides,
    payload: overrides.payload ?? payloads[type],
  } as Extract<SanwangEventInput, { type: T }>;
}
