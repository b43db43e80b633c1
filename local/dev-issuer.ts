import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { LOCAL_STATE_DIR } from './local-integrations.ts';

/**
 * Local mode's stand-in for the officers' Cognito user pool: an issuer with its own RSA key, kept under .sanwang/
 * and created on first use, that signs an officer's token without a password. It signs nothing a deployed API
 * accepts: the deployed authorizer trusts the user pool only.
 */
export const DEV_ISSUER_FILE = `${LOCAL_STATE_DIR}/dev-issuer.json`;
export const DEV_ISSUER = 'https://dev-issuer.sanwang.local';
/** The app client id of the local "user pool": the audience the local authorizer asks for. */
export const DEV_AUDIENCE = 'sanwang-desk-api-local';

const defaults = {
  /** As long as a Cognito access token lives by default. */
  ttlSeconds: 3600,
  /** API Gateway's JWT authorizers take RSA signatures only. */
  algorithm: 'RS256',
} as const;

interface StoredIssuer {
  issuer: string;
  audience: string;
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Why a token was refused, as the authorizer's `WWW-Authenticate` error description says it. */
export type Verification = { ok: true; claims: JWTPayload } | { ok: false; reason: string };

export interface DevIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public key as a JWKS endpoint serves it. */
  readonly jwks: { keys: JWK[] };
  /** A token naming the officer (`sub` and `username`, as Cognito's access tokens carry the user name). */
  sign(officerId: string, options?: { now?: Date; ttlSeconds?: number; audience?: string }): Promise<string>;
  /** Checks a token as API Gateway's JWT authorizer does: signature and key id, issuer, audience, expiry. */
  verify(token: string, now?: Date): Promise<Verification>;
}

/**
 * The local issuer, its key created on first use (an RSA key pair in `path`, readable by this user only). Two
 * processes starting at once both end up with the one key the first of them wrote.
 * @example const token = await (await openDevIssuer()).sign('100234');
 */
export async function openDevIssuer(path = DEV_ISSUER_FILE): Promise<DevIssuer> {
  const stored = readStored(path) ?? (await create(path));
  const privateKey = await importJWK(stored.privateJwk, defaults.algorithm);
  const publicKey = await importJWK(stored.publicJwk, defaults.algorithm);
  const { issuer, audience, kid } = stored;
  return {
    issuer,
    audience,
    jwks: { keys: [{ ...stored.publicJwk, kid, alg: defaults.algorithm, use: 'sig' }] },
    async sign(officerId, options = {}) {
      const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
      return new SignJWT({ username: officerId, token_use: 'access', client_id: options.audience ?? audience })
        .setProtectedHeader({ alg: defaults.algorithm, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(officerId)
        .setAudience(options.audience ?? audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.ttlSeconds ?? defaults.ttlSeconds))
        .sign(privateKey);
    },
    async verify(token, now = new Date()) {
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            if (header.kid !== kid) throw new joseErrors.JWKSNoMatchingKey();
            return publicKey;
          },
          {
            issuer,
            audience,
            algorithms: [defaults.algorithm],
            currentDate: now,
            requiredClaims: ['exp'],
          },
        );
        return { ok: true, claims: payload };
      } catch (error) {
        return { ok: false, reason: refusal(error) };
      }
    },
  };
}

function refusal(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'the token was signed with a key this issuer does not have';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm not accepted';
  return 'the token is not a valid JWT';
}

function readStored(path: string): StoredIssuer | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StoredIssuer;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(
      `cannot read the local issuer's key ${path}: ${(error as Error).message} (delete it to make a new one)`,
    );
  }
}

async function create(path: string): Promise<StoredIssuer> {
  const { privateKey, publicKey } = await generateKeyPair(defaults.algorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const stored: StoredIssuer = {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    kid: `dev-${new Date().toISOString().slice(0, 10)}-${publicJwk.n!.slice(0, 8)}`,
    privateJwk: await exportJWK(privateKey),
    publicJwk,
  };
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  try {
    // A link appears whole or not at all, and fails if the file is there: a process that lost the race to create
    // the key takes the winner's, so every token stays verifiable.
    linkSync(temporary, path);
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readStored(path)!;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Claims as the HTTP API hands a JWT authorizer's claims to the function: every value a string, arrays as
 * `[a b]`.
 */
export function gatewayClaims(claims: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}
