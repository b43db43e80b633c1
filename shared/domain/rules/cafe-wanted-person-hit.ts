import { defineRule } from '../alarm-rule.ts';

export const cafeWantedPersonHit = defineRule({
  id: 'internet.cafe-wanted',
  title: '网吧比中在逃',
  description: "A café's real-name check matched a wanted person: officers must go now.",
  eventTypes: ['cafe.wanted_person_hit'],
  severity: 1,
  boosts: { keyPlace: false, night: false },
  groupWindowMinutes: 30,
  ackMinutes: 5,
  dedupKey: (e) => `${e.source.id}/${e.payload.list}`,
  detail: (e) =>
    [e.payload.list, e.payload.venue.terminal && `机位${e.payload.venue.terminal}`].filter(Boolean).join(' '),
});
