import type { z } from 'zod';
import { type DeskDirectory, DeskDirectoryError, type DeskDirectoryWriter } from '../adapters/desk-directory.ts';
import type { DutyDesk } from '../domain/duty-desks.ts';
import type { Incident } from '../domain/incident.ts';
import type { Act, CommandRejection, IncidentState, OfficerCommand } from '../domain/incident-lifecycle.ts';
import { localTime } from '../domain/local-time.ts';
import { maskName, maskPhone } from '../domain/personal-data-masking.ts';
import type { Severity } from '../domain/severity.ts';
import {
  type Caller,
  managesDesks,
  mayChangeRoster,
  placeCode,
  resolveCaller,
  visibleDesks,
  within,
} from './desk-access.ts';
import { type DeskApiResponse, describeIssue, json, type Origin, problem } from './desk-api-problems.ts';
import {
  COMMAND_ACTIONS,
  COMMAND_BODIES,
  type CommandAction,
  type DeskDetail,
  type DeskSummary,
  type IncidentView,
  IncidentView as IncidentViewSchema,
  ListIncidentsQuery,
  Roster,
} from './desk-api-schemas.ts';
import type { IncidentService } from './incident-service.ts';
import type { Log } from './rules-processor.ts';

export type { DeskApiResponse } from './desk-api-problems.ts';

/** An HTTP request as the duty-desk API sees it (API Gateway's v2 payload, or the local server). */
export interface DeskApiRequest {
  method: string;
  /** The path as sent, percent-encoding kept (an incident id holds `|` and `/`). */
  path: string;
  /** Decoded parameters; a repeated parameter joined with commas, as the HTTP API hands it on. */
  query: Readonly<Record<string, string | undefined>>;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body as text (empty when none). */
  body: string;
  /** The claims of the verified token, as the JWT authorizer passes them; undefined on a route without one. */
  claims: Readonly<Record<string, unknown>> | undefined;
}

export interface DeskApiDeps {
  incidents: IncidentService;
  /** The desk directory (shared/adapters/desk-directory.ts): read for every request, written by a roster change. */
  desks: DeskDirectory & Pick<DeskDirectoryWriter, 'put'>;
  openApi: () => unknown;
  /** Times in answers (`于 02:03 签收`) are read in this zone. */
  timeZone: string;
  now: () => Date;
  log: Log;
}

/** Limits of the API, in one place. */
export const deskApiLimits = {
  /** A roster of 50 shifts and 200 overrides fits well inside this. */
  maxBodyBytes: 64 * 1024,
  /** Longer ids are not incident ids (they are at most a rule id, 160 bytes of key and a window). */
  maxIncidentIdLength: 256,
} as const;

const JSON_TYPES = /^application\/([a-z.-]+\+)?json$/;

/** What an officer's act is called in an answer: `已由 100234 于 02:03 签收`. */
const ACT_WORDS: Record<IncidentState, string> = {
  open: '重新打开',
  signed: '签收',
  dispatched: '派警',
  arrived: '到场',
  feedback: '反馈',
  closed: '关闭',
};

type Route =
  | { name: 'openapi' }
  | { name: 'list-incidents' }
  | { name: 'incident'; rawId: string }
  | { name: 'command'; rawId: string; action: CommandAction }
  | { name: 'list-desks' }
  | { name: 'desk'; deskId: string }
  | { name: 'roster'; deskId: string };

/**
 * The duty-desk API: officers list and read the incidents of their desk's area and act on them (sign, dispatch,
 * arrive, feedback, close, reopen, note); desk leads and county administrators read desks and change rosters. The
 * caller is the officer the verified token names, their desk and role taken from the directory. Anything outside
 * their area is 403 and changes nothing. Every error is an RFC 9457 problem that never repeats a submitted value.
 */
