import type { SanwangEvent } from '../../events/envelope.ts';
import { APPLIED_KEY_BYTES, appliedKey, INLINE_APPLIED_KEYS, packKeys, unpackKeys } from './applied-events.ts';
import { eventDetail, type RuleOutcome } from './evaluate-event.ts';
import { type EventTimePolicy, isLate, maxAgeFor } from './event-time.ts';
import { type Incident, MAX_SOURCES, TIMELINE_HEAD, TIMELINE_TAIL, type TimelineEntry } from './incident.ts';
import { recordEvents } from './incident-decide.ts';
import { incidentCode, incidentId, windowStart } from './incident-key.ts';
import { type LogEntry, sealChange } from './incident-log.ts';
import type { LifecyclePolicy } from './lifecycle-policy.ts';
import { scrubText } from './personal-data-masking.ts';

type Match = Extract<RuleOutcome, { status: 'match' }>;

/** One event matched by one rule, with where it sits in the stream. */
export interface Sighting {
  event: SanwangEvent;
  match: Match;
  shardId: string;
  sequenceNumber: string;
}

/**
 * What the store holds of the incidents a batch may touch. `claims` maps a window's id to the incident that took
 * that window's events (a storm that crossed the boundary); `pages` holds the applied keys of every page an
 * incident in view names.
 */
export interface IncidentView {
  incidents: ReadonlyMap<string, Incident>;
  claims: ReadonlyMap<string, string>;
  pages: ReadonlyMap<string, Uint8Array>;
}

/** A window that a storm crossed into: from now on its events go to `incidentId`. Written before any change. */
export interface ClaimChange {
  windowId: string;
  incidentId: string;
  expiresAt: number;
  /** Lowest sequence number that needed it: if the write fails, the batch is retried from here. */
  firstSequenceNumber: string;
}

/** The write one incident needs after a batch: `before` undefined means create. */
export interface IncidentChange {
  before: Incident | undefined;
  after: Incident;
  /** Lowest sequence number applied to it: if the write fails, the batch is retried from here. */
  firstSequenceNumber: string;
  /** Events applied by this change, and how many of them were late. */
  applied: number;
  late: number;
  alertRaised: boolean;
  /** Applied keys that leave the item for a new immutable page (named last in `after.appliedPages`). */
  page?: { sk: string; keys: Uint8Array };
  /** The log entry this change appends (after.logHead names it). */
  entry: LogEntry;
}

export interface PlanResult {
  claims: ClaimChange[];
  changes: IncidentChange[];
  /** Sightings that changed nothing: their event is counted already (a redelivery or a resend). */
  duplicates: Sighting[];
}

export interface PlanContext {
  now: Date;
  incidentRetentionDays: number;
  eventTime: Pick<EventTimePolicy, 'maxAgeMs' | 'ruleMaxAgeMs'>;
  lifecycle: LifecyclePolicy;
  /** A fresh unique token (page sort keys); randomness is an argument, like time. */
  newToken: () => string;
}

/** The group of sightings that can touch the same incidents: one rule and dedup key. */
export function groupKey(s: Sighting): string {
  return `${s.match.rule.id}|${s.match.dedupKey}`;
}

let lastWindows: { ruleId: string; dedupKey: string; start: number; ids: [string, string] } | undefined;

/** The ids of a sighting's own window and of the window before it. */
export function windowIds(s: Sighting, occurredAtMs = Date.parse(s.event.occurredAt)): [own: string, previous: string] {
  const start = windowStart(occurredAtMs, s.match.windowMs);
  const ruleId = s.match.rule.id;
  const { dedupKey } = s.match;
  // A storm asks for the same pair a thousand times in a row.
  const last = lastWindows;
  if (last && last.start === start && last.ruleId === ruleId && last.dedupKey === dedupKey) return last.ids;
  const ids: [string, string] = [
    incidentId(ruleId, dedupKey, start),
    incidentId(ruleId, dedupKey, start - s.match.windowMs),
  ];
  lastWindows = { ruleId, dedupKey, start, ids };
  return ids;
}

