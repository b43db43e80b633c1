import * as z from 'zod';
import {
  COMMAND_ACTIONS,
  COMMAND_BODIES,
  type CommandAction,
  deskApiAnswers,
  deskApiRequests,
  ListIncidentsQuery,
} from './desk-api-schemas.ts';

export const DESK_API_OPENAPI_FILE = 'openapi/desk-api.json';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const uri = (id: string) => `#/components/schemas/${id}`;

/** The schemas of one registry as OpenAPI components (JSON Schema 2020-12, without `$schema`/`$id`). */
function components(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output') {
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...rest }]) => [id, rest]));
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const ok = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const common = {
  '401': problem(
    'No token, or one the authorizer refused (then the body is API Gateway\'s {"message":"Unauthorized"}), or the officer is on no desk',
  ),
  '429': { description: 'Throttled: slow down and retry' },
  '503': problem('The directory or the incident store did not answer: read the incident again before repeating'),
};
const invalid = problem('A parameter or body field is not valid: `field` names it; the value is never repeated');

const INCIDENT_ID = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', maxLength: 256 },
  description:
    'The incident id, percent-encoded (it holds `|` and `/`: `sky.intrusion|140581/cam|20261124T1800` is `sky.intrusion%7C140581%2Fcam%7C20261124T1800`). The five-character code of the SMS is not an id: find it in the list.',
};
const DESK_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]{1,40}$' } };

const COMMAND_SUMMARIES: Record<CommandAction, string> = {
  sign: 'Sign for the incident (签收); a second officer signing gets 409 naming who signed first and when',
  dispatch: 'Record the patrol or officer sent (派警)',
  arrive: 'Record arrival on site (到场)',
  feedback: 'Record the outcome (反馈)',
  close: 'Close the incident',
  reopen: 'Reopen a closed incident within the reopen window (422 after it)',
  notes: 'Add a note to the log',
};

function listParameters() {
  return Object.entries(ListIncidentsQuery.shape).map(([name, schema]) => {
    const {
      $schema: _drop,
      description,
      ...rest
    } = z.toJSONSchema(schema as z.ZodType, {
      io: 'output',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return {
      name,
      in: 'query',
      required: false,
      schema: rest,
      ...(description ? { description } : {}),
      ...(rest.type === 'array' ? { style: 'form', explode: false } : {}),
    };
  });
}

/**
 * The OpenAPI 3.1 document of the duty-desk API: request schemas as the API reads them, answers as it writes them,
 * all from the zod schemas of desk-api-schemas.ts. Every operation but this document's needs a bearer token.
 */
export function deskApiOpenApiDocument(): Record<string, unknown> {
  const commandPaths = Object.fromEntries(
    (Object.keys(COMMAND_ACTIONS) as CommandAction[]).map((action) => {
      const required = Object.keys(COMMAND_BODIES[action].shape).length > 0;
      return [
        `/v1/incidents/{id}/${action}`,
        {
          post: {
            operationId: `${action}Incident`,
            summary: COMMAND_SUMMARIES[action],
            parameters: [INCIDENT_ID],
            requestBody: {
              required,
              content: { 'application/json': { schema: ref(`${action[0]!.toUpperCase()}${action.slice(1)}Body`) } },
            },
            responses: {
              '200': ok('CommandResult', 'Applied: the incident and the new log entry'),
              '400': invalid,
              ...common,
              '403': problem('The incident is outside your desk: nothing was written'),
              '404': problem('No incident has this id'),
              '409': problem(
                'The incident is not in a state that allows this: `state` and `by` say who moved it and when (已由 100234 于 02:03 签收)',
              ),
              '413': problem('Body over 64 KiB'),
              '415': problem('Body not application/json'),
              ...(action === 'reopen' ? { '422': problem('The reopen window has closed') } : {}),
            },
          },
        },
      ];
    }),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'sanwang duty-desk API',
      version: '1',
      description:
        "Duty officers list and act on the incidents of their desk's area; desk leads and county administrators read desks and change rosters. Sign in (Cognito: the officer id is the user name) and send the access token as `Authorization: Bearer <token>`. Who you are, your desk and your role come from the desk directory. Anything outside your desk's area is 403. Every error is application/problem+json (RFC 9457) and never repeats a submitted value.",
    },
    security: [{ officerToken: [] }],
    paths: {
      '/v1/incidents': {
        get: {
          operationId: 'listIncidents',
          summary: "Incidents at or below a jurisdiction (default: your desk's), newest first, paged",
          parameters: listParameters(),
          responses: {
            '200': ok('IncidentList', 'A page of incidents; `next` when there are more'),
            '400': invalid,
            ...common,
            '403': problem('The jurisdiction is outside your desk'),
          },
        },
      },
      '/v1/incidents/{id}': {
        get: {
          operationId: 'getIncident',
          summary: 'One incident with its log',
          parameters: [INCIDENT_ID],
          responses: {
            '200': ok('IncidentDetail', 'The incident and its log, oldest entry first'),
            ...common,
            '403': problem('The incident is outside your desk'),
            '404': problem('No incident has this id (or it has expired)'),
          },
        },
      },
      ...commandPaths,
      '/v1/desks': {
        get: {
          operationId: 'listDesks',
          summary: 'The desks within yours (desk leads, county administrators)',
          responses: {
            '200': ok('DeskList', 'The desks you oversee'),
            ...common,
            '403': problem('Officers do not list desks'),
          },
        },
      },
      '/v1/desks/{id}': {
        get: {
          operationId: 'getDesk',
          summary: 'A desk with its officers (names and mobiles masked) and roster',
          parameters: [DESK_ID],
          responses: {
            '200': ok('Desk', 'The desk'),
            ...common,
            '403': problem('Not a desk you oversee'),
            '404': problem('No desk has this id'),
          },
        },
      },
      '/v1/desks/{id}/roster': {
        put: {
          operationId: 'putRoster',
          summary: "Replace a desk's roster (its desk lead, or a county administrator of its county)",
          parameters: [DESK_ID],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Roster') } } },
          responses: {
            '200': ok('Desk', 'The desk with its new roster'),
            '400': invalid,
            ...common,
            '403': problem('Not your desk to change'),
            '404': problem('No desk has this id'),
            '415': problem('Body not application/json'),
            '422': problem("The roster names someone who is not one of the desk's officers (`field` says where)"),
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          security: [],
          responses: { '200': { description: 'OpenAPI 3.1' } },
        },
      },
    },
    components: {
      schemas: { ...components(deskApiRequests, 'input'), ...components(deskApiAnswers, 'output') },
      securitySchemes: {
        officerToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A JWT from the officers' user pool (locally: `npx sanwang login --officer ID`); API Gateway checks its issuer, audience, expiry and signature",
        },
      },
    },
  };
}
