import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  requestTarget,
  SIGNATURE_HEADERS,
  sign,
  signRequest,
  verifySignature,
} from '../../../shared/domain/request-signature.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const rotated = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-25T18:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const body = Buffer.from('{"schemaVersion":1}');
const PATH = '/v1/events/onvif';
const QUERY = { device: 'onvif-hik-0017' };

function headers(
  over: Partial<Record<string, string>> = {},
  key = secret,
  at = ts,
  payload: Buffer = body,
  target = requestTarget(PATH, QUERY),
) {
  return {
    [SIGNATURE_HEADERS.id]: 'msg_2Kx9',
    [SIGNATURE_HEADERS.timestamp]: String(at),
    [SIGNATURE_HEADERS.signature]: sign(key, 'msg_2Kx9', at, payload),
    [SIGNATURE_HEADERS.request]: signRequest(key, 'msg_2Kx9', at, 'POST', target),
    ...over,
  };
}

const verify = (h: Record<string, string | undefined>, over: Partial<Parameters<typeof verifySignature>[0]> = {}) =>
  verifySignature({ headers: h, method: 'POST', path: PATH, query: QUERY, body, secrets: [secret], now, ...over });

describe('verifySignature', () => {
  it('accepts a request whose body and target are signed with the active secret', () => {
    expect(verify(headers())).toEqual({ ok: true });
  });

  it('accepts either secret during rotation, and any of several offered signatures', () => {
    expect(verify(headers({}, rotated), { secrets: [secret, rotated] })).toEqual({ ok: true });
    const both = `v1,AAAA ${sign(secret, 'msg_2Kx9', ts, body)}`;
    expect(verify(headers({ [SIGNATURE_HEADERS.signature]: both }))).toEqual({ ok: true });
  });

  it('refuses an altered body', () => {
    expect(verify(headers(), { body: Buffer.from('{"schemaVersion":2}') })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match the body'),
    });
  });

  it.each([
    ['another device in the query', { query: { device: 'onvif-hik-0018' } }],
    ['an added query parameter', { query: { ...QUERY, extra: '1' } }],
    ['a dropped query', { query: {} }],
    ['another path', { path: '/v1/events/dahua' }],
    ['another method', { method: 'PUT' }],
  ])('refuses %s: the request target is signed too', (_change, over) => {
    expect(verify(headers(), over)).toEqual({
      ok: false,
      reason: expect.stringContaining('x-sanwang-request-signature does not match the method, path and query'),
    });
  });

  it('refuses a request without the extension, saying what to add', () => {
    const { [SIGNATURE_HEADERS.request]: _r, ...standardOnly } = headers();
    const check = verify(standardOnly);
    expect(check).toMatchObject({ ok: false });
    const reason = (check as { reason: string }).reason;
    expect(reason).toContain('missing header x-sanwang-request-signature');
    expect(reason).toContain('{webhook-id}.{webhook-timestamp}.{METHOD}.{path}?{query}');
  });

  it('refuses a target signed with another secret than the body', () => {
    const mixed = headers({
      [SIGNATURE_HEADERS.request]: signRequest(rotated, 'msg_2Kx9', ts, 'POST', requestTarget(PATH, QUERY)),
    });
    expect(verify(mixed, { secrets: [secret, rotated] })).toMatchObject({ ok: false });
  });

  it('refuses a forged signature made with another key', () => {
    expect(verify(headers({}, rotated))).toMatchObject({ ok: false });
  });

  it('refuses timestamps more than five minutes away, either way', () => {
    expect(verify(headers({}, secret, ts - 301))).toEqual({
      ok: false,
      reason: 'timestamp is 301 s old; at most 300 s is accepted',
    });
    expect(verify(headers({}, secret, ts + 301))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(verify(headers({}, secret, ts - 300))).toEqual({ ok: true });
  });

  it('names a missing header', () => {
    const { [SIGNATURE_HEADERS.timestamp]: _t, ...without } = headers();
    expect(verify(without)).toEqual({ ok: false, reason: 'missing header webhook-timestamp' });
  });

  it('matches values computed with openssl (the README example)', () => {
    // printf '%s' 'msg_2Kx9.1764115200.POST./v1/events/onvif?device=onvif-hik-0017' | openssl dgst -sha256 -mac HMAC …
    const vectorSecret = 'whsec_c2Fud2FuZy10ZXN0LXZlY3Rvci1rZXktMzItYnl0ZXM=';
    expect(signRequest(vectorSecret, 'msg_2Kx9', 1764115200, 'POST', '/v1/events/onvif?device=onvif-hik-0017')).toBe(
      'v1,6LiLkh5zxPkJzdn2MA4mY3fAsIMAw/MA+Qo/MwqzH7w=',
    );
    expect(sign(vectorSecret, 'msg_2Kx9', 1764115200, '{"schemaVersion":1}')).toBe(
      'v1,A1HJILdFRhWtygdxR/Bx8gOsyDDHZPRH8o5mv3s14Z8=',
    );
  });

  it('never throws and never accepts random headers or targets (property)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string(),
        fc.dictionary(fc.string(), fc.string()),
        fc.uint8Array({ maxLength: 200 }),
        (id, t, sig, requestSig, query, bytes) => {
          const result = verifySignature({
            headers: {
              [SIGNATURE_HEADERS.id]: id,
              [SIGNATURE_HEADERS.timestamp]: t,
              [SIGNATURE_HEADERS.signature]: sig,
              [SIGNATURE_HEADERS.request]: requestSig,
            },
            method: 'POST',
            path: PATH,
            query,
            body: Buffer.from(bytes),
            secrets: [secret],
            now,
          });
          expect(result.ok).toBe(false);
        },
      ),
    );
  });

  it('refuses any single flipped byte of a signed body (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (bytes, at) => {
        const payload = Buffer.from(bytes);
        const h = headers({}, secret, ts, payload);
        const flipped = Buffer.from(payload);
        const i = at % flipped.length;
        flipped[i] = (flipped[i] ?? 0) ^ 0xff;
        expect(verify(h, { body: payload }).ok).toBe(true);
        expect(verify(h, { body: flipped }).ok).toBe(false);
      }),
    );
  });

  it('accepts any signed query and refuses it with any one value changed (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { minKeys: 1, maxKeys: 4 }),
        fc.string(),
        (query, other) => {
          const h = headers({}, secret, ts, body, requestTarget(PATH, query));
          expect(verify(h, { query }).ok).toBe(true);
          const [name, value] = Object.entries(query)[0]!;
          fc.pre(other !== value);
          expect(verify(h, { query: { ...query, [name]: other } }).ok).toBe(false);
        },
      ),
    );
  });
});

describe('canonicalQuery', () => {
  it('sorts the parameters by name and encodes them as RFC 3986 does', () => {
    expect(canonicalQuery({ device: 'cam 1/北门', a: "x+y!'()*~", empty: '' })).toBe(
      'a=x%2By%21%27%28%29%2A~&device=cam%201%2F%E5%8C%97%E9%97%A8&empty=',
    );
  });

  it('leaves out parameters without a value and gives a bare path when there is no query', () => {
    expect(canonicalQuery({ device: undefined })).toBe('');
    expect(requestTarget('/v1/events', {})).toBe('/v1/events');
    expect(requestTarget('/v1/events/dahua', { device: 'nvr-03' })).toBe('/v1/events/dahua?device=nvr-03');
  });

  it('does not depend on the order the parameters come in (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (query) => {
        const reversed = Object.fromEntries(Object.entries(query).reverse());
        expect(canonicalQuery(reversed)).toBe(canonicalQuery(query));
      }),
    );
  });
});
