import { defineRule } from '../alarm-rule.ts';

export const patrolCheckpointMissed = defineRule({
  id: 'ground.checkpoint-missed',
  title: '漏巡',
  description: 'A patrol tour passed its time window without a check-in at a checkpoint.',
  eventTypes: ['patrol.checkpoint_missed'],
  severity: 4,
  boosts: { keyPlace: true, night: true },
  groupWindowMinutes: 60,
  ackMinutes: 30,
  dedupKey: (e) => `${e.payload.tourId}/${e.payload.checkpointId}`,
  detail: (e) => e.payload.checkpointName,
});
