import * as z from 'zod';
import { Instant } from '../../events/common.ts';
import { DutyDesk, Officer } from '../domain/duty-desks.ts';
import { Roster as DomainRoster } from '../domain/duty-roster.ts';
import { Incident } from '../domain/incident.ts';
import { IncidentState, Level, OfficerCommand, OfficerRole } from '../domain/incident-lifecycle.ts';
import { LogEntry } from '../domain/incident-log.ts';
import { SEVERITIES } from '../domain/severity.ts';

/**
 * The duty-desk API's contracts: query parameters, bodies and answers, the one source of its types and of
 * `openapi/desk-api.json`. Requests and answers are kept in registries of their own, apart from the ingest API's
 * (which documents the global registry), so neither document picks up the other's schemas.
 */
export const deskApiRequests = z.registry<{ id: string; description?: string }>();
export const deskApiAnswers = z.registry<{ id: string; description?: string }>();

/** Most incidents one page holds; the default is 20. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** The fields of a duty desk as the directory keeps them (shared/domain/duty-desks.ts): one definition of each. */
const desk = DutyDesk.in.shape;

/** A 6-digit county, 9-digit township/street or 12-digit village/community code (GB/T 2260 and its extensions). */
export const JurisdictionCode = desk.jurisdiction;

/** An officer's id: the user name they sign in with, as the desk directory spells it. */
export const OfficerId = Officer.shape.id;

/** `state=open,signed`: a comma-separated list, as the HTTP API joins a repeated parameter. */
const StateList = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(IncidentState).min(1));

/** What `GET /v1/incidents` takes. Unknown parameters are refused, so a misspelt filter never silently widens. */
export const ListIncidentsQuery = z
  .strictObject({
    jurisdiction: JurisdictionCode.optional().meta({
      description: "Incidents at or below this code; default the officer's desk. Must be inside the desk's area.",
    }),
    state: StateList.optional().meta({ description: 'One or more states, comma-separated' }),
    severity: z.coerce
      .number()
      .int()
      .min(1)
      .max(SEVERITIES.length)
      .optional()
      .meta({ description: 'At least this severe: 2 lists levels 1 and 2 (1 is the most severe)' }),
    from: Instant.optional().meta({ description: 'First seen at or after (ISO 8601 with offset)' }),
    to: Instant.optional().meta({ description: 'First seen before (ISO 8601 with offset)' }),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z.string().min(1).max(2048).optional().meta({ description: "The previous page's `next`" }),
  })
  .refine((query) => !(query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)), {
    error: 'must be after from',
    path: ['to'],
  });
export type ListIncidentsQuery = z.infer<typeof ListIncidentsQuery>;

/** The last segment of `POST /v1/incidents/{id}/<action>`, and the officer command it is. */
export const COMMAND_ACTIONS = {
  sign: 'sign',
  dispatch: 'dispatch',
  arrive: 'arrive',
  feedback: 'feedback',
  close: 'close',
  reopen: 'reopen',
  notes: 'note',
} as const satisfies Record<string, OfficerCommand['kind']>;
export type CommandAction = keyof typeof COMMAND_ACTIONS;

/** The body of each command: the command's own fields (its `kind` is the path), nothing more. */
export const COMMAND_BODIES = Object.fromEntries(
  OfficerCommand.options.map((option) => {
    const action = Object.entries(COMMAND_ACTIONS).find(([, kind]) => kind === option.shape.kind.value)![0];
    const { kind: _kind, ...fields } = option.shape;
    return [action, z.strictObject(fields).register(deskApiRequests, { id: `${pascal(action)}Body` })] as const;
  }),
) as Record<CommandAction, z.ZodObject>;

function pascal(action: string): string {
  return `${action[0]!.toUpperCase()}${action.slice(1)}`;
}

/**
 * Who is on duty at a desk, in the deployment's time zone: the desks' own roster schema (shared/domain/duty-roster.ts),
 * weekly shifts on days `mon`…`sun` plus dated overrides, so the API reads and writes exactly what the directory
 * keeps. The desk's standing numbers cover any gap. The body is bounded by the API's 64 KiB limit.
 */
