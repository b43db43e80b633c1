// `npx sanwang post|sign|devices|desks|replay|login|audit`: for integrators, and for operators testing a desk, registering
// devices, keeping the duty desks and their rosters, putting back what the stream mappings gave up on, or signing in
// to the local duty-desk API.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEVICE_FORMATS } from '../events/adapters/device-adapter.ts';
import {
  DEMO_INTEGRATION_ID,
  INTEGRATIONS_FILE,
  LOCAL_API_FILE,
  type LocalApiState,
  readLocalApiState,
} from '../local/local-integrations.ts';
import {
  ApiUnreachableError,
  postSigned,
  signatureHeaders,
  signedTarget,
  UnsignableUrlError,
} from '../shared/adapters/signed-request.ts';
import { SIGNATURE_TOLERANCE_SECONDS } from '../shared/domain/request-signature.ts';
import { argsError, FailureError, fileFailure, UsageError } from './errors.ts';

/** Where `npm start` serves the ingest API unless told otherwise. */
export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:8787';
const SEE_HELP = 'see npx sanwang --help';
const HELP_COMMAND = 'npx sanwang --help';

const HELP = `sanwang — sign and post events to the ingest API, register devices, keep the duty desks

Usage:
  npx sanwang post FILE [options]     sign FILE and POST it; prints the answer for each event
  npx sanwang sign FILE [options]     print the signed headers (for curl)
  npx sanwang devices pending         devices that sent events but are not registered yet
  npx sanwang devices register FILE   register devices (a JSON list like config/devices.json) and send on the
                                      events they posted while unregistered, each checked like a live event
  npx sanwang desks import FILE       make the duty desks exactly those of FILE (a JSON list like config/desks.json):
                                      desks, officers, rosters; desks not in FILE are removed
  npx sanwang desks list              the desks, their officers and standing numbers (names and mobiles masked)
  npx sanwang desks roster DESK       a desk's shifts and overrides, and who is told now (--at ISO for another time)
  npx sanwang replay rules            put the batches the rules mapping gave up on back on the stream (safe: every
                                      event is counted once however often it arrives)
  npx sanwang replay notify           send every pending alert before the notifier now; empty the failure queue
  npx sanwang audit verify            walk every incident's log back to its first entry (a SHA-256 hash chain) and
                                      name any entry missing or changed; --incident CODE for one incident
  npx sanwang login --officer ID      print a token of local mode's development issuer for the duty-desk API
                                      (curl -H "Authorization: Bearer $(npx sanwang login --officer ID)" …)

Devices, desks, audit and replay commands use the running \`npm start\` by default, or, with your AWS credentials and
region: devices --table NAME (and --stream NAME with --integrations-secret ARN); desks and audit --table NAME; replay rules
--bucket NAME --stream NAME (the stack's QuarantineBucketArn and StreamName outputs); replay notify --queue URL
--table NAME.

Options:
  --format NAME        device format: ${DEVICE_FORMATS.join(', ')} (default: canonical JSON)
  --device ID          source id, for formats whose payload does not name the device
  --url URL            API base URL (default: the running \`npm start\`, from ${LOCAL_API_FILE}, else ${DEFAULT_LOCAL_URL})
  --integration ID     integration id (default: ${DEMO_INTEGRATION_ID}, or $SANWANG_INTEGRATION)
  --secret whsec_…     its secret (default: $SANWANG_SECRET, else ${INTEGRATIONS_FILE} for the local demo integration)
  --content-type TYPE  default: from the file's extension (.json, .xml, .txt)
  --table NAME         devices, desks: the DynamoDB table (default: the running \`npm start\`)
  --stream NAME        devices register: the Kinesis stream held events are sent on to
  --integrations-secret ARN
                       devices register: the integrations secret held events are checked against
  --bucket NAME        replay rules: the failed-batch bucket; --prefix P to take part of it
  --keep               replay rules: keep the documents after their records are back on the stream
  --queue URL          replay notify: the notify failure queue
  --at ISO             desks roster: the instant, with its offset (default: now)
  --time-zone ZONE     desks roster: the deployment's zone (default: $TIME_ZONE, else Asia/Shanghai)
  --incident CODE      audit verify: only the incident with this SMS code
  --county CODE        audit verify: only this county (default: every county the desks cover)
  --officer ID         login: the officer id (the user name they sign in with)
  --ttl SECONDS        login: how long the token lives (default 3600)
  -h, --help

Exit codes: 0 done, 1 failed (the line says why), 2 the command line is wrong.`;

