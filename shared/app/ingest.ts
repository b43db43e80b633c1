import type { AdapterOutcome, DeviceAdapter, DraftEvent } from '../../events/adapters/device-adapter.ts';
import { MalformedBodyError } from '../../events/adapters/device-adapter.ts';
import type { EventResult, IngestSummary } from '../../events/api.ts';
import type { Place } from '../../events/common.ts';
import { countyName } from '../../events/divisions.ts';
import type { SanwangEvent, SanwangEventInput } from '../../events/envelope.ts';
import { describeJsonError } from '../../events/json-error.ts';
import type { FieldIssue } from '../../events/validation.ts';
import type { DeviceRegistry, RegisteredDevice } from '../adapters/device-registry.ts';
import type { EventStream } from '../adapters/event-stream.ts';
import type { IntegrationDirectory } from '../adapters/integration-directory.ts';
import type { ReplayGuard } from '../adapters/replay-guard.ts';
import {
  type AdmissionContext,
  type AdmissionPolicy,
  admitEvent,
  issuesBeforePlacement,
  pseudonymizeIds,
} from '../domain/event-admission.ts';
import type { Integration } from '../domain/integrations.ts';
import { pseudonymizeId, scrubText } from '../domain/personal-data-masking.ts';
import { SIGNATURE_HEADERS, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from '../domain/request-signature.ts';
import type { Log } from './rules-processor.ts';

/** An HTTP request as the ingest sees it (API Gateway's v2 payload, or the local server). */
export interface IngestRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** Decoded parameters, as the gateway hands them on; what is signed is canonicalised from these. */
  query: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  receivedAt: Date;
}

export interface IngestResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface IngestDeps {
  integrations: IntegrationDirectory;
  replay: ReplayGuard;
  devices: DeviceRegistry;
  stream: EventStream;
  adapters: Readonly<Record<string, DeviceAdapter>>;
  openApi: () => unknown;
  timeZone: string;
  maxBodyBytes: number;
  /** The clock skew and retention an event's occurredAt must meet (MAX_CLOCK_SKEW_SECONDS, INCIDENT_RETENTION_DAYS). */
  eventTime: AdmissionPolicy;
  log: Log;
}

export { MAX_EVENTS_PER_REQUEST } from '../../events/limits.ts';

import { MAX_EVENTS_PER_REQUEST } from '../../events/limits.ts';

const JSON_TYPES = ['application/json'];
/** An event id as the envelope allows it: only such an id is repeated in an answer. */
const ANSWERABLE_ID = /^[\w.:@/-]{1,128}$/;

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): IngestResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});
const problem = (statusCode: number, error: string, message: string, headers?: Record<string, string>) =>
  json(statusCode, { error, message }, headers);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The id to repeat in an event's answer: its own (already pseudonymized) when valid, else none. */
function answerId(item: unknown): { id?: string } {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === 'string' && ANSWERABLE_ID.test(id) ? { id } : {};
}

/**
 * The ingest API: authenticate the integration by signature, read canonical JSON or a device format, place device
 * events from the registry, check each event against the schema and the integration's registration, and put the
 * good ones on the stream. Every event gets its own answer; good events beside bad ones are never lost. No answer
 * repeats a submitted value: messages say what is wrong and what is allowed.
 */
