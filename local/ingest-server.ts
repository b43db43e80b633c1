import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { functionSettings, HTTP_API_INTEGRATION_TIMEOUT_SECONDS } from '../shared/function-settings.ts';
import { type FunctionInvoker, inProcessFunction, withDeadline } from './function-invoker.ts';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface IngestServerOptions {
  host?: string;
  port?: number;
  /** The ingest function: each request is one invocation with a fresh context and the function's timeout. */
  function?: FunctionInvoker;
  /** Or a handler run in this thread, with the ingest function's timeout (tests). */
  handler?: HttpHandler;
  /** API Gateway stops waiting after this and answers 504, whatever the function still does. Default 30 s. */
  integrationTimeoutMs?: number;
  /** Clock of the request times and of an in-process handler's context (tests). */
  now?: () => number;
  /** The stage's throttling, as API Gateway applies it: a token bucket of `burst` refilled at `rate` per second. */
  rateLimit?: { rate: number; burst: number };
  /** API Gateway refuses larger bodies before the function runs (HTTP APIs take 10 MB). */
  maxRequestBytes?: number;
}

/** The ingest API on loopback: what API Gateway's HTTP API does in front of the ingest function, and no more. */
export async function startIngestServer(
  options: IngestServerOptions,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const fn =
    options.function ??
    (options.handler
      ? inProcessFunction(
          { functionName: 'sanwang-ingest', timeoutMs: functionSettings.ingest.timeoutSeconds * 1000 },
          options.handler as never,
          options.now,
        )
      : undefined);
  if (!fn) throw new Error('startIngestServer needs the ingest function (function) or a handler');
  const integrationTimeoutMs = options.integrationTimeoutMs ?? HTTP_API_INTEGRATION_TIMEOUT_SECONDS * 1000;
  const rate = options.rateLimit ?? { rate: 100, burst: 200 };
  const maxBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
  let tokens = rate.burst;
  const clock = options.now ?? Date.now;
  let refilledAt = clock();

  const server: Server = createServer(async (req, res) => {
    const now = clock();
    tokens = Math.min(rate.burst, tokens + ((now - refilledAt) / 1000) * rate.rate);
    refilledAt = now;
    if (tokens < 1) {
      res.writeHead(429, { 'content-type': 'application/json' }).end('{"message":"Too Many Requests"}');
      return;
    }
    tokens -= 1;
    const body = await readBody(req, maxBytes);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"message":"Request Entity Too Large"}');
      return;
    }
    try {
      // The integration timeout runs from the request's arrival: waiting for a free environment and a cold start
      // count against it, as in API Gateway.
      const result = (await withDeadline(
        fn.invoke(toEvent(req, body, now)),
        integrationTimeoutMs - (clock() - now),
        () => new IntegrationTimeoutError(integrationTimeoutMs),
      )) as APIGatewayProxyStructuredResultV2;
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
    } catch (error) {
      if (error instanceof IntegrationTimeoutError) {
        res.writeHead(504, { 'content-type': 'application/json' }).end('{"message":"Gateway Timeout"}');
        return;
      }
      // API Gateway's answer when the function fails: it threw, crashed or ran past its timeout.
      console.error('ingest function failed:', error instanceof Error ? `${error.name}: ${error.message}` : error);
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
    }
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `the ingest API could not listen on ${host}:${options.port}: the port is in use (start with --api-port N, or 0 for a free port)`
            : `the ingest API could not listen on ${host}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

class IntegrationTimeoutError extends Error {
  override name = 'IntegrationTimeoutError';
  constructor(ms: number) {
    super(`the integration did not answer within ${ms} ms`);
  }
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, body: Buffer, now: number): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    // Like the HTTP API: binary-safe bodies arrive base64-encoded.
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
