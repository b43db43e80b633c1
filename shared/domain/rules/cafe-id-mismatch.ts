import { defineRule } from '../alarm-rule.ts';

const words = { face: '人脸不符', borrowed_id: '借用证件', shared_id: '一证多人' } as const;

export const cafeIdMismatch = defineRule({
  id: 'internet.cafe-id-mismatch',
  title: '人证不符',
  description:
    'The person at the terminal is not the holder of the ID card used (face mismatch, borrowed or shared ID).',
  eventTypes: ['cafe.id_mismatch'],
  severity: 4,
  boosts: { keyPlace: true, night: false },
  groupWindowMinutes: 60,
  ackMinutes: 60,
  dedupKey: (e) => e.source.id,
  detail: (e) => words[e.payload.mismatch],
});
