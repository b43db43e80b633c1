import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVICE_FORMATS } from '../../../events/adapters/device-adapter.ts';
import { OPENAPI_FILE, openApiDocument } from '../../../events/openapi.ts';

describe('OpenAPI document', () => {
  it('matches the checked-in file (run `npm run openapi` after changing a schema)', () => {
    expect(JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'))).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('describes both event paths with the signature headers and every device format', () => {
    const doc = openApiDocument() as {
      openapi: string;
      paths: Record<string, { post?: { parameters: { name: string; schema: { enum?: string[] } }[] } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const formatPost = doc.paths['/v1/events/{format}']?.post;
    expect(formatPost?.parameters.find((p) => p.name === 'format')?.schema.enum).toEqual([...DEVICE_FORMATS]);
    for (const path of ['/v1/events', '/v1/events/{format}']) {
      const names = doc.paths[path]?.post?.parameters.map((p) => p.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'x-sanwang-integration',
          'webhook-id',
          'webhook-timestamp',
          'webhook-signature',
          'x-sanwang-request-signature',
        ]),
      );
      expect(doc.paths[path]?.post).toMatchObject({
        security: [{ integration: [], webhookSignature: [], requestSignature: [] }],
      });
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['EventEnvelopeV1', 'IngestSummary', 'EventResult', 'Problem', 'FieldIssue']),
    );
  });

  it('leaves no reference dangling', () => {
    const text = JSON.stringify(openApiDocument());
    const doc = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
    for (const [, id] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components.schemas).toHaveProperty(id!);
  });
});
