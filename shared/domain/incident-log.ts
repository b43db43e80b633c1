import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Actor, IncidentState, Level } from './incident-lifecycle.ts';

/**
 * The incident log: every domain event of an incident, in the order its versions give, each entry carrying the
 * SHA-256 of the one before, so the log of an incident is a hash chain. Entries are keyed by the version they make
 * and a token of their writer; the incident item names the head (version, token, hash) and is the commit point:
 * an entry nothing on the chain names (a writer that lost a race, or stopped) is not part of the log.
 */

/** What the incident looked like around an entry: enough to read the story, without its event keys. */
export const StateSummary = z.object({
  state: IncidentState,
  severity: z.number().int(),
  level: Level,
  eventCount: z.number().int(),
  lateCount: z.number().int(),
  /** The next deadline, if a clock runs. */
  nextDueAt: z.string().optional(),
});
export type StateSummary = z.infer<typeof StateSummary>;

/** One domain event: `type` names it, the rest says what happened (never personal data). */
export const DomainEvent = z.looseObject({ type: z.string() });
export type DomainEvent = z.infer<typeof DomainEvent>;

export const LogHead = z.object({ version: z.number().int(), token: z.string(), hash: z.string() });
export type LogHead = z.infer<typeof LogHead>;

export const LogEntry = z.object({
  incidentId: z.string(),
  version: z.number().int().min(1),
  token: z.string(),
  /** The entry before on the chain (undefined for the first). */
  prevToken: z.string().optional(),
  prevHash: z.string().optional(),
  at: z.string(),
  actor: Actor,
  events: z.array(DomainEvent).min(1),
  before: StateSummary.optional(),
  after: StateSummary,
  hash: z.string(),
});
export type LogEntry = z.infer<typeof LogEntry>;

/** JSON with object keys sorted at every depth: the same entry always hashes alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as the comparison it replaces did.
    const keys = Object.keys(record).sort();
    let out = '{';
    for (const k of keys) {
      const v = record[k];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The hash of an entry: SHA-256 (hex) of its canonical JSON without the hash itself. */
export function entryHash(entry: Omit<LogEntry, 'hash'>): string {
  const { hash: _ignored, ...rest } = entry as LogEntry;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The next entry on an incident's chain, sealed with its hash. */
export function chainEntry(
  input: Omit<LogEntry, 'hash' | 'prevToken' | 'prevHash'>,
  head: LogHead | undefined,
): LogEntry {
  const unsealed = {
    ...input,
    ...(head ? { prevToken: head.token, prevHash: head.hash } : {}),
  };
  return { ...unsealed, hash: entryHash(unsealed) };
}

/** What the log keeps of an incident's state around an entry. */
export function summaryOf(incident: {
  state: StateSummary['state'];
  severity: number;
  level: StateSummary['level'];
  eventCount: number;
  lateCount: number;
  nextDueAt?: string | undefined;
}): StateSummary {
  return {
    state: incident.state,
    severity: incident.severity,
    level: incident.level,
    eventCount: incident.eventCount,
    lateCount: incident.lateCount,
    ...(incident.nextDueAt ? { nextDueAt: incident.nextDueAt } : {}),
  };
}

/**
 * Seals one change of an incident: the log entry for its version, chained to the head the incident had, and the
 * incident naming the new head. Every writer's change goes through here, so no write leaves the chain.
 */
export function sealChange<
  I extends Parameters<typeof summaryOf>[0] & { id: string; version: number; logHead?: LogHead },
>(
  before: I | undefined,
  after: I,
  events: DomainEvent[],
  meta: { actor: LogEntry['actor']; at: Date; token: string },
): { incident: I; entry: LogEntry } {
  const entry = chainEntry(
    {
      incidentId: after.id,
      version: after.version,
      token: meta.token,
      at: meta.at.toISOString(),
      actor: meta.actor,
      events,
      ...(before ? { before: summaryOf(before) } : {}),
      after: summaryOf(after),
    },
    before?.logHead,
  );
  return { incident: { ...after, logHead: { version: entry.version, token: entry.token, hash: entry.hash } }, entry };
}

/** A place where an incident's log does not hold together, in words an auditor reads. */
export interface ChainBreak {
  version: number;
  reason: string;
}

export interface ChainReport {
  incidentId: string;
  /** Entries on the chain, from the head back to the first. */
  length: number;
  /** Entries stored but on no chain: writers that lost a race or stopped before their commit (not a break). */
  orphans: number;
  /** The version the chain starts at when the incident is older than its log (otherwise 1). */
  startsAt?: number;
  breaks: ChainBreak[];
}

/**
 * Walks an incident's log from the head the incident item names back to version 1: every entry must be there,
 * hash to what it says, and name the hash of the entry before it. Anything else is a break.
 */
export function verifyChain(incidentId: string, head: LogHead | undefined, entries: readonly LogEntry[]): ChainReport {
  const report: ChainReport = { incidentId, length: 0, orphans: 0, breaks: [] };
  if (!head) {
    if (entries.length > 0)
      report.breaks.push({ version: 0, reason: 'the incident names no log head, but entries exist' });
    return report;
  }
  const byKey = new Map(entries.map((e) => [`${e.version}#${e.token}`, e]));
  let expected: { version: number; token: string; hash: string } | undefined = head;
  const onChain = new Set<string>();
  while (expected) {
    const entry = byKey.get(`${expected.version}#${expected.token}`);
    if (!entry) {
      report.breaks.push({ version: expected.version, reason: `entry ${expected.version} is missing` });
      break;
    }
    onChain.add(`${entry.version}#${entry.token}`);
    report.length++;
    if (entryHash(entry) !== entry.hash) {
      report.breaks.push({
        version: entry.version,
        reason: `entry ${entry.version} does not hash to its own hash: it was changed`,
      });
    }
    if (entry.hash !== expected.hash) {
      report.breaks.push({
        version: entry.version,
        reason: `entry ${entry.version} is not the one the next entry names`,
      });
    }
    if (entry.version === 1) {
      if (entry.prevToken !== undefined)
        report.breaks.push({ version: 1, reason: 'the first entry names one before it' });
      break;
    }
    if (entry.prevToken === undefined || entry.prevHash === undefined) {
      report.breaks.push({ version: entry.version, reason: `entry ${entry.version} names no entry before it` });
      break;
    }
    expected = { version: entry.version - 1, token: entry.prevToken, hash: entry.prevHash };
  }
  report.orphans = entries.filter((e) => !onChain.has(`${e.version}#${e.token}`)).length;
  return report;
}
