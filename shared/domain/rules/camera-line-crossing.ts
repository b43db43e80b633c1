import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraLineCrossing = defineRule({
  id: 'sky.line-crossing',
  title: '越线报警',
  description: 'Video analytics saw an object cross a tripwire (line crossing).',
  eventTypes: ['camera.line_crossing'],
  severity: 3,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 30,
  ackMinutes: 10,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
  detail: (e) => e.payload.region,
});
