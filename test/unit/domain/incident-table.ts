import { DEFAULT_EVENT_TIME_POLICY } from '../../../shared/domain/event-time.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import type { LogEntry } from '../../../shared/domain/incident-log.ts';
import type {
  ClaimChange,
  IncidentChange,
  IncidentView,
  PlanContext,
  PlanResult,
} from '../../../shared/domain/incident-plan.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../../shared/domain/lifecycle-policy.ts';

/** The plan context of the domain tests: a fixed clock, the default time policy, numbered page tokens. */
export function planContext(now = new Date('2026-11-24T18:10:00Z')): PlanContext {
  let token = 0;
  return {
    now,
    incidentRetentionDays: 180,
    eventTime: DEFAULT_EVENT_TIME_POLICY,
    lifecycle: DEFAULT_LIFECYCLE_POLICY,
    newToken: () => `t${++token}`,
  };
}

/**
 * The incident items of the table in memory, with the Dynamo store's conditions: a claim or a create fails when
 * something is at the id, an update when the version moved on; pages are written before the item that names them.
 */
export class MemoryIncidentTable {
  readonly incidents = new Map<string, Incident>();
  readonly claims = new Map<string, string>();
  readonly pages = new Map<string, Uint8Array>();
  /** Every log entry written, committed or not, by incident. */
  readonly log = new Map<string, LogEntry[]>();

  /** Everything stored: the planner looks up only what it needs. */
  view(): IncidentView {
    return {
      incidents: new Map([...this.incidents].map(([id, i]) => [id, structuredClone(i)])),
      claims: new Map(this.claims),
      pages: new Map(this.pages),
    };
  }

  claim(change: ClaimChange): 'saved' | 'conflict' {
    if (this.incidents.has(change.windowId) || this.claims.has(change.windowId)) return 'conflict';
    this.claims.set(change.windowId, change.incidentId);
    return 'saved';
  }

  save(change: Pick<IncidentChange, 'before' | 'after' | 'entry' | 'page'>): 'saved' | 'conflict' {
    const { after, before } = change;
    if (change.page) this.pages.set(change.page.sk, change.page.keys);
    this.log.set(after.id, [...(this.log.get(after.id) ?? []), change.entry]);
    const current = this.incidents.get(after.id);
    if (before === undefined ? current !== undefined || this.claims.has(after.id) : current?.version !== before.version)
      return 'conflict';
    this.incidents.set(after.id, structuredClone(after));
    return 'saved';
  }

  /** Writes a whole plan as the processor does (claims first); throws if anything conflicts. */
  apply(plan: PlanResult): PlanResult {
    for (const claim of plan.claims) if (this.claim(claim) !== 'saved') throw new Error(`claim ${claim.windowId}`);
    for (const change of plan.changes) if (this.save(change) !== 'saved') throw new Error(`save ${change.after.id}`);
    return plan;
  }

  /** What a duty officer would compare: per incident, how many events, when, how severe. */
  summary(): Record<string, Pick<Incident, 'eventCount' | 'firstSeen' | 'lastSeen' | 'severity'>> {
    return Object.fromEntries(
      [...this.incidents.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map(({ id, eventCount, firstSeen, lastSeen, severity }) => [
          id,
          { eventCount, firstSeen, lastSeen, severity },
        ]),
    );
  }
}
