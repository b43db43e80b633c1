import type { Incident } from '../domain/incident.ts';
import type { CommandRejection, IncidentState, OfficerActor, OfficerCommand } from '../domain/incident-lifecycle.ts';
import type { LogEntry } from '../domain/incident-log.ts';
import type { Severity } from '../domain/severity.ts';

/** A page of incidents for a desk's list: newest first, filtered as asked. */
export interface IncidentQuery {
  /** A 6-, 9- or 12-digit code: incidents at or below it. */
  jurisdiction: string;
  states?: readonly IncidentState[];
  /** At least this severe (1 is the most severe). */
  severityAtMost?: Severity;
  /** First seen at or after / before (ISO 8601). */
  from?: string;
  to?: string;
  limit: number;
  /** From a previous page's `next`. */
  cursor?: string;
}

export interface IncidentPage {
  items: Incident[];
  next?: string;
}

/**
 * What the duty-desk API needs from sanwang's incidents: list and read them, and apply an officer's command through
 * the incident state machine (which answers illegal commands, never applies them). Authorization (the officer's
 * jurisdiction subtree) is the API's; this port trusts its actor.
 */
export interface IncidentService {
  list(query: IncidentQuery): Promise<IncidentPage>;
  /** The incident and its log, oldest entry first. */
  get(incidentId: string): Promise<{ incident: Incident; log: LogEntry[] } | undefined>;
  command(
    incidentId: string,
    command: OfficerCommand,
    actor: OfficerActor,
  ): Promise<{ ok: true; incident: Incident; entry: LogEntry } | ({ ok: false } & CommandRejection)>;
}
