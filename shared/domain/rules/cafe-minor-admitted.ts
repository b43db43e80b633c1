import { defineRule } from '../alarm-rule.ts';

export const cafeMinorAdmitted = defineRule({
  id: 'internet.cafe-minor',
  title: '未成年上网',
  description: 'An internet café admitted a minor, which the regulation on internet service venues forbids.',
  eventTypes: ['cafe.minor_admitted'],
  severity: 4,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 60,
  ackMinutes: 30,
  dedupKey: (e) => e.source.id,
  detail: (e) =>
    [`${e.payload.patron.age}岁`, e.payload.venue.terminal && `机位${e.payload.venue.terminal}`]
      .filter(Boolean)
      .join(' '),
});
