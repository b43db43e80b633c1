import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADERS, sign } from '../domain/request-signature.ts';

export interface SignedPost {
  url: string;
  integrationId: string;
  secret: string;
  body: Buffer;
  contentType: string;
  /** Defaults to now; tests pass a fixed clock. */
  now?: Date;
  /** Defaults to a new UUID: every request, retries included, gets its own id. */
  requestId?: string;
}

/** The headers of a signed request (Standard Webhooks scheme), as `npx sanwang sign` prints them for curl. */
export function signatureHeaders(post: Omit<SignedPost, 'url'>): Record<string, string> {
  const id = post.requestId ?? randomUUID();
  const timestamp = Math.floor((post.now ?? new Date()).getTime() / 1000);
  return {
    'content-type': post.contentType,
    [SIGNATURE_HEADERS.integration]: post.integrationId,
    [SIGNATURE_HEADERS.id]: id,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.signature]: sign(post.secret, id, timestamp, post.body),
  };
}

/** Signs and posts; returns the status and the parsed JSON answer. */
export async function postSigned(post: SignedPost): Promise<{ status: number; body: unknown }> {
  const response = await fetch(post.url, { method: 'POST', headers: signatureHeaders(post), body: post.body });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (e.g. a gateway's plain error): show it as text.
  }
  return { status: response.status, body };
}
