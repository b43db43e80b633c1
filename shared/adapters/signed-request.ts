import { randomUUID } from 'node:crypto';
import { canonicalQuery, requestTarget, SIGNATURE_HEADERS, sign, signRequest } from '../domain/request-signature.ts';

export interface SignedPost {
  /** Where the request goes: an absolute URL, or (for {@link signatureHeaders} alone) a path with its query. */
  url: string;
  integrationId: string;
  secret: string;
  body: Buffer;
  contentType: string;
  /** Defaults to now; tests pass a fixed clock. */
  now?: Date;
  /** Defaults to a new UUID: every request, retries included, gets its own id. */
  requestId?: string;
  /** Defaults to POST, the one method the ingest accepts. */
  method?: string;
}

/** Nothing answered at the API's address (refused, unknown host, timed out): the request was not delivered. */
export class ApiUnreachableError extends Error {
  override name = 'ApiUnreachableError';
  constructor(
    readonly url: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`nothing answers at ${url} (${code})`, options);
  }
}

/** Thrown when a URL cannot be signed as sanwang reads it. */
export class UnsignableUrlError extends Error {
  override name = 'UnsignableUrlError';
}

const PLACEHOLDER_ORIGIN = 'http://sanwang.invalid';

/**
 * What is signed for a URL: its path and canonical query, and the URL to send with the query in that same
 * canonical form (so no gateway reads `+` or an encoding differently). A parameter may appear once.
 * @example signedTarget('https://api/v1/events/onvif?device=cam 1') // target '/v1/events/onvif?device=cam%201'
 */
export function signedTarget(url: string): { target: string; url: string } {
  const parsed = new URL(url, PLACEHOLDER_ORIGIN);
  const query: Record<string, string> = {};
  for (const [name, value] of parsed.searchParams) {
    if (Object.hasOwn(query, name)) {
      throw new UnsignableUrlError(`query parameter ${name} appears twice; sanwang reads each parameter once`);
    }
    query[name] = value;
  }
  const canonical = canonicalQuery(query);
  const target = requestTarget(parsed.pathname, query);
  const absolute = url.startsWith('/')
    ? target
    : `${parsed.origin}${parsed.pathname}${canonical ? `?${canonical}` : ''}`;
  return { target, url: absolute };
}

/**
 * The headers of a signed request: the Standard Webhooks body signature and sanwang's request-target signature,
 * as `npx sanwang sign` prints them for curl.
 */
export function signatureHeaders(post: SignedPost): Record<string, string> {
  const id = post.requestId ?? randomUUID();
  const timestamp = Math.floor((post.now ?? new Date()).getTime() / 1000);
  const method = post.method ?? 'POST';
  return {
    'content-type': post.contentType,
    [SIGNATURE_HEADERS.integration]: post.integrationId,
    [SIGNATURE_HEADERS.id]: id,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.signature]: sign(post.secret, id, timestamp, post.body),
    [SIGNATURE_HEADERS.request]: signRequest(post.secret, id, timestamp, method, signedTarget(post.url).target),
  };
}

/** Signs and posts; returns the status and the parsed JSON answer. */
export async function postSigned(post: SignedPost): Promise<{ status: number; body: unknown }> {
  const { url } = signedTarget(post.url);
  let response: Response;
  try {
    response = await fetch(url, { method: post.method ?? 'POST', headers: signatureHeaders(post), body: post.body });
  } catch (error) {
    // fetch says only "fetch failed"; the reason is the socket error beneath it.
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new ApiUnreachableError(url, cause?.code ?? (error as Error).message, { cause: error });
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. a gateway's plain error): show it as text.
  }
  return { status: response.status, body };
}
