import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalAwsClients } from '../../local/aws-clients.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { type DutyDeskInput, DutyDeskList } from '../../shared/domain/duty-desks.ts';
import { CLI_TIMEOUT, ROOT, startCliTable } from './cli-table.ts';

// `npx sanwang desks` as an operator runs it: a subprocess in a folder of its own, against a DynamoDB server this
// test starts, found through the state file a running `npm start` writes.
const DEMO_DESKS = join(ROOT, 'config/desks.json');
const TABLE = 'sanwang';

let cli: Awaited<ReturnType<typeof startCliTable>>;
let clients: LocalAwsClients;
let cwd: string;

beforeAll(async () => {
  cli = await startCliTable(TABLE);
  ({ clients, cwd } = cli);
});

afterAll(async () => {
  await cli?.close();
});

const sanwang = (...args: string[]) => cli.run(args, { TIME_ZONE: '' });

const demo = JSON.parse(readFileSync(DEMO_DESKS, 'utf8')) as DutyDeskInput[];
/** Every name and mobile of the demo desks as the file holds them, and as digits alone. */
const personal = demo.flatMap((d) => [
  ...(d.sms ?? []),
  ...(d.officers ?? []).flatMap((o) => [o.name, o.mobile, o.mobile.slice(3)]),
]);

describe('npx sanwang desks', () => {
  it('imports a desks file into the running platform, then lists it with names and mobiles masked', {
    timeout: 2 * CLI_TIMEOUT,
  }, async () => {
    const imported = await sanwang('desks', 'import', DEMO_DESKS);
    expect(imported).toEqual({ code: 0, stdout: `imported 4 desk(s) into ${TABLE}\n`, stderr: '' });

    const listed = await sanwang('desks', 'list');

    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('gaoping-command  county 140581  高平市公安局指挥中心');
    expect(listed.stdout).toMatch(/county-admin +gaoping-admin +赵\* 138\*\*\*\*0001/);
    expect(listed.stdout).toMatch(/desk-lead +midong-lead +刘\* 138\*\*\*\*0011/);
    for (const value of personal) expect(listed.stdout).not.toContain(value);
  });

  it('shows a roster and who is told at a given time, masked', { timeout: CLI_TIMEOUT }, async () => {
    await new DynamoDeskDirectory({ client: clients.documents, tableName: TABLE }).replace(DutyDeskList.parse(demo));

    // New Year's Eve, 21:00 in Gaoping: the override puts the desk lead on the night with the night officer.
    const { code, stdout, stderr } = await sanwang('desks', 'roster', 'mishan-station', '--at', '2026-12-31T13:00:00Z');

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toEqual([
      'mishan-station  township 140581100  米山镇派出所  (times in Asia/Shanghai)',
      'weekly:',
      '  mon–sun  08:00–20:00  mishan-lead (张*), mishan-day (李*)',
      '  mon–sun  20:00–08:00  mishan-night (陈*)',
      'overrides:',
      '  2026-12-31 20:00–08:00  mishan-lead (张*), mishan-night (陈*)',
      'told at 2026-12-31 21:00, by the roster:',
      `  ${'mishan-station/mishan-lead'.padEnd(40)} desk-lead    张* 138****0008`,
      `  ${'mishan-station/mishan-night'.padEnd(40)} officer      陈* 138****0010`,
      '',
    ]);
  });

  it('removes the desks a new file no longer has, and tells the standing numbers when nobody is on duty', {
    timeout: 2 * CLI_TIMEOUT,
  }, async () => {
    const file = join(cwd, 'one-desk.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'midong-post', name: '米东村警务室', jurisdiction: '140581100201', sms: ['+8613800000099'] },
      ]),
    );

    const imported = await sanwang('desks', 'import', file);
    const roster = await sanwang('desks', 'roster', 'midong-post', '--at', '2026-12-01T02:30:00+08:00');

    expect(imported.stdout).toBe(
      `imported 1 desk(s) into ${TABLE}; removed 3 no longer in the file: gaoping-command, mishan-station, nancheng-station\n`,
    );
    expect(roster.stdout).toContain(`  ${'midong-post/standing-1'.padEnd(40)} standing     138****0099\n`);
    expect(roster.stdout).not.toContain('13800000099');
  });

  it('refuses an invalid file in one line naming the fields, never the values, and writes nothing', {
    timeout: CLI_TIMEOUT,
  }, async () => {
    const file = join(cwd, 'bad-desks.json');
    const [first] = demo;
    writeFileSync(
      file,
      JSON.stringify([
        { ...first, officers: [{ ...first!.officers![0], mobile: '13800000001' }, ...first!.officers!.slice(1)] },
      ]),
    );

    const directory = new DynamoDeskDirectory({ client: clients.documents, tableName: TABLE, maxAgeSeconds: 0 });
    const before = await directory.list();

    const { code, stdout, stderr } = await sanwang('desks', 'import', file);

    expect(await directory.list()).toEqual(before);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `sanwang: ${file} holds no valid desk list: 0.officers.0.mobile: must be a mainland mobile number in E.164 (+861…)\n`,
    );
  });

  it.each([
    [['desks'], 2, 'sanwang: desks needs import FILE, list or roster DESK (see npx sanwang --help)\n'],
    [
      ['desks', 'roster', 'midong-post', '--at', '2026-12-01 02:30'],
      2,
      'sanwang: --at must be an ISO 8601 time with an offset, e.g. 2026-12-01T23:30:00+08:00 (see npx sanwang --help)\n',
    ],
    [
      ['desks', 'roster', 'no-such-desk'],
      1,
      'sanwang: no desk no-such-desk in the directory (npx sanwang desks list shows them)\n',
    ],
    [['desks', 'import', 'missing.json'], 1, 'sanwang: cannot read missing.json: no such file\n'],
  ])('says %j is wrong in one line', { timeout: CLI_TIMEOUT }, async (args, code, line) => {
    expect(await sanwang(...args)).toMatchObject({ code, stderr: line });
  });
});
