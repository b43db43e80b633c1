import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraTamper = defineRule({
  id: 'sky.tamper',
  title: '镜头遮挡',
  description: 'A camera was covered, sprayed or turned away: often the first step of a crime.',
  eventTypes: ['camera.tamper'],
  severity: 3,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 60,
  ackMinutes: 15,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
  detail: (e) => e.payload.description,
});
