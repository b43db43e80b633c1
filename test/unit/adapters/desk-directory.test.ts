import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DESKS_PK,
  DeskDirectoryError,
  DynamoDeskDirectory,
  deskSk,
  FileDeskDirectory,
} from '../../../shared/adapters/desk-directory.ts';
import { DutyDesk, type DutyDeskInput, DutyDeskList } from '../../../shared/domain/duty-desks.ts';

const TABLE = 'sanwang';
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));

/** A clock the test moves. */
function testClock(start = '2026-12-01T10:00:00.000Z') {
  let now = Date.parse(start);
  return {
    now: () => new Date(now),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
  };
}

const officer = (id: string, mobile: string, role: 'officer' | 'desk-lead' = 'officer') => ({
  id,
  name: '张三',
  mobile,
  role,
});
const deskOf = (id: string, jurisdiction: string, officers: ReturnType<typeof officer>[] = []): DutyDesk =>
  DutyDesk.parse({
    id,
    name: '某派出所',
    jurisdiction,
    officers,
    roster: officers.length
      ? { shifts: [{ days: ['mon'], start: '08:00', end: '20:00', officers: officers.map((o) => o.id) }] }
      : {},
  } satisfies DutyDeskInput);
const county = deskOf('gaoping-command', '140581', [officer('gaoping-lead', '+8613800000002', 'desk-lead')]);
const station = deskOf('mishan-station', '140581100', [officer('mishan-day', '+8613800000009')]);
const item = (desk: DutyDesk, extra: Record<string, unknown> = {}) => ({
  pk: DESKS_PK,
  sk: deskSk(desk.id),
  ...desk,
  updatedAt: '2026-11-30T00:00:00.000Z',
  ...extra,
});

beforeEach(() => {
  ddb.reset();
});

describe('DynamoDeskDirectory.list', () => {
  it('reads every desk with one consistent Query of the desks partition, never a Scan', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(county), item(station)] });
    const directory = new DynamoDeskDirectory({ client, tableName: TABLE });

    expect(await directory.list()).toEqual([county, station]);

    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :desk)',
      ExpressionAttributeValues: { ':pk': 'DESKS', ':desk': 'DESK#' },
      ConsistentRead: true,
    });
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
  });

  it('follows the pages of a long list', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(county)], LastEvaluatedKey: { pk: DESKS_PK, sk: deskSk(county.id) } })
      .resolvesOnce({ Items: [item(station)] });

    const desks = await new DynamoDeskDirectory({ client, tableName: TABLE }).list();

    expect(desks.map((d) => d.id)).toEqual(['gaoping-command', 'mishan-station']);
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: { pk: DESKS_PK, sk: deskSk(county.id) },
    });
  });

  it('serves one read for maxAgeSeconds on the clock it is given, then reads again', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(county)] });
    const clock = testClock();
    const directory = new DynamoDeskDirectory({ client, tableName: TABLE, clock, maxAgeSeconds: 60 });

    await Promise.all([directory.list(), directory.list()]);
    clock.advance(59);
    await directory.list();
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);

    clock.advance(1);
    await directory.list();
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);

    // A clock set back (local mode's demo clock returning to real time) reads again.
    clock.advance(-3600);
    await directory.list();
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
  });

  it('keeps no failed read', async () => {
    ddb
      .on(QueryCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }))
      .resolves({ Items: [item(county)] });
    const directory = new DynamoDeskDirectory({ client, tableName: TABLE, clock: testClock() });

    await expect(directory.list()).rejects.toThrow('throttled');
    expect(await directory.list()).toEqual([county]);
  });

  it('refuses an invalid desk in the table, naming its field and never its value', async () => {
    const broken = item(station, { officers: [{ ...officer('mishan-day', '13800000009') }] });
    ddb.on(QueryCommand).resolves({ Items: [item(county), broken] });

    const failure = new DynamoDeskDirectory({ client, tableName: TABLE }).list();

    await expect(failure).rejects.toThrow(DeskDirectoryError);
    await expect(failure).rejects.toThrow(/^table sanwang holds no valid desk list: 1\.officers\.0\.mobile: must be/);
    await expect(failure).rejects.not.toThrow(/13800000009|张三/);
  });
});

