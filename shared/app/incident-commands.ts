import { randomUUID } from 'node:crypto';
import type { IncidentRecords } from '../adapters/incident-store.ts';
import type { Incident } from '../domain/incident.ts';
import { decide, type LifecycleCommand } from '../domain/incident-decide.ts';
import type { Actor, CommandRejection } from '../domain/incident-lifecycle.ts';
import { type LogEntry, sealChange } from '../domain/incident-log.ts';
import type { LifecyclePolicy } from '../domain/lifecycle-policy.ts';

export interface CommandDeps {
  records: IncidentRecords;
  policy: LifecyclePolicy;
  now: () => Date;
  /** Unique per write; random by default. */
  newToken?: () => string;
}

export type CommandResult =
  /** `entry` is undefined when the command changed nothing (a tick with nothing due, a delivery already recorded). */
  | { ok: true; incident: Incident; entry?: LogEntry; attempts: number }
  | ({ ok: false; attempts: number } & CommandRejection);

/** Conflicts retried before giving up: each one means another writer committed in between. */
const MAX_ATTEMPTS = 8;

/**
 * Applies one command to an incident through the state machine and commits it as the incident's next version,
 * with its log entry. Every writer but the rules function comes through here (the rules fold batches of events
 * through the plan): read, decide, write on the version read; when another writer got there first, read again and
 * decide again, so a sign, a tick and a delivery never overwrite each other, and the second of two signatures is
 * answered with the first. `current` saves the first read when the caller has just read the incident consistently.
 */
export async function applyCommand(
  deps: CommandDeps,
  incidentId: string,
  command: LifecycleCommand,
  actor: Actor,
  current?: Incident,
): Promise<CommandResult> {
  const newToken = deps.newToken ?? (() => randomUUID().slice(0, 8));
  let known = current;
  for (let attempt = 1; ; attempt++) {
    const incident = known ?? (await deps.records.get(incidentId));
    known = undefined;
    if (!incident) return { ok: false, code: 'not-found', message: 'no such incident', attempts: attempt };
    const now = deps.now();
    const decision = decide(incident, command, now, deps.policy);
    if (!decision.ok) {
      const { ok: _ok, ...rejection } = decision;
      return { ok: false, ...rejection, attempts: attempt };
    }
    if (decision.events.length === 0) return { ok: true, incident, attempts: attempt };
    const next = { ...decision.incident, version: incident.version + 1 };
    const sealed = sealChange(incident, next, decision.events, { actor, at: now, token: newToken() });
    const outcome = await deps.records.save({ before: incident, after: sealed.incident, entry: sealed.entry });
    if (outcome === 'saved') return { ok: true, incident: sealed.incident, entry: sealed.entry, attempts: attempt };
    if (attempt >= MAX_ATTEMPTS) throw new IncidentBusyError(incidentId, attempt);
  }
}

/**
 * The next version of an incident after a command, sealed with its log entry, without writing it: for a writer
 * that commits several incidents in one batch (the notifier). Undefined when the command changes nothing.
 */
export function sealCommand(
  incident: Incident,
  command: LifecycleCommand,
  actor: Actor,
  now: Date,
  policy: LifecyclePolicy,
  token: string,
): { after: Incident; entry: LogEntry } | undefined {
  const decision = decide(incident, command, now, policy);
  if (!decision.ok || decision.events.length === 0) return undefined;
  const next = { ...decision.incident, version: incident.version + 1 };
  const sealed = sealChange(incident, next, decision.events, { actor, at: now, token });
  return { after: sealed.incident, entry: sealed.entry };
}

/** Other writers kept committing first: the caller retries later (the API answers 503, a stream batch is retried). */
export class IncidentBusyError extends Error {
  override name = 'IncidentBusyError';
  constructor(incidentId: string, attempts: number) {
    super(`incident ${incidentId} changed under ${attempts} attempts in a row; try again`);
  }
}
