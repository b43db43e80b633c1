import type { Place } from '../../events/common.ts';
import type { DutyDesk, Officer } from '../domain/duty-desks.ts';
import type { OfficerActor } from '../domain/incident-lifecycle.ts';
import { OfficerId } from './desk-api-schemas.ts';

/**
 * Who may see and do what through the duty-desk API. Pure: the caller's identity comes from the verified token,
 * their desk and role from the desk directory, never from the token.
 */

/** The signed-in officer: the actor of every command, and the desk whose area bounds what they see. */
export interface Caller {
  actor: OfficerActor;
  desk: DutyDesk;
  officer: Officer;
  /** The code everything they see lies at or below. */
  scope: string;
}

export type CallerResult = { ok: true; caller: Caller } | { ok: false; detail: string };

/**
 * The officer id a token names: Cognito puts the user name (the officer id) in `username` (access tokens) or
 * `cognito:username` (ID tokens), its `sub` being a UUID; the local issuer sets `sub` to the officer id too.
 */
export function officerIdOf(claims: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!claims) return undefined;
  for (const name of ['username', 'cognito:username', 'sub']) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * The caller the claims name, looked up in the directory. An officer on no desk, or on two, has no usable
 * identity here (401): the directory, not the token, says who they are.
 * @example resolveCaller({ username: '100234' }, desks) // { ok: true, caller: { actor: { kind: 'officer', … } } }
 */
export function resolveCaller(
  claims: Readonly<Record<string, unknown>> | undefined,
  desks: readonly DutyDesk[],
): CallerResult {
  const officerId = officerIdOf(claims);
  if (officerId === undefined)
    return {
      ok: false,
      detail: 'the request carries no signed-in officer: sign in and send the token as Authorization: Bearer <token>',
    };
  if (!OfficerId.safeParse(officerId).success)
    return { ok: false, detail: 'the token names no officer id this API knows' };
  const found = desks.flatMap((desk) =>
    desk.officers.filter((o) => o.id === officerId).map((officer) => ({ desk, officer })),
  );
  if (found.length === 0)
    return { ok: false, detail: 'the signed-in officer is on no duty desk: ask a county administrator to add them' };
  if (found.length > 1)
    return {
      ok: false,
      detail: 'the signed-in officer is listed on more than one desk: ask a county administrator to fix the directory',
    };
  const { desk, officer } = found[0]!;
  return {
    ok: true,
    caller: {
      actor: { kind: 'officer', officerId, deskId: desk.id, role: officer.role },
      desk,
      officer,
      scope: scopeOf(desk.jurisdiction, officer.role),
    },
  };
}

/** A county administrator oversees the county of their desk; everyone else the area of their own desk. */
export function scopeOf(deskJurisdiction: string, role: Officer['role']): string {
  return role === 'county-admin' ? deskJurisdiction.slice(0, 6) : deskJurisdiction;
}

/** Whether a code lies at or below a scope: codes nest by prefix (county 6, township 9, village 12 digits). */
export function within(code: string, scope: string): boolean {
  return code.startsWith(scope);
}

/** The most precise code of a place: its village, else its township, else its county. */
export function placeCode(place: Pick<Place, 'county' | 'township' | 'village'>): string {
  return place.village ?? place.township ?? place.county;
}

/** Desk leads and county administrators manage desks; an officer does not. */
export function managesDesks(caller: Caller): boolean {
  return caller.officer.role !== 'officer';
}

/** The desks a manager sees: those whose area lies inside theirs. */
export function visibleDesks(caller: Caller, desks: readonly DutyDesk[]): DutyDesk[] {
  return managesDesks(caller) ? desks.filter((desk) => within(desk.jurisdiction, caller.scope)) : [];
}

/** A desk lead changes the roster of their own desk; a county administrator that of any desk in the county. */
export function mayChangeRoster(caller: Caller, desk: DutyDesk): boolean {
  if (caller.officer.role === 'desk-lead') return desk.id === caller.desk.id;
  return caller.officer.role === 'county-admin' && within(desk.jurisdiction, caller.scope);
}