describe('DynamoDeskDirectory.replace', () => {
  it('writes every desk and removes the desks no longer listed', async () => {
    const gone = deskOf('old-post', '140581100201');
    ddb.on(QueryCommand).resolves({ Items: [item(county), item(gone)] });
    ddb.on(BatchWriteCommand).resolves({});
    const clock = testClock();
    const directory = new DynamoDeskDirectory({ client, tableName: TABLE, clock });

    const summary = await directory.replace([county, station]);

    expect(summary).toEqual({ written: ['gaoping-command', 'mishan-station'], removed: ['old-post'] });
    const writes = ddb.commandCalls(BatchWriteCommand).flatMap((call) => call.args[0].input.RequestItems![TABLE]!);
    expect(writes).toEqual([
      { DeleteRequest: { Key: { pk: 'DESKS', sk: 'DESK#old-post' } } },
      {
        PutRequest: {
          Item: { pk: 'DESKS', sk: 'DESK#gaoping-command', ...county, updatedAt: clock.now().toISOString() },
        },
      },
      {
        PutRequest: {
          Item: { pk: 'DESKS', sk: 'DESK#mishan-station', ...station, updatedAt: clock.now().toISOString() },
        },
      },
    ]);
    expect(ddb).not.toHaveReceivedCommand(ScanCommand);
  });

  it('takes a moving officer off the old desk before putting them on the new one', async () => {
    const moving = officer('li-moves', '+8613800000011');
    const before = [deskOf('a-post', '140581100201'), deskOf('b-post', '140581100202', [moving])];
    const after = [deskOf('a-post', '140581100201', [moving]), deskOf('b-post', '140581100202')];
    ddb.on(QueryCommand).resolves({ Items: before.map((d) => item(d)) });
    ddb.on(BatchWriteCommand).resolves({});

    await new DynamoDeskDirectory({ client, tableName: TABLE }).replace(after);

    const order = ddb
      .commandCalls(BatchWriteCommand)
      .flatMap((call) => call.args[0].input.RequestItems![TABLE]!)
      .map((request) => (request as { PutRequest: { Item: { sk: string } } }).PutRequest.Item.sk);
    expect(order).toEqual(['DESK#b-post', 'DESK#a-post']);
  });

  it('writes nothing when the new desks do not hold together', async () => {
    const clash = deskOf('mishan-station', '140581100', [officer('gaoping-lead', '+8613800000009')]);

    await expect(new DynamoDeskDirectory({ client, tableName: TABLE }).replace([county, clash])).rejects.toThrow(
      /^the new desks holds no valid desk list: 1\.officers\.0\.id: is already the id of 0\.officers\.0$/,
    );
    expect(ddb).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('makes the next list read the table again', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(county)] });
    ddb.on(BatchWriteCommand).resolves({});
    const directory = new DynamoDeskDirectory({ client, tableName: TABLE, clock: testClock() });
    await directory.list();

    await directory.replace([county]);
    await directory.list();

    // One read by the first list, one by the replace, one by the list after it.
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 3);
  });
});

describe('DynamoDeskDirectory.put', () => {
  it('puts one desk as its item', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(county)] });
    ddb.on(PutCommand).resolves({});
    const clock = testClock();

    await new DynamoDeskDirectory({ client, tableName: TABLE, clock }).put(station);

    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: { pk: 'DESKS', sk: 'DESK#mishan-station', ...station, updatedAt: clock.now().toISOString() },
    });
  });

  it('refuses a desk whose officer id another desk already has', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(county)] });
    const clash = deskOf('mishan-station', '140581100', [officer('gaoping-lead', '+8613800000009')]);

    await expect(new DynamoDeskDirectory({ client, tableName: TABLE }).put(clash)).rejects.toThrow(
      /officers\.0\.id: is already the id of 0\.officers\.0/,
    );
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('FileDeskDirectory', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'sanwang-desks-')), 'desks.json');

  it('reads the demo desks file', async () => {
    const desks = await new FileDeskDirectory('config/desks.json').list();
    expect(desks).toEqual(DutyDeskList.parse(JSON.parse(readFileSync('config/desks.json', 'utf8'))));
  });

  it('replaces the file whole and reports the desks it removed', async () => {
    const path = file();
    writeFileSync(path, JSON.stringify([county, deskOf('old-post', '140581100201')]));
    const directory = new FileDeskDirectory(path, { clock: testClock() });
    await directory.list();

    expect(await directory.replace([county, station])).toEqual({
      written: ['gaoping-command', 'mishan-station'],
      removed: ['old-post'],
    });
    expect(await directory.list()).toEqual([county, station]);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual([county, station]);
  });

  it('creates the file on a first replace, and puts one desk in place of its namesake', async () => {
    const path = file();
    const directory = new FileDeskDirectory(path);
    expect(await directory.replace([county])).toEqual({ written: ['gaoping-command'], removed: [] });

    const renamed = { ...county, name: '高平市公安局' };
    await directory.put(renamed);
    await directory.put(station);

    expect(await new FileDeskDirectory(path).list()).toEqual([renamed, station]);
  });

  it('says where a file is not JSON without quoting it', async () => {
    const path = file();
    writeFileSync(path, '[{"id": "a", "mobile": 13800000009');

    await expect(new FileDeskDirectory(path).list()).rejects.toThrow(DeskDirectoryError);
    await expect(new FileDeskDirectory(path).list()).rejects.not.toThrow(/13800000009/);
  });
});
