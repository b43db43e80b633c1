import { createHmac, timingSafeEqual } from 'node:crypto';

/** Requests more than this far from our clock, either way, are refused: a captured request cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export const SIGNATURE_HEADERS = {
  integration: 'x-sanwang-integration',
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  /** sanwang's extension: the method, path and query, which Standard Webhooks leaves unsigned. */
  request: 'x-sanwang-request-signature',
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

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** RFC 3986 percent-encoding of the UTF-8 bytes: everything but `A–Z a–z 0–9 - . _ ~`, hex upper-case. */
function percentEncode(text: string): string {
  let out = '';
  // Buffer.from never throws: a lone surrogate becomes U+FFFD, as on the wire.
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The query as it is signed: each parameter `name=value`, both RFC 3986-encoded (a space is `%20`, never `+`),
 * sorted by encoded name and joined with `&` (as AWS SigV4 canonicalises a query). Built from the decoded
 * parameters the ingest reads, so what is signed is exactly what is used.
 * @example canonicalQuery({ device: 'cam 1', b: '' }) // 'b=&device=cam%201'
 */
export function canonicalQuery(query: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(query)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The signed request target: the path, then `?` and the canonical query when there is one. */
export function requestTarget(path: string, query: Readonly<Record<string, string | undefined>>): string {
  const canonical = canonicalQuery(query);
  return canonical ? `${path}?${canonical}` : path;
}

/**
 * sanwang's extension, `x-sanwang-request-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.METHOD.target">`
 * with the same key, id and timestamp as the body's signature; `target` is {@link requestTarget}.
 * @example signRequest(secret, 'msg_1', 1764115200, 'POST', '/v1/events/onvif?device=cam-1')
 */
export function signRequest(secret: string, id: string, timestamp: number, method: string, target: string): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestamp}.${method.toUpperCase()}.${target}`);
  return `v1,${mac.digest('base64')}`;
}

const REQUEST_SIGNATURE_HOWTO =
  `v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{METHOD}.{path}?{query}")>, the query's ` +
  'parameters sorted by name and RFC 3986-encoded (leave out "?" when there is no query)';

/** Every `v1,` signature in a header that may hold several, space-separated. */
function offered(header: string): Buffer[] {
  return header
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
}

function matches(candidates: readonly Buffer[], signature: string): boolean {
  const expected = Buffer.from(signature.slice(3), 'base64');
  return candidates.some((c) => c.length === expected.length && timingSafeEqual(c, expected));
}

/**
 * Checks a request's two signatures against the integration's active secrets (two during rotation): the body's
 * (Standard Webhooks) and the request target's (sanwang's extension), both with the same secret. Pure: the
 * caller passes the clock. Signatures are compared in constant time; reasons name the header, never its value.
 */
export function verifySignature(input: {
  headers: Readonly<Record<string, string | undefined>>;
  method: string;
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  secrets: readonly string[];
  now: Date;
  toleranceSeconds?: number;
}): SignatureCheck {
  const id = input.headers[SIGNATURE_HEADERS.id];
  const timestampText = input.headers[SIGNATURE_HEADERS.timestamp];
  const signatures = input.headers[SIGNATURE_HEADERS.signature];
  const requestSignatures = input.headers[SIGNATURE_HEADERS.request];
  if (!id) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.id}` };
  if (id.length > 128) return { ok: false, reason: `header ${SIGNATURE_HEADERS.id} is longer than 128 characters` };
  if (!timestampText) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.timestamp}` };
  if (!signatures) return { ok: false, reason: `missing header ${SIGNATURE_HEADERS.signature}` };
  if (!requestSignatures) {
    return {
      ok: false,
      reason: `missing header ${SIGNATURE_HEADERS.request}: sign the method, path and query too and send ${REQUEST_SIGNATURE_HOWTO}`,
    };
  }
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

  const bodyCandidates = offered(signatures);
  if (bodyCandidates.length === 0) {
    return { ok: false, reason: `header ${SIGNATURE_HEADERS.signature} has no v1 signature` };
  }
  const requestCandidates = offered(requestSignatures);
  if (requestCandidates.length === 0) {
    return { ok: false, reason: `header ${SIGNATURE_HEADERS.request} has no v1 signature` };
  }
  const signer = input.secrets.find((secret) => matches(bodyCandidates, sign(secret, id, timestamp, input.body)));
  if (signer === undefined) {
    return { ok: false, reason: 'signature does not match the body with any active secret of this integration' };
  }
  const target = requestTarget(input.path, input.query);
  if (!matches(requestCandidates, signRequest(signer, id, timestamp, input.method, target))) {
    return {
      ok: false,
      reason: `${SIGNATURE_HEADERS.request} does not match the method, path and query of this request: send ${REQUEST_SIGNATURE_HOWTO}, with the secret that signed the body`,
    };
  }
  return { ok: true };
}
