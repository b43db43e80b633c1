import { createHmac, timingSafeEqual } from 'node:crypto';

/** Requests more than this far from our clock, either way, are refused: a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const SIGNATURE_HEADERS = {
  integration: 'x-sanwang-integration',
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** The secret's key bytes: `whsec_<base64>` as Standard Webhooks writes it (the prefix is optional). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the Standard Webhooks signature. */
export function sign(secret: string, id: string, timestamp: number, body: Buffer | string): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/**
 * Checks a request's signature against any of the integration's active secrets (two during rotation). Pure: the
 * caller passes the clock. Signatures are compared in constant time.
 */
export function verifySignature(input: {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  secrets: readonly string[];
  now: Date;
  toleranceSeconds?: number;
}): SignatureCheck {
  const id = input.headers[SIGNATURE_HEADERS.id];
  const timestampText = input.headers[SIGNATURE_HEADERS.timestamp];
  const signatures = input.headers[SIGNATURE_HEADERS.signature];
  if (!id) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.id}` };
  if (id.length > 128) return { ok: false, reason: `header ${SIGNATURE_HEADERS.id} is longer than 128 characters` };
  if (!timestampText) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.timestamp}` };
  if (!signatures) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.signature}` };
  if (!/^\d{1,12}$/.test(timestampText)) {
    return { ok: false, reason: `header ${SIGNATURE_HEADERS.timestamp} must be Unix seconds` };
  }
  const timestamp = Number(timestampText);
  const skew = timestamp - Math.floor(input.now.getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (skew < -tolerance)
    return { ok: false, reason: `timestamp is ${-skew} s old; at most ${tolerance} s is accepted` };
  if (skew > tolerance)
    return { ok: false, reason: `timestamp is ${skew} s in the future; at most ${tolerance} s is accepted` };

  const offered = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  if (offered.length === 0) return { ok: false, reason: `header ${SIGNATURE_HEADERS.signature} has no v1 signature` };
  for (const secret of input.secrets) {
    const expected = Buffer.from(sign(secret, id, timestamp, input.body).slice(3), 'base64');
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true };
    }
  }
  return { ok: false, reason: 'signature does not match the body with any active secret of this integration' };
}
