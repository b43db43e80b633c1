import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { functionSettings } from '../shared/function-settings.ts';
import type { DevIssuer } from './dev-issuer.ts';
import { gatewayClaims } from './dev-issuer.ts';
import { type FunctionInvoker, inProcessFunction } from './function-invoker.ts';
import { startIngestServer } from './ingest-server.ts';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The one route the stack leaves without the authorizer. */
const PUBLIC_ROUTES = new Set(['GET /v1/openapi.json']);

export interface DeskApiServerOptions {
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** The desk-api function: each request is one invocation, as behind API Gateway. */
  function?: FunctionInvoker;
  /** Or a handler run in this thread, with the function's timeout (tests). */
  handler?: HttpHandler;
  /** Whose tokens the local authorizer accepts. */
  issuer: DevIssuer;
  /** The authorizer's clock: API Gateway's is the real one, whatever time the demo plays. Default Date.now. */
  now?: () => number;
  rateLimit?: { rate: number; burst: number };
}

/**
 * The duty-desk API on loopback: API Gateway's HTTP API in front of the desk-api function (throttling, body limit,
 * integration timeout, as the ingest API's local server does), with the JWT authorizer in front of every route but
 * the OpenAPI document. A request without a valid bearer token of `issuer` is answered 401 as the gateway answers
 * it, and the function never runs; a valid token's claims reach it at `requestContext.authorizer.jwt.claims`.
 */
export async function startDeskApiServer(
  options: DeskApiServerOptions,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const fn =
    options.function ??
    (options.handler
      ? inProcessFunction(
          { functionName: 'sanwang-desk-api', timeoutMs: functionSettings['desk-api'].timeoutSeconds * 1000 },
          options.handler as never,
        )
      : undefined);
  if (!fn) throw new Error('startDeskApiServer needs the desk-api function (function) or a handler');
  try {
    return await startIngestServer({
      ...(options.host ? { host: options.host } : {}),
      port: options.port ?? 0,
      function: jwtAuthorized(fn, options.issuer, options.now ?? Date.now),
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    });
  } catch (error) {
    // The server is the ingest API's; its words name that API and its option.
    throw new Error(
      (error as Error).message.replace('the ingest API', 'the duty-desk API').replace('--api-port', '--desk-api-port'),
    );
  }
}

/**
 * `fn` behind a JWT authorizer of `issuer`: what API Gateway checks before it invokes the function (issuer,
 * audience, expiry, signature), and how it hands the claims on (every value a string).
 */
export function jwtAuthorized(fn: FunctionInvoker, issuer: DevIssuer, now: () => number): FunctionInvoker {
  return {
    functionName: fn.functionName,
    timeoutMs: fn.timeoutMs,
    invoke: async (input) => {
      const event = input as APIGatewayProxyEventV2;
      if (PUBLIC_ROUTES.has(`${event.requestContext.http.method} ${event.rawPath}`)) return fn.invoke(event);
      const bearer = /^Bearer\s+(\S+)$/i.exec(event.headers.authorization ?? '')?.[1];
      if (!bearer) return unauthorized();
      const checked = await issuer.verify(bearer, new Date(now()));
      if (!checked.ok) return unauthorized(checked.reason);
      return fn.invoke({
        ...event,
        requestContext: {
          ...event.requestContext,
          authorizer: {
            principalId: '',
            integrationLatency: 0,
            jwt: { claims: gatewayClaims(checked.claims), scopes: null },
          },
        },
      });
    },
  };
}

/** API Gateway's own answer when the authorizer refuses a request. */
function unauthorized(reason?: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 401,
    headers: {
      'content-type': 'application/json',
      'www-authenticate': reason ? `Bearer error="invalid_token", error_description="${reason}"` : 'Bearer',
    },
    body: '{"message":"Unauthorized"}',
  };
}
