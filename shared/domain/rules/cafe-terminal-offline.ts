import { defineRule } from '../alarm-rule.ts';

export const cafeTerminalOffline = defineRule({
  id: 'internet.cafe-offline',
  title: '网吧监控离线',
  description: "A café's monitoring terminal or management software went dark: real-name checks have stopped.",
  eventTypes: ['cafe.terminal_offline'],
  severity: 4,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 240,
  ackMinutes: 60,
  dedupKey: (e) => `${e.source.id}/${e.payload.component}`,
});
