import { defineRule } from '../alarm-rule.ts';

/** Above this reach a flagged post is spreading and the golden window is shorter in practice. */
const WIDE_REACH = 10_000;

export const opinionPostFlagged = defineRule({
  id: 'internet.opinion',
  title: '网络舆情',
  description: 'A post about the area was flagged; a factual answer is due within the 6-hour golden window.',
  eventTypes: ['opinion.post_flagged'],
  severity: (e) => ((e.payload.reach ?? 0) >= WIDE_REACH || e.payload.sentiment === 'negative' ? 2 : 3),
  boosts: { keyPlace: false, night: false },
  groupWindowMinutes: 360,
  ackMinutes: 360,
  // A post found hours late still has part of its golden window left: it is not stale until the window is.
  maxAgeMinutes: 360,
  deadlineVerb: '回应',
  dedupKey: (e) => `${e.place.county}/${e.payload.topic ?? e.payload.url}`,
  detail: (e) =>
    [e.payload.platform, e.payload.reach !== undefined && `阅读${e.payload.reach}`].filter(Boolean).join(' '),
});