export function createDeskApi(deps: DeskApiDeps) {
  return async function deskApi(request: DeskApiRequest): Promise<DeskApiResponse> {
    try {
      return await handle(request);
    } catch (error) {
      if ((error as Error | undefined)?.name === 'InvalidCursorError') {
        return problem('invalid-request', 'is not a cursor this list gave out: start again without it', {
          field: 'cursor',
        });
      }
      // The directory or the incident store could not be reached. A command may or may not have been applied: the
      // officer reads the incident again before retrying (a second sign is answered 409, never applied twice).
      deps.log.warn('desk api failed; answered 503', { error: String(error) });
      return problem(
        'unavailable',
        'sanwang could not answer just now; read the incident again before repeating a command',
        {},
        { 'retry-after': '2' },
      );
    }
  };

  async function handle(request: DeskApiRequest): Promise<DeskApiResponse> {
    const matched = matchRoute(request.method, request.path);
    if ('response' in matched) return matched.response;
    const { route } = matched;
    if (route.name === 'openapi') return json(200, deps.openApi());

    const desks = await deps.desks.list();
    const who = resolveCaller(request.claims, desks);
    if (!who.ok) return problem('unauthenticated', who.detail, {}, { 'www-authenticate': 'Bearer' });
    const caller = who.caller;

    switch (route.name) {
      case 'list-incidents':
        return listIncidents(caller, request.query);
      case 'incident':
      case 'command': {
        const id = decodeId(route.rawId);
        if (id === undefined)
          return problem('invalid-request', 'is not a percent-encoded incident id', { field: 'id' });
        return route.name === 'incident' ? readIncident(caller, id) : command(caller, id, route.action, request);
      }
      case 'list-desks':
        if (!managesDesks(caller))
          return forbidden(caller, request, 'only desk leads and county administrators list desks');
        return json(200, { items: visibleDesks(caller, desks).map(summary) });
      case 'desk': {
        const desk = desks.find((d) => d.id === route.deskId);
        if (!desk) return problem('not-found', 'no desk has this id');
        if (!visibleDesks(caller, desks).includes(desk)) {
          return forbidden(caller, request, 'this desk is not within your desk and role');
        }
        return json(200, detail(desk));
      }
      case 'roster':
        return putRoster(caller, desks, route.deskId, request);
    }
  }

  async function listIncidents(caller: Caller, rawQuery: DeskApiRequest['query']): Promise<DeskApiResponse> {
    const parsed = parse(ListIncidentsQuery, definedOnly(rawQuery), 'query', Object.keys(ListIncidentsQuery.shape));
    if (!parsed.ok) return parsed.response;
    const query = parsed.value;
    const jurisdiction = query.jurisdiction ?? caller.scope;
    if (!within(jurisdiction, caller.scope)) {
      return forbidden(caller, { method: 'GET', route: '/v1/incidents' }, 'jurisdiction is outside your desk', {
        field: 'jurisdiction',
      });
    }
    const page = await deps.incidents.list({
      jurisdiction,
      ...(query.state ? { states: query.state } : {}),
      ...(query.severity ? { severityAtMost: query.severity as Severity } : {}),
      ...(query.from ? { from: query.from } : {}),
      ...(query.to ? { to: query.to } : {}),
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    // The service filters by jurisdiction; this holds the line should it ever hand back more.
    const items = page.items.filter((incident) => within(placeCode(incident.place), caller.scope));
    if (items.length < page.items.length) {
      deps.log.warn('incident list held incidents outside the asked jurisdiction; left out', {
        jurisdiction,
        leftOut: page.items.length - items.length,
      });
    }
    return json(200, { items: items.map(view), ...(page.next ? { next: page.next } : {}) });
  }

  async function readIncident(caller: Caller, id: string): Promise<DeskApiResponse> {
    const found = await deps.incidents.get(id);
    if (!found) return problem('not-found', 'no incident has this id (or it has expired)');
    if (!within(placeCode(found.incident.place), caller.scope)) {
      return forbidden(caller, { method: 'GET', route: '/v1/incidents/{id}' }, 'the incident is outside your desk');
    }
    return json(200, { incident: view(found.incident), log: found.log });
  }

  async function command(
    caller: Caller,
    id: string,
    action: CommandAction,
    request: DeskApiRequest,
  ): Promise<DeskApiResponse> {
    const schema = COMMAND_BODIES[action];
    const body = readJsonBody(request, { emptyIs: {} });
    if (!body.ok) return body.response;
    const parsed = parse(schema, body.value, 'body', Object.keys(schema.shape));
    if (!parsed.ok) return parsed.response;
    const found = await deps.incidents.get(id);
    if (!found) return problem('not-found', 'no incident has this id (or it has expired)');
    // Checked before the command reaches the state machine: outside the desk's area nothing is written, not even a
    // rejected attempt.
    if (!within(placeCode(found.incident.place), caller.scope)) {
      return forbidden(
        caller,
        { method: 'POST', route: `/v1/incidents/{id}/${action}` },
        'the incident is outside your desk',
      );
    }
    const officerCommand = { ...(parsed.value as object), kind: COMMAND_ACTIONS[action] } as OfficerCommand;
    const outcome = await deps.incidents.command(id, officerCommand, caller.actor);
    if (outcome.ok) return json(200, { incident: view(outcome.incident), entry: outcome.entry });
    return rejection(caller, action, outcome);
  }

  function rejection(caller: Caller, action: CommandAction, outcome: CommandRejection): DeskApiResponse {
    switch (outcome.code) {
      case 'not-found':
        return problem('not-found', 'no incident has this id (or it has expired)');
      case 'conflict':
        return problem('conflict', conflictDetail(outcome.state, outcome.by, outcome.message), {
          state: outcome.state,
          ...(outcome.by ? { by: outcome.by } : {}),
        });
      case 'expired':
        // 422, not 409: reading the incident again cannot help, the reopen window has closed for good.
        return problem('unprocessable', `the incident can no longer be reopened: ${outcome.message}`);
      case 'forbidden':
        return forbidden(caller, { method: 'POST', route: `/v1/incidents/{id}/${action}` }, outcome.message);
    }
  }

  /** `已由 100234 于 02:03 签收`: who moved the incident and when, named by officer id (never name or phone). */
  function conflictDetail(state: IncidentState, by: Act | undefined, message: string): string {
    if (!by) return `the incident is ${state} now: ${message}`;
    const at = new Date(by.at);
    const when = localTime(at, deps.timeZone);
    const today = localTime(deps.now(), deps.timeZone).date === when.date;
    return `已由 ${by.officerId} 于 ${today ? when.hhmm : `${when.monthDay} ${when.hhmm}`} ${ACT_WORDS[state]}: the incident is ${state} now; read it again before acting`;
  }

  async function putRoster(
    caller: Caller,
    desks: readonly DutyDesk[],
    deskId: string,
    request: DeskApiRequest,
  ): Promise<DeskApiResponse> {
    const body = readJsonBody(request, {});
    if (!body.ok) return body.response;
    const parsed = parse(Roster, body.value, 'body', Object.keys(Roster.shape));
    if (!parsed.ok) return parsed.response;
    const desk = desks.find((d) => d.id === deskId);
    if (!desk) return problem('not-found', 'no desk has this id');
    if (!mayChangeRoster(caller, desk)) {
      return forbidden(
        caller,
        { method: 'PUT', route: '/v1/desks/{id}/roster' },
        "only the desk's lead or a county administrator of its county changes its roster",
      );
    }
    const roster = parsed.value;
    const staff = new Set(desk.officers.map((o) => o.id));
    for (const [list, entries] of [
      ['shifts', roster.shifts],
      ['overrides', roster.overrides],
    ] as const) {
      for (const [i, entry] of entries.entries()) {
        const j = entry.officers.findIndex((officerId) => !staff.has(officerId));
        if (j >= 0) {
          return problem('unprocessable', "is not one of this desk's officers", {
            field: `${list}.${i}.officers.${j}`,
          });
        }
      }
    }
    const updated: DutyDesk = { ...desk, roster };
    try {
      await deps.desks.put(updated);
    } catch (error) {
      // The directory checks the desks as a whole; its message names fields, never their values.
      if (error instanceof DeskDirectoryError) return problem('unprocessable', error.message);
      throw error;
    }
    deps.log.info('roster changed', { deskId: desk.id, by: caller.actor.officerId });
    return json(200, detail(updated));
  }

  /** A 403: nothing is read further or written; one log line (officer id, desk, route, why) is the only trace. */
  function forbidden(
    caller: Caller,
    where: { method: string; route?: string; path?: string },
    why: string,
    extra: { field?: string } = {},
  ): DeskApiResponse {
    deps.log.warn('desk api: forbidden', {
      officerId: caller.actor.officerId,
      deskId: caller.desk.id,
      role: caller.actor.role,
      method: where.method,
      route: where.route ?? routeTemplate(where.path ?? ''),
      reason: why,
    });
    return problem('forbidden', why, extra);
  }

  function parse<S extends z.ZodType>(
    schema: S,
    input: unknown,
    origin: Origin,
    allowed: readonly string[],
  ): { ok: true; value: z.infer<S> } | { ok: false; response: DeskApiResponse } {
    const result = schema.safeParse(input, { reportInput: true });
    if (result.success) return { ok: true, value: result.data };
    const { field, message } = describeIssue(result.error, origin, allowed);
    return { ok: false, response: problem('invalid-request', message, { field }) };
  }
}

/** Matches a path to a route, or answers 404 / 405: only the method and the path are looked at here. */
function matchRoute(method: string, path: string): { route: Route } | { response: DeskApiResponse } {
  const allow = (methods: string, route: Route) =>
    methods.split(',').includes(method)
      ? { route }
      : { response: problem('method-not-allowed', `this path takes ${methods}`, {}, { allow: methods }) };
  if (path === '/v1/openapi.json') return allow('GET', { name: 'openapi' });
  if (path === '/v1/incidents') return allow('GET', { name: 'list-incidents' });
  if (path === '/v1/desks') return allow('GET', { name: 'list-desks' });
  const desk = /^\/v1\/desks\/([a-z0-9-]{1,40})(\/roster)?$/.exec(path);
  if (desk) {
    return desk[2]
      ? allow('PUT', { name: 'roster', deskId: desk[1]! })
      : allow('GET', { name: 'desk', deskId: desk[1]! });
  }
  if (path.startsWith('/v1/incidents/')) {
    const rest = path.slice('/v1/incidents/'.length);
    // An id never ends in `/<action>` (it ends in its window, `|20261124T1800`), whether or not its `/` came encoded.
    const slash = rest.lastIndexOf('/');
    const last = slash >= 0 ? rest.slice(slash + 1) : '';
    if (slash > 0 && Object.hasOwn(COMMAND_ACTIONS, last)) {
      return allow('POST', { name: 'command', rawId: rest.slice(0, slash), action: last as CommandAction });
    }
    if (method === 'POST' && slash > 0 && /^[a-z]+$/.test(last)) {
      return {
        response: problem(
          'not-found',
          `no such command; post to /v1/incidents/{id}/ one of ${Object.keys(COMMAND_ACTIONS).join(', ')}`,
        ),
      };
    }
    if (rest !== '') return allow('GET', { name: 'incident', rawId: rest });
  }
  return {
    response: problem('not-found', 'no such path: see GET /v1/openapi.json for the duty-desk API'),
  };
}

/** A route's template for log lines: ids left out, since a path may carry anything a client sent. */
function routeTemplate(path: string): string {
  return path.replace(/^(\/v1\/(?:incidents|desks))\/.+?(\/[a-z]+)?$/, '$1/{id}$2');
}

function decodeId(raw: string): string | undefined {
  try {
    const id = decodeURIComponent(raw);
    return id.length > 0 && id.length <= deskApiLimits.maxIncidentIdLength ? id : undefined;
  } catch {
    return undefined;
  }
}

function definedOnly(query: DeskApiRequest['query']): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function readJsonBody(
  request: DeskApiRequest,
  options: { emptyIs?: unknown },
): { ok: true; value: unknown } | { ok: false; response: DeskApiResponse } {
  const text = request.body;
  if (Buffer.byteLength(text) > deskApiLimits.maxBodyBytes) {
    return {
      ok: false,
      response: problem('payload-too-large', `the body is over ${deskApiLimits.maxBodyBytes} bytes`),
    };
  }
  if (text.trim() === '' && options.emptyIs !== undefined) return { ok: true, value: options.emptyIs };
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.test(type)) {
    return { ok: false, response: problem('unsupported-media-type', 'send the body as application/json') };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, response: problem('invalid-request', 'is not JSON', { field: 'body' }) };
  }
}

/** The incident as desks read it (event keys and the notifier's bookkeeping left out). */
function view(incident: Incident): IncidentView {
  return IncidentViewSchema.parse(incident);
}

function summary(desk: DutyDesk): DeskSummary {
  return {
    id: desk.id,
    name: desk.name,
    jurisdiction: desk.jurisdiction,
    level: desk.level,
    minSeverity: desk.minSeverity,
    officers: desk.officers.length,
  };
}

function detail(desk: DutyDesk): DeskDetail {
  return {
    ...summary(desk),
    officers: desk.officers.map((o) => ({
      id: o.id,
      name: maskName(o.name),
      mobile: maskPhone(o.mobile),
      role: o.role,
    })),
    roster: desk.roster,
  };
}
