import type { EventType } from '../../events/envelope.ts';
import type { AnyAlarmRule } from './alarm-rule.ts';
import { cafeAfterHours } from './rules/cafe-after-hours.ts';
import { cafeIdMismatch } from './rules/cafe-id-mismatch.ts';
import { cafeMinorAdmitted } from './rules/cafe-minor-admitted.ts';
import { cafeTerminalOffline } from './rules/cafe-terminal-offline.ts';
import { cafeUnregisteredUser } from './rules/cafe-unregistered-user.ts';
import { cafeWantedPersonHit } from './rules/cafe-wanted-person-hit.ts';
import { cameraCrowd } from './rules/camera-crowd.ts';
import { cameraFireSmoke } from './rules/camera-fire-smoke.ts';
import { cameraIntrusion } from './rules/camera-intrusion.ts';
import { cameraLineCrossing } from './rules/camera-line-crossing.ts';
import { cameraLoitering } from './rules/camera-loitering.ts';
import { cameraTamper } from './rules/camera-tamper.ts';
import { cameraVideoLoss } from './rules/camera-video-loss.ts';
import { cameraWatchlistHit } from './rules/camera-watchlist-hit.ts';
import { deviceOffline } from './rules/device-offline.ts';
import { opinionPostFlagged } from './rules/opinion-post-flagged.ts';
import { patrolCheckpointMissed } from './rules/patrol-checkpoint-missed.ts';
import { patrolSos } from './rules/patrol-sos.ts';

/** Every alarm rule, in the order operators read them: sky, ground, internet. */
export const ALARM_RULES: readonly AnyAlarmRule[] = [
  cameraIntrusion,
  cameraLineCrossing,
  cameraLoitering,
  cameraCrowd,
  cameraTamper,
  cameraVideoLoss,
  cameraFireSmoke,
  cameraWatchlistHit,
  deviceOffline,
  patrolCheckpointMissed,
  patrolSos,
  cafeMinorAdmitted,
  cafeUnregisteredUser,
  cafeIdMismatch,
  cafeWantedPersonHit,
  cafeAfterHours,
  cafeTerminalOffline,
  opinionPostFlagged,
] as AnyAlarmRule[];

/** Rules indexed by the event types they apply to, built once. */
export function indexRules(rules: readonly AnyAlarmRule[]): Map<EventType, AnyAlarmRule[]> {
  const byType = new Map<EventType, AnyAlarmRule[]>();
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new Error(`duplicate rule id ${rule.id}`);
    ids.add(rule.id);
    for (const type of rule.eventTypes) byType.set(type, [...(byType.get(type) ?? []), rule]);
  }
  return byType;
}

export function ruleById(id: string, rules: readonly AnyAlarmRule[] = ALARM_RULES): AnyAlarmRule | undefined {
  return rules.find((r) => r.id === id);
}