const OPTIONS = {
  format: { type: 'string' },
  device: { type: 'string' },
  url: { type: 'string' },
  integration: { type: 'string' },
  secret: { type: 'string' },
  'content-type': { type: 'string' },
  table: { type: 'string' },
  stream: { type: 'string' },
  'integrations-secret': { type: 'string' },
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  keep: { type: 'boolean' },
  queue: { type: 'string' },
  at: { type: 'string' },
  'time-zone': { type: 'string' },
  incident: { type: 'string' },
  county: { type: 'string' },
  officer: { type: 'string' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type CliOptions = ReturnType<typeof parse>['values'];

/** What the CLI writes: the command's output, and one line per problem. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

const console_: CliOutput = { out: (line) => console.log(line), err: (line) => console.error(line) };

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS, strict: true });
  } catch (error) {
    throw argsError(error, HELP_COMMAND);
  }
}

/**
 * Runs one command and returns its exit code: 0 done, 1 failed, 2 the command line is wrong. Every problem is one
 * line on stderr, `sanwang: <what is wrong> (<what to do>)`; no stack traces (set SANWANG_DEBUG=1 to see them).
 */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  io: CliOutput = console_,
): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (command === undefined) {
      throw new UsageError(`say what to do: post, sign, devices, desks, replay, login or audit (${SEE_HELP})`);
    }
    if (command === 'replay') {
      const { replay } = await import('./replay.ts');
      await replay(rest, values, io);
      return 0;
    }
    if (command === 'audit') {
      const { audit } = await import('./audit.ts');
      await audit(rest, values, io);
      return 0;
    }
    if (command === 'login') {
      const { login } = await import('./login.ts');
      await login(rest, values, io);
      return 0;
    }
    if (command === 'devices') {
      const { devices } = await import('./devices.ts');
      await devices(rest, values, env, io);
      return 0;
    }
    if (command === 'desks') {
      const { desks } = await import('./desks.ts');
      await desks(rest, values, env, io);
      return 0;
    }
    if (command !== 'post' && command !== 'sign') {
      throw new UsageError(
        `unknown command ${command}: use post, sign, devices, desks, replay, login or audit (${SEE_HELP})`,
      );
    }
    return await postOrSign(command, rest, values, env, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof FailureError) {
      io.err(`sanwang: ${error.message}`);
      return error.exitCode;
    }
    if (env.SANWANG_DEBUG) io.err(String((error as Error).stack ?? error));
    io.err(`sanwang: ${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

function readIntegrationsFile(path: string): { integrations?: { id: string; secrets: string[] }[] } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

async function postOrSign(
  command: 'post' | 'sign',
  [file, ...extra]: string[],
  values: CliOptions,
  env: Readonly<Record<string, string | undefined>>,
  io: CliOutput,
): Promise<number> {
  if (file === undefined) throw new UsageError(`${command} needs a FILE to send (${SEE_HELP})`);
  if (extra.length > 0) throw new UsageError(`${command} takes one FILE (${SEE_HELP})`);
  if (values.format !== undefined && !(DEVICE_FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`unknown format ${values.format}: use ${DEVICE_FORMATS.join(', ')} (${SEE_HELP})`);
  }
  const integrationId = values.integration ?? env.SANWANG_INTEGRATION ?? DEMO_INTEGRATION_ID;
  const local = readLocalApiState();
  const secret =
    values.secret ??
    env.SANWANG_SECRET ??
    readIntegrationsFile(local?.integrations ?? INTEGRATIONS_FILE)?.integrations?.find((i) => i.id === integrationId)
      ?.secrets[0];
  if (!secret) {
    throw new UsageError(`no secret for integration ${integrationId}: pass --secret or set SANWANG_SECRET`);
  }
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (error) {
    throw fileFailure(file, error);
  }
  const types: Record<string, string> = {
    '.json': 'application/json',
    '.xml': 'application/xml',
    '.txt': 'text/plain',
  };
  const contentType = values['content-type'] ?? types[extname(file)] ?? 'application/octet-stream';
  const path = `/v1/events${values.format ? `/${values.format}` : ''}${values.device ? `?device=${encodeURIComponent(values.device)}` : ''}`;
  const signing = { integrationId, secret, body, contentType };

  if (command === 'sign') {
    const { target } = unsignable(() => signedTarget(path));
    for (const [name, value] of Object.entries(signatureHeaders({ ...signing, url: target }))) {
      io.out(`-H '${name}: ${value}'`);
    }
    io.err(
      `# signed for POST ${target}: send it to exactly this path and query within ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes`,
    );
    return 0;
  }

  const { base, fromLocal } = apiBase(values.url, local);
  try {
    const { status, body: answer } = await postSigned({ ...signing, url: `${base}${path}` });
    io.out(`HTTP ${status}`);
    io.out(typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2));
    return status < 300 || status === 207 ? 0 : 1;
  } catch (error) {
    if (error instanceof UnsignableUrlError) throw new UsageError(error.message);
    if (!(error instanceof ApiUnreachableError)) throw error;
    throw new FailureError(
      fromLocal
        ? `no local platform answers at ${base} — start it with npm start, or pass --url`
        : `nothing answers at ${base} (${error.code}): check --url`,
    );
  }
}

function unsignable<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof UnsignableUrlError) throw new UsageError(error.message);
    throw error;
  }
}

/** The API base URL: --url, else the running `npm start` (a file whose process is gone is ignored), else 8787. */
function apiBase(url: string | undefined, local: LocalApiState | undefined): { base: string; fromLocal: boolean } {
  if (url === undefined) return { base: local?.url ?? DEFAULT_LOCAL_URL, fromLocal: true };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an absolute http(s) URL, e.g. ${DEFAULT_LOCAL_URL} (${SEE_HELP})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url must be an http or https URL (${SEE_HELP})`);
  }
  return { base: url.replace(/\/+$/, ''), fromLocal: false };
}
