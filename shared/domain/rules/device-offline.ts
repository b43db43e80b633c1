import { defineRule } from '../alarm-rule.ts';

export const deviceOffline = defineRule({
  id: 'sky.device-offline',
  title: '设备离线',
  description: 'A camera, NVR or alarm input stopped answering.',
  eventTypes: ['device.offline'],
  severity: 4,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 240,
  ackMinutes: 120,
  dedupKey: (e) => e.source.id,
});