/** Every id the store must read for these sightings: each window and the one before it. */
export function viewIds(sightings: readonly Sighting[]): string[] {
  const ids = new Set<string>();
  for (const s of sightings) for (const id of windowIds(s)) ids.add(id);
  return [...ids];
}

/**
 * Folds sightings (in stream order) into incident changes. Pure and deterministic.
 *
 * Exactness rests on two facts. (1) A window's events always go to one incident: the window's own, or — when a
 * storm crossed into it while the previous window's incident was active — the one its claim names; whichever
 * exists first at the window's id was written once with a condition and never changes, so routing never depends on
 * state that moves. (2) That incident holds the keys of every event it counted, so an event is counted there at
 * most once, whatever the order, the redeliveries, the resends or the shards.
 */
export function planIncidents(sightings: readonly Sighting[], view: IncidentView, ctx: PlanContext): PlanResult {
  // Each incident touched gets one working record, cloned once and updated in place (a storm of 1,000 events must
  // not copy a timeline 1,000 times), its times as numbers, and the keys it holds.
  const working = new Map<string, Working>();
  const newClaims = new Map<string, ClaimChange>();
  const duplicates: Sighting[] = [];
  const incidentAt = (id: string) => working.get(id)?.incident ?? view.incidents.get(id);

  for (const s of sightings) {
    const at = Date.parse(s.event.occurredAt);
    const [ownId, previousId] = windowIds(s, at);
    const id = route(s, at, ownId, previousId);
    let w = working.get(id);
    if (w === undefined) {
      const saved = view.incidents.get(id);
      if (saved) {
        w = workOn(cloneIncident(saved), saved, view.pages);
        working.set(id, w);
      }
    }
    const key = appliedKey(s.event.source.id, s.event.id);
    if (w?.keys.has(key)) {
      duplicates.push(s);
      continue;
    }
    const late = isLate(at, Date.parse(s.event.receivedAt), maxAgeFor(s.match.rule.id, ctx.eventTime));
    if (w) applySighting(w, s, at, late);
    else {
      w = workOn(openIncident(id, s, at, ctx), undefined, view.pages);
      working.set(id, w);
    }
    w.keys.add(key);
    w.added.push(key);
    if (late) w.late++;
    else {
      w.current++;
      w.firstCurrentMs = Math.min(w.firstCurrentMs, at);
      w.ackMs = s.match.ackMs;
    }
    keepBounded(w.entries, { s, late });
    w.firstSequenceNumber ??= s.sequenceNumber;
  }

  const changes: IncidentChange[] = [];
  for (const w of working.values()) {
    if (w.added.length === 0) continue;
    for (const entry of w.entries) keepBounded(w.incident.timeline, timelineEntry(entry.s, entry.late));
    changes.push(finishChange(w, ctx));
  }
  return { claims: [...newClaims.values()], changes, duplicates };

  /** The incident a sighting belongs to; decides (and claims) a window that nothing has taken yet. */
  function route(s: Sighting, at: number, ownId: string, previousId: string): string {
    const claimed = newClaims.get(ownId)?.incidentId ?? view.claims.get(ownId);
    if (claimed !== undefined) return claimed;
    if (incidentAt(ownId)) return ownId;
    // The window is free. A storm still going on in the previous window keeps its incident — unless the previous
    // window itself was claimed by an older one: an incident spans two windows at most, so a desk hears again
    // about an alarm that does not stop.
    const previous = view.claims.has(previousId) || newClaims.has(previousId) ? undefined : incidentAt(previousId);
    if (previous && Math.abs(at - lastSeenMs(previousId, previous)) <= s.match.windowMs) {
      newClaims.set(ownId, {
        windowId: ownId,
        incidentId: previousId,
        expiresAt: expiresAtFor(at + 2 * s.match.windowMs, ctx),
        firstSequenceNumber: s.sequenceNumber,
      });
      return previousId;
    }
    return ownId;
  }

  function lastSeenMs(id: string, incident: Incident): number {
    return working.get(id)?.lastMs ?? Date.parse(incident.lastSeen);
  }
}

