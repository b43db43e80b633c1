import { defineRule, ignoreInactive, placeKey } from '../alarm-rule.ts';

export const cameraCrowd = defineRule({
  id: 'sky.crowd',
  title: '人员聚集',
  description: 'Crowd density over threshold; cameras watching one place form one incident.',
  eventTypes: ['camera.crowd'],
  severity: 3,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 30,
  ackMinutes: 10,
  dedupKey: placeKey,
  ignore: ignoreInactive,
  detail: (e) => (e.payload.count > 0 ? `约${e.payload.count}人` : '人数未知'),
});
