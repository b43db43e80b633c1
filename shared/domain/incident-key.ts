import { createHash } from 'node:crypto';
import { containsPersonalData } from './personal-data-masking.ts';

/**
 * Incident identity. Windows are aligned to their own length (a 30-minute window starts at :00 or :30 UTC), so
 * every writer computes the same id for the same (rule, dedup key, window) and a conditional put makes creation
 * exact. An event also joins the previous window's incident while it is still active (see incident-plan.ts), so
 * a storm that crosses a window boundary stays one incident.
 */
export function windowStart(occurredAtMs: number, windowMs: number): number {
  return Math.floor(occurredAtMs / windowMs) * windowMs;
}

const compactCache = new Map<number, string>();

/** `2026-11-24T18:00:00.000Z` → `20261124T1800`; cached because every sighting asks for two windows. */
function compactUtc(ms: number): string {
  let text = compactCache.get(ms);
  if (text === undefined) {
    const iso = new Date(ms).toISOString();
    text = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}`;
    if (compactCache.size >= 4096) compactCache.clear();
    compactCache.set(ms, text);
  }
  return text;
}

/** Longer keys are hashed: DynamoDB keys hold 2,048 bytes, index sort keys 1,024, and a URL can be longer. */
const MAX_KEY_BYTES = 160;

export function incidentId(ruleId: string, dedupKey: string, windowStartMs: number): string {
  // A key that holds an ID or phone number (a patrol app that names officers by phone) is hashed too: keys are stored.
  const hashed = Buffer.byteLength(dedupKey) > MAX_KEY_BYTES || containsPersonalData(dedupKey);
  const key = hashed ? `sha1:${createHash('sha1').update(dedupKey).digest('hex')}` : dedupKey;
  return `${ruleId}|${key}|${compactUtc(windowStartMs)}`;
}

// Crockford's alphabet: no I, L, O, U, so a code read aloud over a radio is not misheard.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A five-character code derived from the id (FNV-1a): stable across retries, no lookup needed. */
export function incidentCode(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  let code = '';
  for (let i = 0; i < 5; i++) {
    code += ALPHABET[hash & 31];
    hash >>>= 5;
  }
  return code;
}

/** Kinesis sequence numbers are decimal strings of up to 128 bits: compare them as big integers. */
export function compareSequence(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