export function createIngest(deps: IngestDeps) {
  return async function ingest(request: IngestRequest): Promise<IngestResponse> {
    try {
      return await handle(request);
    } catch (error) {
      // The registry, the replay guard or the device registry could not be reached: nothing was written, and the
      // integration should retry the same events (signed anew).
      deps.log.warn('ingest failed before writing; answered 503', { error: String(error) });
      return problem(
        503,
        'unavailable',
        'sanwang could not check this request just now; nothing was written, retry it',
        {
          'retry-after': '5',
        },
      );
    }
  };

  async function handle(request: IngestRequest): Promise<IngestResponse> {
    const { method, path } = request;
    if (method === 'GET' && path === '/v1/openapi.json') return json(200, deps.openApi());

    const route = /^\/v1\/events(?:\/([a-z0-9-]+))?\/?$/.exec(path);
    if (!route) {
      return problem(
        404,
        'not_found',
        'no such path: post events to /v1/events or /v1/events/{format}; see GET /v1/openapi.json',
      );
    }
    if (method !== 'POST') return problem(405, 'method_not_allowed', 'this path accepts POST only', { allow: 'POST' });
    const format = route[1];
    const adapter = format !== undefined && Object.hasOwn(deps.adapters, format) ? deps.adapters[format] : undefined;
    if (format !== undefined && !adapter) {
      return problem(404, 'unknown_format', `no such device format; known: ${Object.keys(deps.adapters).join(', ')}`);
    }
    if (request.body.length > deps.maxBodyBytes) {
      return problem(
        413,
        'payload_too_large',
        `the body is ${request.body.length} bytes; the limit is ${deps.maxBodyBytes}`,
      );
    }
    const type = mediaType(request.headers['content-type']);
    const accepted = adapter ? adapter.contentTypes : JSON_TYPES;
    if (!accepted.includes(type) && !(adapter === undefined && type.endsWith('+json'))) {
      return problem(
        415,
        'unsupported_media_type',
        `${type ? 'this Content-Type is' : 'a request without Content-Type is'} not read here; send ${accepted.join(' or ')}`,
      );
    }

    const integrationId = request.headers[SIGNATURE_HEADERS.integration];
    if (!integrationId) return problem(401, 'unauthenticated', `missing header ${SIGNATURE_HEADERS.integration}`);
    const integration = await deps.integrations.get(integrationId);
    // A different answer for an unknown integration than for a bad signature helps with typos; ids are not secret.
    if (!integration) {
      return problem(
        401,
        'unauthenticated',
        `no integration is registered under the id in ${SIGNATURE_HEADERS.integration}; check it (3–40 lower-case letters, digits and dashes, as the operator registered it)`,
      );
    }
    const check = verifySignature({
      headers: request.headers,
      method,
      path,
      query: request.query,
      body: request.body,
      secrets: integration.secrets,
      now: request.receivedAt,
    });
    if (!check.ok) return problem(401, 'unauthenticated', check.reason);
    if (format !== undefined && !integration.formats.includes(format as Integration['formats'][number])) {
      return problem(
        403,
        'forbidden',
        `integration ${integration.id} is not registered for the ${format} format; it may post ${['canonical JSON', ...integration.formats].join(', ')}`,
      );
    }
    // The request id goes into a table key and the answer: hashed there if it holds personal data.
    const requestId = pseudonymizeId(request.headers[SIGNATURE_HEADERS.id]!);
    if (!(await deps.replay.firstUse(integration.id, requestId, request.receivedAt))) {
      return problem(
        401,
        'unauthenticated',
        `this ${SIGNATURE_HEADERS.id} was already used within ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes; sign each request, retries included, with a new ${SIGNATURE_HEADERS.id}`,
      );
    }

    let drafts: { events: unknown[]; ignored: AdapterOutcome['ignored']; rejected: FieldIssue[] };
    try {
      drafts = adapter
        ? adapter.parse({ ...request, contentType: request.headers['content-type'] ?? '', timeZone: deps.timeZone })
        : readCanonical(request.body);
    } catch (error) {
      if (error instanceof MalformedBodyError || error instanceof SyntaxError) {
        return problem(400, 'malformed_body', scrubText(error.message));
      }
      throw error;
    }
    if (drafts.events.length > MAX_EVENTS_PER_REQUEST) {
      return problem(
        413,
        'too_many_events',
        `the body holds ${drafts.events.length} events; the limit is ${MAX_EVENTS_PER_REQUEST} a request`,
      );
    }

    const results = await placeCheckAndPut(
      // At the door: ids with personal data are pseudonymized before anything is looked up, kept or answered.
      drafts.events.map(pseudonymizeIds),
      {
        integration,
        format: format ?? 'canonical',
        receivedAt: request.receivedAt,
        policy: deps.eventTime,
      },
      adapter !== undefined,
    );
    const count = (status: EventResult['status']) => results.filter((r) => r.status === status).length;
    const summary: IngestSummary = {
      integration: integration.id,
      requestId,
      format: format ?? 'canonical',
      accepted: count('accepted'),
      rejected: count('rejected'),
      held: count('held'),
      failed: count('failed'),
      ignored: drafts.ignored,
      partsRejected: drafts.rejected,
      results,
    };
    deps.log.info('ingest request', { ...summary, results: undefined });
    const statusCode =
      summary.failed > 0 && summary.accepted + summary.held === 0
        ? 503
        : summary.rejected + summary.failed + drafts.rejected.length === 0
          ? 202
          : summary.accepted + summary.held > 0 || drafts.ignored.length > 0
            ? 207
            : 422;
    return json(statusCode, summary, statusCode === 503 ? { 'retry-after': '5' } : {});
  }

  function readCanonical(body: Buffer) {
    const text = body.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new MalformedBodyError(`body is not JSON: ${describeJsonError(text)}`);
    }
    const events = Array.isArray(value) ? value : isBatch(value) ? value.events : [value];
    return { events, ignored: [], rejected: [] };
  }

  async function placeCheckAndPut(
    items: unknown[],
    ctx: AdmissionContext,
    fromAdapter: boolean,
  ): Promise<EventResult[]> {
    const results: EventResult[] = new Array(items.length);
    const receivedAt = ctx.receivedAt.toISOString();
    const registered = fromAdapter
      ? await deps.devices.find(
          items.map((d) => (d as DraftEvent).source?.id).filter((id): id is string => typeof id === 'string'),
        )
      : new Map<string, RegisteredDevice>();
    const unregistered = new Map<string, { eventType: string; held: number }>();
    const held: { index: number; draft: DraftEvent }[] = [];
    const noteUnregistered = (draft: DraftEvent, held: boolean) => {
      const note = unregistered.get(draft.source.id) ?? { eventType: draft.type, held: 0 };
      if (held) note.held++;
      unregistered.set(draft.source.id, note);
    };
    const good: { index: number; event: SanwangEvent; notes: FieldIssue[] }[] = [];

    items.forEach((item, index) => {
      const id = answerId(item);
      let candidate = item;
      if (fromAdapter) {
        const draft = item as DraftEvent;
        const place = placeOf(draft, registered.get(draft.source.id));
        if (!place.place) {
          // What can be checked without a place is checked now: an event that could never be sent on is not kept.
          const issues = issuesBeforePlacement(draft, ctx);
          if (issues.length > 0) {
            results[index] = { index, ...id, status: 'rejected', issues };
            return;
          }
          noteUnregistered(draft, true);
          held.push({ index, draft });
          results[index] = {
            index,
            ...id,
            status: 'held',
            reason:
              'its device (source.id) is not registered: the event is kept and sent on when an operator registers the device',
          };
          return;
        }
        candidate = { ...draft, place: place.place };
      }
      const admission = admitEvent(candidate, ctx);
      if (!admission.ok) {
        results[index] = { index, ...id, status: 'rejected', issues: admission.issues };
        return;
      }
      // Only a device inside the integration's registration is listed for operators to register.
      if (fromAdapter && !registered.has(admission.event.source.id)) noteUnregistered(item as DraftEvent, false);
      good.push({ index, event: admission.event, notes: admission.notes });
    });

    if (held.length) {
      try {
        await deps.devices.hold(
          held.map((h) => h.draft),
          receivedAt,
          { integrationId: ctx.integration.id, format: ctx.format },
        );
      } catch (error) {
        deps.log.warn('could not keep held events', { error: String(error) });
        for (const { index, draft } of held) {
          results[index] = {
            index,
            ...answerId(draft),
            status: 'failed',
            reason: 'the device is not registered and its event could not be kept: resend it',
          };
        }
      }
    }
    await Promise.all(
      [...unregistered].map(([sourceId, note]) =>
        deps.devices
          .noteUnregistered(sourceId, {
            format: ctx.format,
            eventType: note.eventType,
            at: receivedAt,
            held: note.held,
          })
          .catch((error: unknown) =>
            deps.log.warn('could not note an unregistered device', { sourceId, error: String(error) }),
          ),
      ),
    );

    const outcomes = good.length ? await deps.stream.put(good.map((g) => g.event as SanwangEventInput)) : [];
    outcomes.forEach((outcome, n) => {
      const { index, event, notes } = good[n]!;
      results[index] = outcome.ok
        ? {
            index,
            id: event.id,
            status: 'accepted',
            sequenceNumber: outcome.sequenceNumber,
            ...(notes.length ? { notes } : {}),
          }
        : { index, id: event.id, status: 'failed', reason: `not written to the stream: ${outcome.error}` };
    });
    return results;
  }
}

function isBatch(value: unknown): value is { events: unknown[] } {
  return value !== null && typeof value === 'object' && Array.isArray((value as { events?: unknown }).events);
}

/**
 * The registry's place wins; a GB/T 28181 id's county keeps an unregistered camera routable to its county desk,
 * named from the division table where the device names no place.
 */
function placeOf(
  draft: DraftEvent,
  device: RegisteredDevice | undefined,
): { place?: Place | Partial<Place>; registered: boolean } {
  if (device) return { place: { ...device.place, ...pick(draft.place, ['lat', 'lon']) }, registered: true };
  const county = draft.place?.county;
  if (county) {
    const name = draft.place?.name ?? countyName(county);
    return { place: { kind: 'other', ...draft.place, ...(name ? { name } : {}) }, registered: false };
  }
  return { registered: false };
}

function pick<T extends object, K extends keyof T>(obj: T | undefined, keys: K[]): Partial<T> {
  const out: Partial<T> = {};
  if (obj) for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