export const Roster = DomainRoster.register(deskApiRequests, {
  id: 'Roster',
  description: 'Weekly shifts plus dated overrides, naming officers by id; PUT replaces the whole roster',
});
export type Roster = DomainRoster;

// ---------------------------------------------------------------------------------------------------------------
// Answers

/** RFC 9457 problem details: the one shape of every error this API answers. */
export const Problem = z
  .object({
    type: z.string().meta({ description: 'A URI naming the kind of problem: urn:sanwang:problem:<kind>' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What went wrong and what to do, never repeating a submitted value' }),
    field: z.string().optional().meta({ description: 'The query parameter or body field at fault (400, 422)' }),
    state: IncidentState.optional().meta({ description: 'A 409: the state the incident is in now' }),
    by: z
      .object({ officerId: z.string(), deskId: z.string(), at: z.string() })
      .optional()
      .meta({ description: 'A 409: who moved the incident into that state, and when' }),
  })
  .register(deskApiAnswers, { id: 'Problem', description: 'application/problem+json (RFC 9457)' });
export type Problem = z.infer<typeof Problem>;

/** An incident as the desks read it: without its event keys and the notifier's bookkeeping. */
export const IncidentView = Incident.omit({
  applied: true,
  appliedPages: true,
  dedupKey: true,
  version: true,
  alertSeq: true,
  alertPending: true,
  alertPendingSince: true,
  alertSentSeq: true,
  steps: true,
  expiresAt: true,
}).register(deskApiAnswers, { id: 'Incident' });
export type IncidentView = z.infer<typeof IncidentView>;

const LogEntryView = LogEntry.register(deskApiAnswers, {
  id: 'LogEntry',
  description: 'One entry of the incident log (a hash chain): who did what, when, and the state before and after',
});

export const IncidentList = z
  .object({
    items: z.array(IncidentView),
    next: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last page' }),
  })
  .register(deskApiAnswers, { id: 'IncidentList' });
export type IncidentList = z.infer<typeof IncidentList>;

export const IncidentDetail = z
  .object({ incident: IncidentView, log: z.array(LogEntryView) })
  .register(deskApiAnswers, { id: 'IncidentDetail', description: 'The incident and its log, oldest entry first' });
export type IncidentDetail = z.infer<typeof IncidentDetail>;

export const CommandResult = z
  .object({ incident: IncidentView, entry: LogEntryView })
  .register(deskApiAnswers, { id: 'CommandResult', description: 'The incident after the command, and its log entry' });
export type CommandResult = z.infer<typeof CommandResult>;

/** An officer as the API shows one: name and mobile masked (`李**`, `138****5678`). */
export const MaskedOfficer = z
  .object({ id: OfficerId, name: z.string(), mobile: z.string(), role: OfficerRole })
  .register(deskApiAnswers, { id: 'Officer', description: 'Name and mobile are masked' });
export type MaskedOfficer = z.infer<typeof MaskedOfficer>;

export const DeskSummary = z
  .object({
    id: desk.id,
    name: desk.name,
    jurisdiction: desk.jurisdiction,
    level: Level,
    minSeverity: desk.minSeverity,
    officers: z.number().int().meta({ description: 'How many officers the desk has' }),
  })
  .register(deskApiAnswers, { id: 'DeskSummary' });
export type DeskSummary = z.infer<typeof DeskSummary>;

export const DeskList = z.object({ items: z.array(DeskSummary) }).register(deskApiAnswers, { id: 'DeskList' });
export type DeskList = z.infer<typeof DeskList>;

export const DeskDetail = z
  .object({
    ...DeskSummary.shape,
    officers: z.array(MaskedOfficer),
    roster: Roster,
  })
  .register(deskApiAnswers, { id: 'Desk', description: 'A desk with its officers (masked) and roster' });
export type DeskDetail = z.infer<typeof DeskDetail>;
