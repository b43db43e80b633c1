import type { SanwangEvent } from '../../events/envelope.ts';
import { eventDetail, type RuleOutcome } from './evaluate-event.ts';
import {
  type Incident,
  MAX_SOURCES,
  RECENT_EVENT_IDS,
  TIMELINE_HEAD,
  TIMELINE_TAIL,
  type TimelineEntry,
} from './incident.ts';
import { compareSequence, incidentCode, incidentId, windowStart } from './incident-key.ts';
import { scrubText } from './personal-data-masking.ts';

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

let lastCandidates: { ruleId: string; dedupKey: string; start: number; ids: [string, string] } | undefined;

/** The two incident ids a sighting may land in: its own window's and the previous window's. */
export function candidateIds(s: Sighting): [current: string, previous: string] {
  const start = windowStart(Date.parse(s.event.occurredAt), s.match.windowMs);
  const ruleId = s.match.rule.id;
  const { dedupKey } = s.match;
  // A storm asks for the same pair a thousand times in a row.
  const last = lastCandidates;
  if (last && last.start === start && last.ruleId === ruleId && last.dedupKey === dedupKey) return last.ids;
  const ids: [string, string] = [
    incidentId(ruleId, dedupKey, start),
    incidentId(ruleId, dedupKey, start - s.match.windowMs),
  ];
  lastCandidates = { ruleId, dedupKey, start, ids };
  return ids;
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
  // Each incident touched gets one working record: a copy cloned once and then updated in place (a storm of 1,000
  // events must not copy a timeline 1,000 times), its times as numbers, the event ids it holds, and the sightings
  // whose timeline entries are built at the end, only for those the bounded timeline keeps.
  const working = new Map<string, Working>();
  const duplicates: Sighting[] = [];
  const current = (id: string) => working.get(id)?.incident ?? stored.get(id);

  for (const s of sightings) {
    const [ownId, previousId] = candidateIds(s);
    const at = Date.parse(s.event.occurredAt);
    const previousWork = working.get(previousId);
    const previous = previousWork?.incident ?? stored.get(previousId);
    const previousLast = previousWork ? previousWork.lastMs : previous && Date.parse(previous.lastSeen);
    const joinsPrevious = previousLast !== undefined && Math.abs(at - previousLast) <= s.match.windowMs;
    const id = joinsPrevious ? previousId : ownId;
    let w = working.get(id);
    if (w === undefined) {
      const saved = stored.get(id);
      if (saved) {
        w = workOn(cloneIncident(saved), saved);
        working.set(id, w);
      }
    }
    // The route depends on the previous window's lastSeen, which another shard may have moved since this event was
    // first applied: an id seen in either candidate was applied already.
    const other = joinsPrevious ? current(ownId) : previous;
    if ((w && isAlreadyApplied(w, s)) || other?.recentEventIds.includes(s.event.id)) {
      duplicates.push(s);
      continue;
    }
    if (w) {
      applySighting(w, s, at);
      w.change.applied++;
    } else {
      w = workOn(openIncident(id, s, ctx), undefined);
      working.set(id, w);
    }
    w.seen.add(s.event.id);
    keepBounded(w.entries, s);
    w.change.firstSequenceNumber ??= s.sequenceNumber;
  }

  const changes: IncidentChange[] = [];
  for (const w of working.values()) {
    if (w.change.applied === 0) continue;
    for (const s of w.entries) keepBounded(w.incident.timeline, timelineEntry(s));
    const change: IncidentChange = {
      before: w.before,
      after: w.incident,
      firstSequenceNumber: w.change.firstSequenceNumber!,
      applied: w.change.applied,
      alertRaised: false,
    };
    finishChange(change, ctx);
    changes.push(change);
  }
  return { changes, duplicates };
}

interface Working {
  incident: Incident;
  before: Incident | undefined;
  firstMs: number;
  lastMs: number;
  /** Event ids the incident holds: its recent ids plus those applied in this batch (resent bursts). */
  seen: Set<string>;
  entries: Sighting[];
  change: { applied: number; firstSequenceNumber?: string };
}

