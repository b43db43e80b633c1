import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalAwsClients } from '../../local/aws-clients.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { DutyDeskList } from '../../shared/domain/duty-desks.ts';
import type { Incident } from '../../shared/domain/incident.ts';
import { planIncidents } from '../../shared/domain/incident-plan.ts';
import { planContext } from '../unit/domain/incident-table.ts';
import { sightings } from '../unit/domain/sightings.ts';
import { CLI_TIMEOUT, ROOT, startCliTable } from './cli-table.ts';

// `npx sanwang audit verify` as an operator runs it: a subprocess against a DynamoDB server this test starts, found
// through the state file a running `npm start` writes.
const TABLE = 'sanwang';

let cli: Awaited<ReturnType<typeof startCliTable>>;
let clients: LocalAwsClients;
const incidents: Incident[] = [];

beforeAll(async () => {
  cli = await startCliTable(TABLE);
  clients = cli.clients;
  const desks = DutyDeskList.parse(JSON.parse(readFileSync(join(ROOT, 'config/desks.json'), 'utf8')));
  await new DynamoDeskDirectory({ client: clients.documents, tableName: TABLE }).replace(desks);
  // Two incidents as the rules open them, each with the first entry of its log.
  const store = new DynamoIncidentStore({ client: clients.documents, tableName: TABLE });
  for (const type of ['camera.intrusion', 'patrol.sos'] as const) {
    const ctx = planContext(new Date());
    const plan = planIncidents(sightings(type, [0], { idPrefix: type }), await store.load([]), ctx);
    const change = plan.changes[0]!;
    expect(await store.save(change)).toBe('saved');
    incidents.push(change.after);
  }
}, CLI_TIMEOUT);

afterAll(async () => {
  await cli?.close();
});

const sanwang = (...args: string[]) => cli.run(args);

describe('npx sanwang audit verify', () => {
  it('says every chain is intact, for all incidents and for one by its code', {
    timeout: 2 * CLI_TIMEOUT,
  }, async () => {
    expect(await sanwang('audit', 'verify')).toEqual({
      code: 0,
      stdout: 'audit: 2 incidents, 2 log entries on their chains: every chain intact\n',
      stderr: '',
    });
    expect(await sanwang('audit', 'verify', '--incident', incidents[0]!.code)).toMatchObject({
      code: 0,
      stdout: 'audit: 1 incident, 1 log entry on their chains: every chain intact\n',
    });
  });

  it('names the incident whose entry was changed, and exits 1', { timeout: CLI_TIMEOUT }, async () => {
    const target = incidents[1]!;
    const { Items = [] } = await clients.documents.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :log)',
        ExpressionAttributeValues: { ':pk': `INC#${target.id}`, ':log': 'LOG#' },
      }),
    );
    await clients.documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk: Items[0]!.pk, sk: Items[0]!.sk },
        UpdateExpression: 'SET actor = :actor',
        ExpressionAttributeValues: { ':actor': { kind: 'function', name: 'sweep' } },
      }),
    );

    const run = await sanwang('audit', 'verify');

    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`  ${target.code}  ${target.id}: entry 1 does not hash to its own hash: it was changed\n`);
    expect(run.stderr).toBe('sanwang: audit: 1 of 2 incidents have a broken chain\n');
  });

  it('says what is wrong with the command line, and exits 2', { timeout: CLI_TIMEOUT }, async () => {
    expect(await sanwang('audit')).toMatchObject({
      code: 2,
      stderr: 'sanwang: audit needs verify (see npx sanwang --help)\n',
    });
    const bad = await sanwang('audit', 'verify', '--incident', '13812345678');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--incident takes the five-character code/);
    expect(bad.stderr).not.toContain('13812345678');
  });
});
