import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_HEADERS, sign, verifySignature } from '../../../shared/domain/request-signature.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const rotated = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-25T18:00:00Z');
const ts = Math.floor(now.getTime() / 1000);
const body = Buffer.from('{"schemaVersion":1}');

function headers(over: Partial<Record<string, string>> = {}, key = secret, at = ts, payload = body) {
  return {
    [SIGNATURE_HEADERS.id]: 'msg_2Kx9',
    [SIGNATURE_HEADERS.timestamp]: String(at),
    [SIGNATURE_HEADERS.signature]: sign(key, 'msg_2Kx9', at, payload),
    ...over,
  };
}

describe('verifySignature', () => {
  it('accepts a request signed with the active secret', () => {
    expect(verifySignature({ headers: headers(), body, secrets: [secret], now })).toEqual({ ok: true });
  });

  it('accepts either secret during rotation, and any of several offered signatures', () => {
    expect(verifySignature({ headers: headers({}, rotated), body, secrets: [secret, rotated], now })).toEqual({
      ok: true,
    });
    const both = `v1,AAAA ${sign(secret, 'msg_2Kx9', ts, body)}`;
    expect(
      verifySignature({ headers: headers({ [SIGNATURE_HEADERS.signature]: both }), body, secrets: [secret], now }),
    ).toEqual({ ok: true });
  });

  it('refuses an altered body', () => {
    const altered = Buffer.from('{"schemaVersion":2}');
    expect(verifySignature({ headers: headers(), body: altered, secrets: [secret], now })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not match'),
    });
  });

  it('refuses a forged signature made with another key', () => {
    expect(verifySignature({ headers: headers({}, rotated), body, secrets: [secret], now })).toMatchObject({
      ok: false,
    });
  });

  it('refuses timestamps more than five minutes away, either way', () => {
    expect(verifySignature({ headers: headers({}, secret, ts - 301), body, secrets: [secret], now })).toEqual({
      ok: false,
      reason: 'timestamp is 301 s old; at most 300 s is accepted',
    });
    expect(verifySignature({ headers: headers({}, secret, ts + 301), body, secrets: [secret], now })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(verifySignature({ headers: headers({}, secret, ts - 300), body, secrets: [secret], now })).toEqual({
      ok: true,
    });
  });

  it('names a missing header', () => {
    const { [SIGNATURE_HEADERS.timestamp]: _t, ...without } = headers();
    expect(verifySignature({ headers: without, body, secrets: [secret], now })).toEqual({
      ok: false,
      reason: 'missing header webhook-timestamp',
    });
  });

  it('never throws and never accepts random headers (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.uint8Array({ maxLength: 200 }), (id, t, sig, bytes) => {
        const result = verifySignature({
          headers: { [SIGNATURE_HEADERS.id]: id, [SIGNATURE_HEADERS.timestamp]: t, [SIGNATURE_HEADERS.signature]: sig },
          body: Buffer.from(bytes),
          secrets: [secret],
          now,
        });
        expect(result.ok).toBe(false);
      }),
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
        expect(verifySignature({ headers: h, body: payload, secrets: [secret], now }).ok).toBe(true);
        expect(verifySignature({ headers: h, body: flipped, secrets: [secret], now }).ok).toBe(false);
      }),
    );
  });
});
