import { request as http1Request } from 'node:http';
import { createServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP/2 (cleartext) front for an HTTP/1.1-only server. The AWS SDK's Kinesis client speaks only HTTP/2 and
 * kinesalite only HTTP/1.1; this lets the handlers keep their default client, exactly as they run in Lambda.
 */
export async function startH2cProxy(
  target: string,
  host = '127.0.0.1',
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = createServer((req: Http2ServerRequest, res: Http2ServerResponse) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':') && v !== undefined) headers[k] = v;
    const upstream = http1Request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...headers, host: to.host } },
      (reply) => {
        const out: Record<string, string | string[]> = {};
        // Connection-level headers are not allowed in HTTP/2.
        for (const [k, v] of Object.entries(reply.headers)) {
          if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding', 'upgrade'].includes(k)) out[k] = v;
        }
        res.writeHead(reply.statusCode ?? 502, out);
        reply.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  // Clients keep HTTP/2 sessions open; close() ends them, or server.close() would wait for ever.
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}
