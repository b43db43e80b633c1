import * as z from 'zod';
import { DEVICE_FORMATS } from './adapters/device-adapter.ts';
import './api.ts';
import './envelope.ts';
import { MAX_EVENTS_PER_REQUEST } from './limits.ts';

export const OPENAPI_FILE = 'openapi/openapi.json';

const signatureParameters = (): Record<string, unknown>[] => [
  {
    name: 'x-sanwang-integration',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: 'Your integration id',
  },
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    schema: { type: 'string', maxLength: 128 },
    description: 'A new unique id per request, retries included',
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    schema: { type: 'string', pattern: '^\\d+$' },
    description: 'Unix seconds; within 5 minutes of our clock',
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description:
      '`v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")), key = base64-decoded part of your whsec_ secret; several space-separated signatures allowed',
  },
  {
    name: 'x-sanwang-request-signature',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: `${REQUEST_SIGNATURE} A request without it is answered 401 saying what to add.`,
  },
];

/** sanwang's extension to Standard Webhooks, which signs the body only. */
const REQUEST_SIGNATURE =
  '`v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{METHOD}.{target}")) with the same key, id and timestamp as webhook-signature; target = the path, then `?` and the query when there is one: each parameter once, `name=value` with both RFC 3986-encoded (unreserved A–Z a–z 0–9 - . _ ~ kept, everything else %XX upper-case of the UTF-8 bytes, a space is %20), sorted by encoded name, joined with `&`. Example: "msg_2Kx9.1764115200.POST./v1/events/onvif?device=onvif-hik-0017". Send the query in that same form.';

const SIGNING =
  'Every POST carries two HMAC-SHA256 signatures made with one of the integration\'s whsec_ secrets: webhook-signature over "{webhook-id}.{webhook-timestamp}.{raw body}" (Standard Webhooks) and x-sanwang-request-signature over "{webhook-id}.{webhook-timestamp}.{METHOD}.{path}?{canonical query}" (so the device= parameter and the format path cannot be changed). webhook-timestamp must be within 5 minutes of our clock and a webhook-id is accepted once.';

const securitySchemes = {
  integration: {
    type: 'apiKey',
    in: 'header',
    name: 'x-sanwang-integration',
    description: 'Your integration id: selects the secrets both signatures are checked with',
  },
  webhookSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'webhook-signature',
    description: 'Standard Webhooks body signature (an HMAC, not a static key): see the parameter description',
  },
  requestSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'x-sanwang-request-signature',
    description: `Request-target signature (an HMAC, not a static key): ${REQUEST_SIGNATURE}`,
  },
};
const security = [{ integration: [], webhookSignature: [], requestSignature: [] }];

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const problem = (description: string) => ({ description, content: { 'application/json': { schema: ref('Problem') } } });
const answers = {
  '202': {
    description: 'Every event accepted (or held, or ignored as a heartbeat)',
    content: { 'application/json': { schema: ref('IngestSummary') } },
  },
  '207': {
    description: 'Some events accepted, some not: read each result',
    content: { 'application/json': { schema: ref('IngestSummary') } },
  },
  '400': problem('The body cannot be read (not JSON/XML, with the position)'),
  '401': problem(
    'Missing, wrong, stale or replayed signature (body or request target); unknown integration. Nothing was written',
  ),
  '403': problem('The integration is not registered for this device format'),
  '413': problem(`Body over the size limit, or more than ${MAX_EVENTS_PER_REQUEST} events`),
  '415': problem('Content-Type not read on this path'),
  '422': { description: 'No event valid', content: { 'application/json': { schema: ref('IngestSummary') } } },
  '429': problem('Throttled: slow down and retry'),
  '503': {
    description: 'The stream did not take the events: retry after the Retry-After seconds',
    content: { 'application/json': { schema: ref('IngestSummary') } },
  },
};

/** The OpenAPI 3.1 document of the ingest API; schemas come from the zod schemas (JSON Schema 2020-12). */
export function openApiDocument(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  const components = Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _drop, ...rest } = schema;
      return [id, rest];
    }),
  );
  const canonicalBody = {
    oneOf: [
      ref('EventEnvelopeV1'),
      { type: 'array', items: ref('EventEnvelopeV1'), maxItems: MAX_EVENTS_PER_REQUEST },
      {
        type: 'object',
        properties: { events: { type: 'array', items: ref('EventEnvelopeV1'), maxItems: MAX_EVENTS_PER_REQUEST } },
        required: ['events'],
      },
    ],
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'sanwang ingest API',
      version: '1',
      description: `Integrations post alarm events: canonical JSON (envelope v1) or a device format. ${SIGNING} Each event gets its own answer; good events beside bad ones are never lost. No answer repeats a submitted value.`,
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Post one canonical event, an array, or {"events": [...]}',
          parameters: signatureParameters(),
          security,
          requestBody: { required: true, content: { 'application/json': { schema: canonicalBody } } },
          responses: answers,
        },
      },
      '/v1/events/{format}': {
        post: {
          summary:
            'Post a device payload: Hikvision ISAPI, ONVIF Notify, GB/T 28181 alarm, Dahua event stream, Frigate review',
          parameters: [
            { name: 'format', in: 'path', required: true, schema: { type: 'string', enum: [...DEVICE_FORMATS] } },
            {
              name: 'device',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: 'Source id, for formats whose payload does not name the device (Dahua, ONVIF, Frigate)',
            },
            ...signatureParameters(),
          ],
          security,
          requestBody: {
            required: true,
            content: {
              'application/xml': {},
              'text/xml': {},
              'application/json': {},
              'multipart/form-data': {},
              'multipart/mixed': {},
              'application/manscdp+xml': {},
              'text/plain': {},
            },
          },
          responses: answers,
        },
      },
      '/v1/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
    components: { schemas: components, securitySchemes },
  };
}
