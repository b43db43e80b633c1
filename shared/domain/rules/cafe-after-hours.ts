import { defineRule } from '../alarm-rule.ts';

export const cafeAfterHours = defineRule({
  id: 'internet.cafe-after-hours',
  title: '超时营业',
  description: 'A café has users online outside the permitted 08:00–24:00.',
  eventTypes: ['cafe.after_hours'],
  severity: 4,
  // It is by definition at night: a night boost would raise every one of them.
  boosts: { keyPlace: false, night: false },
  groupWindowMinutes: 360,
  ackMinutes: 60,
  dedupKey: (e) => e.source.id,
  ignore: (e) => (e.payload.activeUsers === 0 ? 'no users online' : undefined),
  detail: (e) => `在线${e.payload.activeUsers}人`,
});