function workOn(incident: Incident, before: Incident | undefined): Working {
  return {
    incident,
    before,
    firstMs: Date.parse(incident.firstSeen),
    lastMs: Date.parse(incident.lastSeen),
    seen: new Set(before ? incident.recentEventIds : []),
    entries: [],
    change: { applied: before ? 0 : 1 },
  };
}

/** Appends, keeping the first few (how it started) and the latest (how it is going); a storm's middle goes. */
function keepBounded<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > TIMELINE_HEAD + TIMELINE_TAIL) list.splice(TIMELINE_HEAD, 1);
}

function cloneIncident(incident: Incident): Incident {
  return {
    ...incident,
    boosts: [...incident.boosts],
    sources: [...incident.sources],
    timeline: [...incident.timeline],
    recentEventIds: [...incident.recentEventIds],
    watermarks: { ...incident.watermarks },
  };
}

function isAlreadyApplied(w: Working, s: Sighting): boolean {
  const mark = w.incident.watermarks[s.shardId];
  if (mark !== undefined && compareSequence(s.sequenceNumber, mark) <= 0) return true;
  return w.seen.has(s.event.id);
}

function timelineEntry(s: Sighting): TimelineEntry {
  const detail = eventDetail(s.match.rule, s.event);
  return {
    eventId: scrubText(s.event.id),
    type: s.event.type,
    at: s.event.occurredAt,
    source: scrubText(s.event.source.id),
    ...(detail ? { detail: scrubText(detail) } : {}),
  };
}

function openIncident(id: string, s: Sighting, ctx: PlanContext): Incident {
  const { event, match } = s;
  return {
    id,
    code: incidentCode(id),
    ruleId: match.rule.id,
    dedupKey: scrubText(match.dedupKey),
    title: match.title,
    network: event.network,
    status: 'open',
    severity: match.severity,
    baseSeverity: match.baseSeverity,
    boosts: match.boosts,
    // Free text from integrations: an ID or phone number typed into a name is not stored.
    place: event.place.name ? { ...event.place, name: scrubText(event.place.name) } : event.place,
    firstSeen: event.occurredAt,
    lastSeen: event.occurredAt,
    openedAt: ctx.now.toISOString(),
    ackBy: new Date(Date.parse(event.occurredAt) + match.ackMs).toISOString(),
    deadlineVerb: match.rule.deadlineVerb ?? '确认',
    eventCount: 1,
    sources: [scrubText(event.source.id)],
    timeline: [],
    recentEventIds: [event.id],
    watermarks: { [s.shardId]: s.sequenceNumber },
    version: 0,
    alertSeq: 0,
    alertReason: 'opened',
    alertPending: false,
    expiresAt: 0,
  };
}

/** Adds one sighting to a working copy, in place. */
function applySighting(w: Working, s: Sighting, at: number): void {
  const { event, match } = s;
  const { incident } = w;
  if (at < w.firstMs) {
    w.firstMs = at;
    incident.firstSeen = event.occurredAt;
    incident.ackBy = new Date(at + match.ackMs).toISOString();
  }
  if (at > w.lastMs) {
    w.lastMs = at;
    incident.lastSeen = event.occurredAt;
  }
  incident.eventCount++;
  const source = scrubText(event.source.id);
  if (!incident.sources.includes(source)) {
    incident.sources.push(source);
    if (incident.sources.length > MAX_SOURCES) incident.sources.shift();
  }
  incident.recentEventIds.push(event.id);
  if (incident.recentEventIds.length > RECENT_EVENT_IDS) incident.recentEventIds.shift();
  incident.watermarks[s.shardId] = s.sequenceNumber;
  if (match.severity < incident.severity) {
    incident.severity = match.severity;
    incident.boosts = match.boosts;
    incident.title = match.title;
  }
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
