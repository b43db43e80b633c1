import { defineRule, deviceKey, ignoreInactive } from '../alarm-rule.ts';

export const cameraLoitering = defineRule({
  id: 'sky.loitering',
  title: '人员徘徊',
  description: 'Someone stayed in a zone longer than its loitering threshold.',
  eventTypes: ['camera.loitering'],
  severity: 4,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 30,
  ackMinutes: 30,
  dedupKey: deviceKey,
  ignore: ignoreInactive,
  detail: (e) => (e.payload.dwellSeconds ? `停留${Math.round(e.payload.dwellSeconds / 60)}分钟` : undefined),
});
