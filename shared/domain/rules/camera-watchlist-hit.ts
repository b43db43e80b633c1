import { defineRule } from '../alarm-rule.ts';

export const cameraWatchlistHit = defineRule({
  id: 'sky.watchlist-hit',
  title: (e) => (e.payload.match === 'plate' ? '布控车辆' : '布控人员'),
  description: 'A face or plate on a watch list was seen by a camera.',
  eventTypes: ['camera.watchlist_hit'],
  severity: 2,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 30,
  ackMinutes: 5,
  // The subject's identity must never become part of a key: one incident per camera and list.
  dedupKey: (e) => `${e.source.id}/${e.payload.list}`,
  detail: (e) => `${e.payload.list} 相似度${Math.round(e.payload.score * 100)}%`,
});
