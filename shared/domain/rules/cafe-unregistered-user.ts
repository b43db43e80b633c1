import { defineRule } from '../alarm-rule.ts';

export const cafeUnregisteredUser = defineRule({
  id: 'internet.cafe-unregistered',
  title: '无证上网',
  description: 'Someone is online at a café terminal without a real-name registration.',
  eventTypes: ['cafe.unregistered_user'],
  severity: 4,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 60,
  ackMinutes: 60,
  dedupKey: (e) => e.source.id,
  detail: (e) => (e.payload.venue.terminal ? `机位${e.payload.venue.terminal}` : undefined),
});
