import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { DeskApiRequest } from './desk-api.ts';

/** The HTTP API event (payload 2.0, JWT authorizer) as a duty-desk API request; header names already lower-case. */
export function fromApiGateway(event: APIGatewayProxyEventV2WithJWTAuthorizer): DeskApiRequest {
  const body =
    event.body === undefined
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    body,
    // Absent on the one route without the authorizer (GET /v1/openapi.json).
    claims: event.requestContext.authorizer?.jwt?.claims,
  };
}
