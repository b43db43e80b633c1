import * as z from 'zod';
import { Incident } from '../shared/domain/incident.ts';
import { IncidentState, OfficerCommand, OfficerRole } from '../shared/domain/incident-lifecycle.ts';
import { LogEntry } from '../shared/domain/incident-log.ts';
import { SEVERITIES } from '../shared/domain/severity.ts';
import { Instant } from './common.ts';

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

/** A 6-digit county, 9-digit township/street or 12-digit village/community code (GB/T 2260 and its extensions). */
export const JurisdictionCode = z
  .string()
  .regex(/^(\d{6}|\d{9}|\d{12})$/, { error: 'must be a 6-digit county, 9-digit township or 12-digit village code' });

/** An officer's id: the user name they sign in with (警号 or the force's own id). */
export const OfficerId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1–64 letters, digits, dots, dashes or underscores' });

const DeskId = z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'must be lower-case letters, digits and dashes (≤ 40)' });

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

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a time HH:MM (00:00–23:59)' });
const OnDuty = z.array(OfficerId).min(1).max(20);

/** A weekly shift: on these ISO weekdays (1 Monday … 7 Sunday), from start to end; an end at or before the start runs past midnight. */
export const Shift = z.strictObject({
  days: z
    .array(z.int().min(1).max(7))
    .min(1)
    .max(7)
    .meta({ description: 'ISO weekdays the shift starts on, 1 Monday … 7 Sunday' }),
  start: HHMM,
  end: HHMM,
  officers: OnDuty.meta({ description: "Officer ids on duty; each must be one of the desk's officers" }),
});

/** A dated change to the week: these officers, on that date from start to end, instead of the shift. */
export const RosterOverride = z.strictObject({
  date: z.iso.date({ error: 'must be a date YYYY-MM-DD' }),
  start: HHMM,
  end: HHMM,
  officers: OnDuty,
});

/** Who is on duty at a desk, in the deployment's time zone; the desk's standing number covers any gap. */
export const Roster = z
  .strictObject({
    shifts: z.array(Shift).max(50),
    overrides: z.array(RosterOverride).max(200).default([]),
  })
  .register(deskApiRequests, {
    id: 'Roster',
    description: 'Weekly shifts plus dated overrides, naming officers by id; PUT replaces the whole roster',
  });
export type Roster = z.infer<typeof Roster>;

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
  alertReason: true,
  alertPending: true,
  alertSentSeq: true,
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
    id: DeskId,
    name: z.string(),
    jurisdiction: JurisdictionCode,
    level: z.enum(['county', 'township', 'village']),
    minSeverity: z.number().int(),
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
    roster: z.object({ shifts: z.array(Shift), overrides: z.array(RosterOverride) }),
  })
  .register(deskApiAnswers, { id: 'Desk', description: 'A desk with its officers (masked) and roster' });
export type DeskDetail = z.infer<typeof DeskDetail>;
