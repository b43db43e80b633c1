import { defineRule } from '../alarm-rule.ts';

export const patrolSos = defineRule({
  id: 'ground.sos',
  title: (e) => (e.payload.kind === 'man_down' ? '人员倒地' : '紧急求助'),
  description: 'An officer pressed SOS or the man-down timer fired: an officer may be hurt.',
  eventTypes: ['patrol.sos'],
  severity: 1,
  boosts: { keyPlace: false, night: false },
  groupWindowMinutes: 10,
  ackMinutes: 3,
  dedupKey: (e) => `officer/${e.payload.officer.badge}`,
  detail: (e) => `警号${e.payload.officer.badge}`,
});
