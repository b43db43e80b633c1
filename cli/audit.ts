// `npx sanwang audit verify [--incident CODE]`: loaded only for this command.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/aws-clients.ts';
import { readLocalApiState } from '../local/local-integrations.ts';
import { createDocumentClient } from '../shared/adapters/aws-clients.ts';
import { DynamoDeskDirectory } from '../shared/adapters/desk-directory.ts';
import { DynamoIncidentStore } from '../shared/adapters/incident-store.ts';
import { auditChains } from '../shared/app/audit.ts';
import { FailureError, UsageError, unreachable } from './errors.ts';
import type { CliOptions, CliOutput } from './main.ts';

const SEE_HELP = 'see npx sanwang --help';
const CODE = /^[0-9A-Z]{5}$/;
const COUNTY = /^\d{6}$/;

/**
 * Verifies the hash chain of every incident's log (or of those whose SMS code is `--incident`), on the running
 * `npm start` or on `--table`. Exit 0 when every chain is intact, 1 naming each break.
 */
export async function audit([action, ...extra]: string[], values: CliOptions, io: CliOutput): Promise<void> {
  if (action !== 'verify' || extra.length > 0) throw new UsageError(`audit needs verify (${SEE_HELP})`);
  const code = values.incident;
  if (code !== undefined && !CODE.test(code)) {
    throw new UsageError(`--incident takes the five-character code of the SMS, like K7Q2M (${SEE_HELP})`);
  }
  if (values.county !== undefined && !COUNTY.test(values.county)) {
    throw new UsageError(`--county takes a 6-digit county code, like 140581 (${SEE_HELP})`);
  }
  const local = values.table === undefined ? readLocalApiState() : undefined;
  const tableName = values.table ?? local?.table;
  if (!tableName) throw new UsageError('no table: pass --table NAME, or start the platform with npm start');
  const client = createDocumentClient(
    new DynamoDBClient(local ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: local.dynamodb } : {}),
  );
  const where = local ? `the local platform at ${local.dynamodb}` : `table ${tableName}`;
  try {
    // The counties the desks cover, unless one is named: every incident is in one of them.
    const counties =
      values.county !== undefined
        ? [values.county]
        : [
            ...new Set(
              (await new DynamoDeskDirectory({ client, tableName, maxAgeSeconds: 0 }).list()).map((d) =>
                d.jurisdiction.slice(0, 6),
              ),
            ),
          ].sort();
    const report = await auditChains(new DynamoIncidentStore({ client, tableName }), counties, {
      ...(code !== undefined ? { code } : {}),
    });
    if (code !== undefined && report.incidents === 0) {
      throw new FailureError(`no incident with code ${code} in ${counties.join(', ') || 'any county'}`);
    }
    const orphans = report.orphans
      ? ` (${count(report.orphans, 'entry', 'entries')} of writers that lost a race, on no chain)`
      : '';
    const what = `${count(report.incidents, 'incident')}, ${count(report.entries, 'log entry', 'log entries')} on their chains${orphans}`;
    if (report.broken.length === 0) {
      io.out(`audit: ${what}: every chain intact`);
      return;
    }
    for (const chain of report.broken) {
      for (const b of chain.breaks) io.out(`  ${chain.code}  ${chain.incidentId}: ${b.reason}`);
    }
    throw new FailureError(`audit: ${report.broken.length} of ${report.incidents} incidents have a broken chain`);
  } catch (error) {
    throw unreachable(error, where, values.table !== undefined) ?? error;
  } finally {
    client.destroy();
  }
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