interface Working {
  incident: Incident;
  before: Incident | undefined;
  firstMs: number;
  lastMs: number;
  /** Every key the incident holds (item and pages) plus those applied in this batch. */
  keys: Set<string>;
  /** Keys applied in this batch, in order. */
  added: string[];
  current: number;
  late: number;
  /** Earliest current (not late) event of this batch, and its rule's time to acknowledge. */
  firstCurrentMs: number;
  ackMs: number;
  entries: { s: Sighting; late: boolean }[];
  firstSequenceNumber?: string;
}

function workOn(incident: Incident, before: Incident | undefined, pages: ReadonlyMap<string, Uint8Array>): Working {
  const keys = new Set<string>();
  if (before) {
    for (const sk of before.appliedPages) {
      const page = pages.get(sk);
      // The store loads every page an incident names; planning without one would count its events again.
      if (!page) throw new Error(`applied page ${sk} of incident ${before.id} was not loaded`);
      for (const key of unpackKeys(page)) keys.add(key);
    }
    for (const key of unpackKeys(before.applied)) keys.add(key);
  }
  return {
    incident,
    before,
    firstMs: Date.parse(incident.firstSeen),
    lastMs: Date.parse(incident.lastSeen),
    keys,
    added: [],
    current: 0,
    late: 0,
    firstCurrentMs: Number.POSITIVE_INFINITY,
    ackMs: 0,
    entries: [],
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
    appliedPages: [...incident.appliedPages],
    // The lifecycle changes these in place when a recording opens the incident or raises its severity.
    alerted: [...incident.alerted],
    clocks: structuredClone(incident.clocks),
    steps: structuredClone(incident.steps),
  };
}

function timelineEntry(s: Sighting, late: boolean): TimelineEntry {
  const detail = eventDetail(s.match.rule, s.event);
  return {
    eventId: scrubText(s.event.id),
    type: s.event.type,
    at: s.event.occurredAt,
    source: scrubText(s.event.source.id),
    ...(detail ? { detail: scrubText(detail) } : {}),
    ...(late ? { late: true } : {}),
  };
}

function openIncident(id: string, s: Sighting, at: number, ctx: PlanContext): Incident {
  const { event, match } = s;
  return {
    id,
    code: incidentCode(id),
    ruleId: match.rule.id,
    dedupKey: scrubText(match.dedupKey),
    title: match.title,
    network: event.network,
    state: 'open',
    severity: match.severity,
    baseSeverity: match.baseSeverity,
    boosts: match.boosts,
    // Free text from integrations: an ID or phone number typed into a name is not stored.
    place: event.place.name ? { ...event.place, name: scrubText(event.place.name) } : event.place,
    firstSeen: event.occurredAt,
    lastSeen: event.occurredAt,
    openedAt: ctx.now.toISOString(),
    ackBy: new Date(at + match.ackMs).toISOString(),
    deadlineVerb: match.rule.deadlineVerb ?? '确认',
    eventCount: 0,
    lateCount: 0,
    sources: [scrubText(event.source.id)],
    timeline: [],
    applied: new Uint8Array(),
    appliedPages: [],
    level: 'village',
    alerted: [],
    escalations: 0,
    reopened: 0,
    clocks: {},
    steps: [],
    version: 0,
    alertSeq: 0,
    alertPending: false,
    expiresAt: 0,
  };
}

/**
 * Adds one sighting to a working copy, in place. A late event is counted and shown, but moves neither the
 * deadline nor the severity: it tells what happened, not what is happening.
 */
