import type { AdapterOutcome, DeviceAdapter, DraftEvent } from '../../events/adapters/device-adapter.ts';
import { MalformedBodyError } from '../../events/adapters/device-adapter.ts';
import type { EventResult, IngestSummary } from '../../events/api.ts';
import type { Place } from '../../events/common.ts';
import { countyName } from '../../events/divisions.ts';
import type { SanwangEvent, SanwangEventInput } from '../../events/envelope.ts';
import { describeJsonError } from '../../events/json-error.ts';
import { type FieldIssue, parseEvent } from '../../events/validation.ts';
import type { DeviceRegistry, RegisteredDevice } from '../adapters/device-registry.ts';
import type { EventStream } from '../adapters/event-stream.ts';
import type { IntegrationDirectory } from '../adapters/integration-directory.ts';
import type { ReplayGuard } from '../adapters/replay-guard.ts';
import { type Integration, outsideRegistration } from '../domain/integrations.ts';
import { scrubText } from '../domain/personal-data-masking.ts';
import { SIGNATURE_HEADERS, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from '../domain/request-signature.ts';
import type { Log } from './rules-processor.ts';

/** An HTTP request as the ingest sees it (API Gateway's v2 payload, or the local server). */
export interface IngestRequest {
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
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
  log: Log;
}

export { MAX_EVENTS_PER_REQUEST } from '../../events/limits.ts';

import { MAX_EVENTS_PER_REQUEST } from '../../events/limits.ts';

const JSON_TYPES = ['application/json'];

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

/**
 * The ingest API: authenticate the integration by signature, read canonical JSON or a device format, place device
 * events from the registry, check each event against the schema and the integration's registration, and put the
 * good ones on the stream. Every event gets its own answer; good events beside bad ones are never lost.
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
    if (!route) return problem(404, 'not_found', `no route for ${method} ${path}; see GET /v1/openapi.json`);
    if (method !== 'POST') return problem(405, 'method_not_allowed', `${path} accepts POST`, { allow: 'POST' });
    const format = route[1];
    const adapter = format !== undefined && Object.hasOwn(deps.adapters, format) ? deps.adapters[format] : undefined;
    if (format !== undefined && !adapter) {
      return problem(
        404,
        'unknown_format',
        `no device format "${format}"; known: ${Object.keys(deps.adapters).join(', ')}`,
      );
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
        `Content-Type "${type || '(none)'}" is not read here; send ${accepted.join(' or ')}`,
      );
    }

    const integrationId = request.headers[SIGNATURE_HEADERS.integration];
    if (!integrationId) return problem(401, 'unauthenticated', `missing header ${SIGNATURE_HEADERS.integration}`);
    const integration = await deps.integrations.get(integrationId);
    // The same words for an unknown integration and a bad signature would hide typos; ids are not secret.
    if (!integration) return problem(401, 'unauthenticated', `unknown integration "${integrationId}"`);
    const check = verifySignature({
      headers: request.headers,
      body: request.body,
      secrets: integration.secrets,
      now: request.receivedAt,
    });
    if (!check.ok) return problem(401, 'unauthenticated', check.reason);
    if (format !== undefined && !integration.formats.includes(format as Integration['formats'][number])) {
      return problem(403, 'forbidden', `integration ${integration.id} is not registered for the ${format} format`);
    }
    const requestId = request.headers[SIGNATURE_HEADERS.id]!;
    if (!(await deps.replay.firstUse(integration.id, requestId, request.receivedAt))) {
      return problem(
        401,
        'unauthenticated',
        `request id ${requestId} was already used within ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes; sign each request, retries included, with a new ${SIGNATURE_HEADERS.id}`,
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

    const results = await placeCheckAndPut(drafts.events, {
      integration,
      format,
      receivedAt: request.receivedAt,
      adapter: adapter !== undefined,
    });
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
    ctx: { integration: Integration; format: string | undefined; receivedAt: Date; adapter: boolean },
  ): Promise<EventResult[]> {
    const results: EventResult[] = new Array(items.length);
    const receivedAt = ctx.receivedAt.toISOString();
    const registered = ctx.adapter
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
    const good: { index: number; event: SanwangEvent }[] = [];

    items.forEach((item, index) => {
      const id = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : undefined;
      let candidate = item;
      if (ctx.adapter) {
        const draft = item as DraftEvent;
        const place = placeOf(draft, registered.get(draft.source.id));
        if (!place.place) {
          noteUnregistered(draft, true);
          held.push({ index, draft });
          results[index] = {
            index,
            ...(id ? { id } : {}),
            status: 'held',
            reason: `device ${draft.source.id} is not registered: its events are kept and sent on when an operator registers it`,
          };
          return;
        }
        candidate = { ...draft, place: place.place, receivedAt };
      } else if (candidate !== null && typeof candidate === 'object' && !('receivedAt' in candidate)) {
        candidate = { ...candidate, receivedAt };
      }
      const parsed = parseEvent(candidate);
      if (!parsed.ok) {
        results[index] = { index, ...(id ? { id } : {}), status: 'rejected', issues: parsed.issues };
        return;
      }
      const outside = outsideRegistration(ctx.integration, parsed.event);
      if (outside) {
        results[index] = { index, ...(id ? { id } : {}), status: 'rejected', issues: [outside] };
        return;
      }
      // Only a device inside the integration's registration is listed for operators to register.
      if (ctx.adapter && !registered.has(parsed.event.source.id)) noteUnregistered(item as DraftEvent, false);
      good.push({ index, event: parsed.event });
    });

    if (held.length) {
      try {
        await deps.devices.hold(
          held.map((h) => h.draft),
          receivedAt,
        );
      } catch (error) {
        deps.log.warn('could not keep held events', { error: String(error) });
        for (const { index, draft } of held) {
          results[index] = {
            index,
            id: draft.id,
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
            format: ctx.format ?? 'canonical',
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
      const { index, event } = good[n]!;
      results[index] = outcome.ok
        ? { index, id: event.id, status: 'accepted', sequenceNumber: outcome.sequenceNumber }
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
