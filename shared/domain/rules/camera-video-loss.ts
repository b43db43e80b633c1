import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraVideoLoss = defineRule({
  id: 'sky.video-loss',
  title: '视频丢失',
  description: 'A channel lost its video signal.',
  eventTypes: ['camera.video_loss'],
  severity: 4,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 120,
  ackMinutes: 60,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
  detail: (e) => e.payload.description,
});