function applySighting(w: Working, s: Sighting, at: number, late: boolean): void {
  const { event, match } = s;
  const { incident } = w;
  if (at < w.firstMs) {
    w.firstMs = at;
    incident.firstSeen = event.occurredAt;
  }
  if (at > w.lastMs) {
    w.lastMs = at;
    incident.lastSeen = event.occurredAt;
  }
  const source = scrubText(event.source.id);
  if (!incident.sources.includes(source)) {
    incident.sources.push(source);
    if (incident.sources.length > MAX_SOURCES) incident.sources.shift();
  }
  if (late) return;
  if (match.severity < incident.severity) {
    incident.severity = match.severity;
    incident.boosts = match.boosts;
    incident.title = match.title;
  }
}

function expiresAtFor(lastMs: number, ctx: PlanContext): number {
  return Math.floor(lastMs / 1000) + ctx.incidentRetentionDays * 86_400;
}

function finishChange(w: Working, ctx: PlanContext): IncidentChange {
  const { before, incident: after } = w;
  // An alert goes out when a current event opens the incident (or is the first current one of an incident that only
  // late events had opened), or when a current event raises its severity.
  const neverAlerted = (before?.alertSeq ?? 0) === 0;
  const raisedSeverity = before !== undefined && after.severity < before.severity;
  const raised = w.current > 0 && (neverAlerted || raisedSeverity);
  // The deadline runs from the first current event; late events never move it.
  let { ackBy } = after;
  if (w.current > 0) {
    const fromBatch = w.firstCurrentMs + w.ackMs;
    const hadCurrent = before !== undefined && before.eventCount > before.lateCount;
    ackBy = new Date(hadCurrent ? Math.min(Date.parse(before.ackBy), fromBatch) : fromBatch).toISOString();
  }
  const inline = [...unpackKeys(before?.applied), ...w.added];
  let page: IncidentChange['page'];
  const appliedPages = [...after.appliedPages];
  let applied: Uint8Array<ArrayBuffer>;
  if (inline.length > INLINE_APPLIED_KEYS) {
    page = {
      sk: `PAGE#${String((before?.version ?? 0) + 1).padStart(8, '0')}#${ctx.newToken()}`,
      keys: packKeys(inline),
    };
    appliedPages.push(page.sk);
    applied = new Uint8Array();
  } else {
    applied = packKeys(inline);
  }
  const next: Incident = {
    ...after,
    ackBy,
    eventCount: (before?.eventCount ?? 0) + w.added.length,
    lateCount: (before?.lateCount ?? 0) + w.late,
    applied,
    appliedPages,
    version: (before?.version ?? 0) + 1,
    expiresAt: expiresAtFor(w.lastMs, ctx),
  };
  const lifecycle = raised
    ? recordEvents(
        next,
        {
          opened: neverAlerted,
          ...(neverAlerted ? {} : { severityRaisedFrom: before!.severity }),
          ackMs: w.ackMs,
          firstCurrentMs: Date.parse(ackBy) - w.ackMs,
        },
        ctx.now,
        ctx.lifecycle,
      )
    : [];
  const recorded = {
    type: 'recorded',
    events: w.added.length,
    ...(w.late ? { late: w.late } : {}),
    firstSeen: next.firstSeen,
    lastSeen: next.lastSeen,
  };
  const { incident: sealed, entry } = sealChange(before, next, [recorded, ...lifecycle], {
    actor: { kind: 'function', name: 'rules' },
    at: ctx.now,
    token: ctx.newToken(),
  });
  return {
    before,
    firstSequenceNumber: w.firstSequenceNumber!,
    applied: w.added.length,
    late: w.late,
    alertRaised: raised,
    ...(page ? { page } : {}),
    after: sealed,
    entry,
  };
}

/** Bytes of applied keys an incident item carries inline (for sizing and tests). */
export function inlineAppliedBytes(incident: Incident): number {
  return incident.applied.length - (incident.applied.length % APPLIED_KEY_BYTES);
}
