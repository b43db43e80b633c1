import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraFireSmoke = defineRule({
  id: 'sky.fire-smoke',
  title: (e) => (e.payload.kind === 'fire' ? '明火报警' : '烟雾报警'),
  description: 'Fire or smoke detected on video: lives at stake, always the top level.',
  eventTypes: ['camera.fire_smoke'],
  severity: 1,
  boosts: { keyPlace: false, night: false },
  groupWindowMinutes: 30,
  ackMinutes: 5,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
});
