import { type DutyDesk, jurisdictionLevel } from '../shared/domain/duty-desks.ts';
import { maskName } from '../shared/domain/personal-data-masking.ts';
import { startDeskApiServer } from './desk-api-server.ts';
import { DEV_ISSUER_FILE, type DevIssuer, openDevIssuer } from './dev-issuer.ts';
import type { FunctionInvoker } from './function-invoker.ts';

/** Where `npm start` serves the duty-desk API unless told otherwise (the ingest API has 8787). */
export const DEFAULT_DESK_API_PORT = 8788;

/** The handler module local mode runs for the duty-desk API, as the stack deploys it. */
export const DESK_API_MODULE = new URL('../functions/desk-api/handler.ts', import.meta.url);

export interface LocalDeskApi {
  /** Base URL, without a trailing slash. */
  url: string;
  port: number;
  /** The development issuer whose tokens the local authorizer accepts (`npx sanwang login` signs with it too). */
  issuer: DevIssuer;
  close(): Promise<void>;
}

/**
 * The duty-desk API of local mode: the development issuer (its key created under .sanwang/ on first start) and the
 * local HTTP API with its JWT authorizer in front of the desk-api function the platform runs.
 * @example const deskApi = await startDeskApi({ function: functions['desk-api'] }); // http://127.0.0.1:8788
 */
export async function startDeskApi(options: {
  function: FunctionInvoker;
  host?: string;
  /** 0 picks a free port. Default 8788. */
  port?: number;
  issuerFile?: string;
}): Promise<LocalDeskApi> {
  const issuer = await openDevIssuer(options.issuerFile ?? DEV_ISSUER_FILE);
  const server = await startDeskApiServer({
    function: options.function,
    issuer,
    port: options.port ?? DEFAULT_DESK_API_PORT,
    ...(options.host ? { host: options.host } : {}),
  });
  return { url: server.url, port: server.port, issuer, close: server.close };
}

type ListedDesk = Pick<DutyDesk, 'name' | 'jurisdiction' | 'officers'>;

/**
 * What `npm start` prints about the duty-desk API: where it is, a few officers to sign in as (one a desk, names
 * masked) and a `curl` line ready to paste.
 * @example officerLogins(desks, 'http://127.0.0.1:8788') // ['Duty-desk API  http://127.0.0.1:8788 …', …]
 */
export function officerLogins(desks: readonly ListedDesk[], url: string, most = 4): string[] {
  const officers = desks
    .flatMap((desk) => (desk.officers[0] ? [{ desk, officer: desk.officers[0] }] : []))
    .slice(0, most);
  const lines = [`  Desk API  ${url}/v1/incidents   (OpenAPI: ${url}/v1/openapi.json)`];
  if (officers.length === 0) {
    lines.push('            no desk has officers yet: add them to the desks, then npx sanwang login --officer ID');
    return lines;
  }
  lines.push('            sign in as one of these officers with npx sanwang login --officer ID:');
  const width = Math.max(...officers.map(({ officer }) => officer.id.length));
  for (const { desk, officer } of officers) {
    const level = jurisdictionLevel(desk.jurisdiction);
    lines.push(
      `              ${officer.id.padEnd(width)}  ${maskName(officer.name)}  ${officer.role.padEnd(12)}  ${desk.name} (${level} ${desk.jurisdiction})`,
    );
  }
  lines.push(
    `            curl -H "Authorization: Bearer $(npx sanwang login --officer ${officers[0]!.officer.id})" ${url}/v1/incidents`,
  );
  return lines;
}
