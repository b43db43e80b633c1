import type { SanwangEvent } from '../../events/envelope.ts';
import type { RuleOutcome } from './evaluate-event.ts';
import {
  type Incident,
  MAX_SOURCES,
  RECENT_EVENT_IDS,
  TIMELINE_HEAD,
  TIMELINE_TAIL,
  type TimelineEntry,
} from './incident.ts';
import { compareSequence, incidentCode, incidentId, windowStart } from './incident-key.ts';

type Match = Extract<RuleOutcome, { status: 'match' }>;

/** One event matched by one rule, with where it sits in the stream. */
export interface Sighting {
  event: SanwangEvent;
  match: Match;
  shardId: string;
  sequenceNumber: string;
}

/** The write one incident needs after a batch: `before` undefined means create. */
export interface IncidentChange {
  before: Incident | undefined;
  after: Incident;
  /** Lowest sequence number applied to it: if the write fails, the batch is retried from here. */
  firstSequenceNumber: string;
  applied: number;
  alertRaised: boolean;
}

export interface PlanResult {
  changes: IncidentChange[];
  /** Sightings that changed nothing: already applied (redelivery) or a resent event id. */
  duplicates: Sighting[];
}

export interface PlanContext {
  now: Date;
  incidentRetentionDays: number;
}

/** The group of sightings that can touch the same incidents: one rule and dedup key. */
export function groupKey(s: Sighting): string {
  return `${s.match.rule.id}|${s.match.dedupKey}`;
}

/** The two incident ids a sighting may land in: its own window's and the previous window's. */
export function candidateIds(s: Sighting): [current: string, previous: string] {
  const start = windowStart(Date.parse(s.event.occurredAt), s.match.windowMs);
  return [
    incidentId(s.match.rule.id, s.match.dedupKey, start),
    incidentId(s.match.rule.id, s.match.dedupKey, start - s.match.windowMs),
  ];
}

/**
 * Folds sightings (in stream order) into incident changes. Pure and deterministic: replaying the same sightings
 * against the stored result yields no change, because each incident remembers the highest sequence number per
 * shard and the recent event ids it applied.
 */
export function planIncidents(
  sightings: readonly Sighting[],
  stored: ReadonlyMap<string, Incident>,
  ctx: PlanContext,
): PlanResult {
  const working = new Map<string, Incident>();
  const changes = new Map<string, IncidentChange>();
  const duplicates: Sighting[] = [];
  const current = (id: string) => working.get(id) ?? stored.get(id);

  for (const s of sightings) {
    const [ownId, previousId] = candidateIds(s);
    const previous = current(previousId);
    const at = Date.parse(s.event.occurredAt);
    const joinsPrevious = previous !== undefined && Math.abs(at - Date.parse(previous.lastSeen)) <= s.match.windowMs;
    const id = joinsPrevious ? previousId : ownId;
    const before = current(id);

    if (before && isAlreadyApplied(before, s)) {
      duplicates.push(s);
      continue;
    }
    const after = before ? applySighting(before, s) : openIncident(id, s, ctx);
    working.set(id, after);

    const change = changes.get(id);
    if (change) {
      change.after = after;
      change.applied++;
    } else {
      changes.set(id, {
        before: stored.get(id),
        after,
        firstSequenceNumber: s.sequenceNumber,
        applied: 1,
        alertRaised: false,
      });
    }
  }

  for (const change of changes.values()) finishChange(change, ctx);
  return { changes: [...changes.values()], duplicates };
}

function isAlreadyApplied(incident: Incident, s: Sighting): boolean {
  const mark = incident.watermarks[s.shardId];
  if (mark !== undefined && compareSequence(s.sequenceNumber, mark) <= 0) return true;
  return incident.recentEventIds.includes(s.event.id);
}

function timelineEntry(s: Sighting): TimelineEntry {
  return {
    eventId: s.event.id,
    type: s.event.type,
    at: s.event.occurredAt,
    source: s.event.source.id,
    ...(s.match.detail ? { detail: s.match.detail } : {}),
  };
}

function openIncident(id: string, s: Sighting, ctx: PlanContext): Incident {
  const { event, match } = s;
  return {
    id,
    code: incidentCode(id),
    ruleId: match.rule.id,
    dedupKey: match.dedupKey,
    title: match.title,
    network: event.network,
    status: 'open',
    severity: match.severity,
    baseSeverity: match.baseSeverity,
    boosts: match.boosts,
    place: event.place,
    firstSeen: event.occurredAt,
    lastSeen: event.occurredAt,
    openedAt: ctx.now.toISOString(),
    ackBy: new Date(Date.parse(event.occurredAt) + match.ackMs).toISOString(),
    deadlineVerb: match.rule.deadlineVerb ?? '确认',
    eventCount: 1,
    sources: [event.source.id],
    timeline: [timelineEntry(s)],
    recentEventIds: [event.id],
    watermarks: { [s.shardId]: s.sequenceNumber },
    version: 0,
    alertSeq: 0,
    alertReason: 'opened',
    alertPending: false,
    expiresAt: 0,
  };
}

function applySighting(incident: Incident, s: Sighting): Incident {
  const { event, match } = s;
  const at = Date.parse(event.occurredAt);
  const earlier = at < Date.parse(incident.firstSeen);
  const timeline = [...incident.timeline, timelineEntry(s)];
  // Keep the first few (how it started) and the latest (how it is going); drop the middle of a storm.
  if (timeline.length > TIMELINE_HEAD + TIMELINE_TAIL) timeline.splice(TIMELINE_HEAD, 1);
  const moreSevere = match.severity < incident.severity;
  return {
    ...incident,
    firstSeen: earlier ? event.occurredAt : incident.firstSeen,
    lastSeen: at > Date.parse(incident.lastSeen) ? event.occurredAt : incident.lastSeen,
    ackBy: earlier ? new Date(at + match.ackMs).toISOString() : incident.ackBy,
    eventCount: incident.eventCount + 1,
    sources: incident.sources.includes(event.source.id)
      ? incident.sources
      : [...incident.sources, event.source.id].slice(-MAX_SOURCES),
    timeline,
    recentEventIds: [...incident.recentEventIds, event.id].slice(-RECENT_EVENT_IDS),
    watermarks: { ...incident.watermarks, [s.shardId]: s.sequenceNumber },
    ...(moreSevere ? { severity: match.severity, boosts: match.boosts, title: match.title } : {}),
  };
}

function finishChange(change: IncidentChange, ctx: PlanContext): void {
  const { before, after } = change;
  const raised = before === undefined || after.severity < before.severity;
  const lastSeenSeconds = Math.floor(Date.parse(after.lastSeen) / 1000);
  change.alertRaised = raised;
  change.after = {
    ...after,
    version: (before?.version ?? -1) + 1,
    expiresAt: lastSeenSeconds + ctx.incidentRetentionDays * 86_400,
    ...(raised
      ? {
          alertSeq: (before?.alertSeq ?? 0) + 1,
          alertReason: before ? 'severity-raised' : 'opened',
          alertPending: true,
        }
      : {}),
  };
}
