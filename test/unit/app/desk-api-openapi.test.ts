import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../events/openapi.ts';
import { DESK_API_OPENAPI_FILE, deskApiOpenApiDocument } from '../../../shared/app/desk-api-openapi.ts';
import { COMMAND_ACTIONS } from '../../../shared/app/desk-api-schemas.ts';

type Operation = { security?: unknown[]; parameters?: { name: string }[]; responses: Record<string, unknown> };
const doc = deskApiOpenApiDocument() as {
  openapi: string;
  security: unknown[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

describe('duty-desk API OpenAPI document', () => {
  it('matches the checked-in file (run `npm run openapi` after changing a schema)', () => {
    expect(JSON.parse(readFileSync(DESK_API_OPENAPI_FILE, 'utf8'))).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('asks for a JWT bearer token everywhere but on the document itself', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.officerToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.security).toEqual([{ officerToken: [] }]);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const operation of Object.values(operations)) {
        if (path === '/v1/openapi.json') expect(operation.security).toEqual([]);
        else {
          expect(operation.security, path).toBeUndefined();
          expect(operation.responses, path).toHaveProperty('401');
        }
      }
    }
  });

  it('describes every command, the list filters and every problem as application/problem+json', () => {
    for (const action of Object.keys(COMMAND_ACTIONS)) {
      expect(doc.paths[`/v1/incidents/{id}/${action}`]?.post?.responses).toHaveProperty('409');
    }
    expect(doc.paths['/v1/incidents']?.get?.parameters?.map((p) => p.name)).toEqual([
      'jurisdiction',
      'state',
      'severity',
      'from',
      'to',
      'limit',
      'cursor',
    ]);
    const text = JSON.stringify(doc.paths);
    expect(text).not.toMatch(/"application\/json":\{"schema":\{"\$ref":"#\/components\/schemas\/Problem"/);
  });

  it('leaves no reference dangling, and keeps its schemas out of the ingest API document', () => {
    const text = JSON.stringify(doc);
    for (const [, id] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components.schemas).toHaveProperty(id!);
    const ingest = openApiDocument() as { components: { schemas: Record<string, unknown> } };
    for (const id of ['Roster', 'IncidentDetail', 'CommandResult', 'SignBody'])
      expect(ingest.components.schemas).not.toHaveProperty(id);
  });
});
