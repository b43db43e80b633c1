import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { fromApiGateway } from '../../../shared/app/ingest-http.ts';

const RECEIVED_AT = new Date('2026-11-25T18:46:00.000Z');

/** An HTTP API (payload format 2.0) event as API Gateway delivers it. */
function apiEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn',
      domainPrefix: 'a1b2c3d4e5',
      http: {
        method: 'POST',
        path: '/v1/events',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: 'JtY0sjSrBcwEMbA=',
      routeKey: '$default',
      stage: '$default',
      time: '25/Nov/2026:18:46:00 +0000',
      timeEpoch: RECEIVED_AT.getTime(),
    },
    isBase64Encoded: false,
    ...overrides,
  };
}

describe('fromApiGateway', () => {
  it('takes a plain body as UTF-8 bytes', () => {
    const body = '{"id":"c-1","place":{"name":"米山镇第一小学"}}';

    const request = fromApiGateway(apiEvent({ body }), RECEIVED_AT);

    expect(request.body).toEqual(Buffer.from(body, 'utf8'));
    expect(request.body.toString('utf8')).toBe(body);
  });

  it('decodes a base64 body to the exact bytes sent (GB2312, pictures)', () => {
    // 米山 in GB2312, then bytes that are not UTF-8 at all.
    const bytes = Buffer.from([0xc3, 0xd7, 0xc9, 0xbd, 0x00, 0xff, 0xfe, 0x80]);

    const request = fromApiGateway(apiEvent({ body: bytes.toString('base64'), isBase64Encoded: true }), RECEIVED_AT);

    expect(request.body).toEqual(bytes);
  });

  it('gives an empty body when the request has none', () => {
    const request = fromApiGateway(apiEvent({ body: undefined }), RECEIVED_AT);

    expect(Buffer.isBuffer(request.body)).toBe(true);
    expect(request.body.length).toBe(0);
  });

  it('gives an empty body for an empty base64 body', () => {
    expect(fromApiGateway(apiEvent({ body: '', isBase64Encoded: true }), RECEIVED_AT).body.length).toBe(0);
  });

  it('passes method, raw path and the time it was received', () => {
    const event = apiEvent({ rawPath: '/v1/events/gb28181' });
    event.requestContext.http.method = 'GET';

    const request = fromApiGateway(event, RECEIVED_AT);

    expect(request).toMatchObject({ method: 'GET', path: '/v1/events/gb28181', receivedAt: RECEIVED_AT });
  });

  it('lower-cases header names and keeps their values as sent', () => {
    const request = fromApiGateway(
      apiEvent({
        headers: {
          'Content-Type': 'Application/MANSCDP+xml; charset=GB2312',
          'X-Sanwang-Integration': 'cam-platform',
          'Webhook-Signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
          'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        },
      }),
      RECEIVED_AT,
    );

    expect(request.headers).toEqual({
      'content-type': 'Application/MANSCDP+xml; charset=GB2312',
      'x-sanwang-integration': 'cam-platform',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    });
  });

  it('gives no headers when the event has none', () => {
    const event = apiEvent();
    delete (event as { headers?: unknown }).headers;

    expect(fromApiGateway(event, RECEIVED_AT).headers).toEqual({});
  });

  it('passes the query parameters, as API Gateway joined them', () => {
    const request = fromApiGateway(
      apiEvent({
        rawPath: '/v1/events/dahua',
        rawQueryString: 'device=dahua-nvr-03&tag=a&tag=b',
        queryStringParameters: { device: 'dahua-nvr-03', tag: 'a,b' },
      }),
      RECEIVED_AT,
    );

    expect(request.query).toEqual({ device: 'dahua-nvr-03', tag: 'a,b' });
  });

  it('gives no query parameters when the request has none', () => {
    expect(fromApiGateway(apiEvent(), RECEIVED_AT).query).toEqual({});
  });
});
