import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IngestRequest } from './ingest.ts';

/** API Gateway's HTTP API event (payload format 2.0) as an ingest request; header names are already lower-case. */
export function fromApiGateway(event: APIGatewayProxyEventV2, receivedAt: Date): IngestRequest {
  const body =
    event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    query: event.queryStringParameters ?? {},
    body,
    receivedAt,
  };
}
