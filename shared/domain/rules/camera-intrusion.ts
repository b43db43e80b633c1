import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraIntrusion = defineRule({
  id: 'sky.intrusion',
  title: '区域入侵',
  description: 'Video analytics saw someone enter a guarded zone (intrusion / region entrance / field detection).',
  eventTypes: ['camera.intrusion'],
  severity: 3,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 30,
  ackMinutes: 10,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
  detail: (e) =>
    [e.payload.region, e.payload.objectCount ? `${e.payload.objectCount}个目标` : undefined]
      .filter(Boolean)
      .join(' ') || undefined,
});
