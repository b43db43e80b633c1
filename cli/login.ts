// `npx sanwang login --officer ID`: a token of local mode's development issuer, for curl and the duty-desk API.

import { DEV_ISSUER_FILE, openDevIssuer } from '../local/dev-issuer.ts';
import { OfficerId } from '../shared/app/desk-api-schemas.ts';
import { FailureError, UsageError } from './errors.ts';
import type { CliOptions, CliOutput } from './main.ts';

const SEE_HELP = 'see npx sanwang --help';
/** A day at most: a development token still expires, as the user pool's do. */
const MAX_TTL_SECONDS = 86_400;

/**
 * Prints one line, the token, so that `$(npx sanwang login --officer 100234)` can go straight into a header. The
 * local API still looks the officer up in its desk directory: a token for an officer on no desk is answered 401.
 */
export async function login(extra: string[], values: CliOptions, io: CliOutput): Promise<void> {
  if (extra.length > 0) throw new UsageError(`login takes no argument, only --officer ID (${SEE_HELP})`);
  if (values.officer === undefined)
    throw new UsageError(`login needs --officer ID, the officer to sign in as (${SEE_HELP})`);
  const officer = OfficerId.safeParse(values.officer);
  if (!officer.success) throw new UsageError(`--officer ${officer.error.issues[0]!.message} (${SEE_HELP})`);
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 60 && ttl <= MAX_TTL_SECONDS)) {
    throw new UsageError(`--ttl must be whole seconds from 60 to ${MAX_TTL_SECONDS} (${SEE_HELP})`);
  }
  let issuer: Awaited<ReturnType<typeof openDevIssuer>>;
  try {
    issuer = await openDevIssuer(DEV_ISSUER_FILE);
  } catch (error) {
    throw new FailureError((error as Error).message.split('\n')[0]!);
  }
  io.out(await issuer.sign(officer.data, ttl === undefined ? {} : { ttlSeconds: ttl }));
}
