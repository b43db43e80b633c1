import { afterEach, describe, expect, it } from 'vitest';
import { startIngestServer } from '../../local/ingest-server.ts';

let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('local ingest server (the HTTP API in front of the ingest function)', () => {
  it('hands the function an HTTP API v2 event with a base64 body and lower-case headers', async () => {
    let seen: {
      body?: string;
      isBase64Encoded?: boolean;
      rawPath?: string;
      headers?: Record<string, string>;
      query?: unknown;
    } = {};
    const server = await startIngestServer({
      handler: async (event) => {
        seen = {
          body: event.body,
          isBase64Encoded: event.isBase64Encoded,
          rawPath: event.rawPath,
          headers: event.headers as Record<string, string>,
          query: event.queryStringParameters,
        };
        return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
      },
    });
    close = server.close;
    const response = await fetch(`${server.url}/v1/events/dahua?device=nvr-1`, {
      method: 'POST',
      headers: { 'X-Sanwang-Integration': 'a' },
      body: 'Heartbeat',
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toMatchObject({ rawPath: '/v1/events/dahua', isBase64Encoded: true, query: { device: 'nvr-1' } });
    expect(Buffer.from(seen.body ?? '', 'base64').toString()).toBe('Heartbeat');
    expect(seen.headers?.['x-sanwang-integration']).toBe('a');
  });

  it('answers 429 past the burst, as the stage throttling does, without calling the function', async () => {
    let calls = 0;
    const server = await startIngestServer({
      rateLimit: { rate: 0.001, burst: 2 },
      handler: async () => {
        calls++;
        return { statusCode: 202, body: '{}' };
      },
    });
    close = server.close;
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await fetch(`${server.url}/v1/events`, { method: 'POST', body: '{}' })).status);
    expect(statuses).toEqual([202, 202, 429]);
    expect(calls).toBe(2);
  });

  it('answers 413 for a body over the gateway limit and 500 when the function fails', async () => {
    const server = await startIngestServer({
      maxRequestBytes: 10,
      handler: async () => {
        throw new Error('boom');
      },
    });
    close = server.close;
    expect((await fetch(`${server.url}/v1/events`, { method: 'POST', body: 'x'.repeat(11) })).status).toBe(413);
    expect((await fetch(`${server.url}/v1/events`, { method: 'POST', body: 'x' })).status).toBe(500);
  });
});
