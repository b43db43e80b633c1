import * as z from 'zod';

/**
 * The life of an incident, as the duty desks live it: open → signed (签收) → dispatched (派警) → arrived (到场) →
 * feedback (反馈) → closed, and reopened within a configured time. These are the shapes every writer shares; the
 * state machine that moves between them is `decide` (incident-decide.ts).
 */
export const INCIDENT_STATES = ['open', 'signed', 'dispatched', 'arrived', 'feedback', 'closed'] as const;
export const IncidentState = z.enum(INCIDENT_STATES);
export type IncidentState = z.infer<typeof IncidentState>;

/** Levels of responsibility, lowest first: an incident nobody signs for climbs them. */
export const LEVELS = ['village', 'township', 'county'] as const;
export const Level = z.enum(LEVELS);
export type Level = z.infer<typeof Level>;

/** What a feedback says the incident was. */
export const OUTCOMES = ['confirmed', 'false-alarm', 'duplicate', 'no-action'] as const;
export const Outcome = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof Outcome>;

export const OFFICER_ROLES = ['officer', 'desk-lead', 'county-admin'] as const;
export const OfficerRole = z.enum(OFFICER_ROLES);
export type OfficerRole = z.infer<typeof OfficerRole>;

/** Who did something: an officer (from a signed-in token) or one of sanwang's functions. */
export const Actor = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('officer'), officerId: z.string(), deskId: z.string(), role: OfficerRole }),
  z.object({ kind: z.literal('function'), name: z.enum(['rules', 'notify', 'sweep']) }),
]);
export type Actor = z.infer<typeof Actor>;
export type OfficerActor = Extract<Actor, { kind: 'officer' }>;

/** An officer's act on an incident, as recorded on it. */
export const Act = z.object({ officerId: z.string(), deskId: z.string(), at: z.string() });
export type Act = z.infer<typeof Act>;

/** Free text an officer types (a unit, a note): short, and masked for ID and phone numbers before it is kept. */
const Text = (max: number) => z.string().trim().min(1).max(max);

/** What an officer may do to an incident through the duty-desk API. */
export const OfficerCommand = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sign') }),
  z.object({
    kind: z.literal('dispatch'),
    unit: Text(40).meta({ description: 'The patrol or officer sent, e.g. 巡逻二组' }),
  }),
  z.object({ kind: z.literal('arrive') }),
  z.object({ kind: z.literal('feedback'), outcome: Outcome, note: Text(200).optional() }),
  z.object({ kind: z.literal('close'), note: Text(200).optional() }),
  z.object({ kind: z.literal('reopen'), reason: Text(200) }),
  z.object({ kind: z.literal('note'), text: Text(200) }),
]);
export type OfficerCommand = z.infer<typeof OfficerCommand>;
export type OfficerCommandKind = OfficerCommand['kind'];

/** Why a command was not applied. The API answers 404, 409 (conflict, expired) or 403. */
export type CommandRejection =
  | { code: 'not-found'; message: string }
  /** The incident's state does not allow it; `by`/`at` name who moved it there (e.g. who signed first). */
  | { code: 'conflict'; message: string; state: IncidentState; by?: Act }
  /** A reopen after the reopen window. */
  | { code: 'expired'; message: string }
  | { code: 'forbidden'; message: string };
