import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DraftEvent } from '../../../events/adapters/device-adapter.ts';
import { exampleEvent } from '../../../events/examples.ts';
import {
  DEVICE_SK,
  DynamoDeviceRegistry,
  devicePk,
  NEEDS_REGISTRATION,
  type RegisteredDevice,
} from '../../../shared/adapters/device-registry.ts';
import { UnprocessedItemsError } from '../../../shared/adapters/dynamo-batch.ts';

const TABLE = 'sanwang';
const NOW = new Date('2026-11-25T18:46:00.000Z');
const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'cn-north-1' }));
const registry = new DynamoDeviceRegistry({ client, tableName: TABLE });

const SCHOOL = {
  county: '140581',
  township: '140581100',
  village: '140581100201',
  kind: 'school',
  name: '米山镇第一小学',
} as const;

const key = (sourceId: string) => ({ pk: `DEVICE#${sourceId}`, sk: 'DEVICE' });
const device = (sourceId: string, extra: Record<string, unknown> = {}): RegisteredDevice => ({
  sourceId,
  status: 'registered',
  place: { ...SCHOOL },
  ...extra,
});
/** A device item as the table holds it: keys and bookkeeping beside the registration. */
const item = (d: RegisteredDevice, extra: Record<string, unknown> = {}) => ({
  ...key(d.sourceId),
  ...d,
  registeredAt: '2026-11-01T00:00:00.000Z',
  ...extra,
});
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

describe('device keys', () => {
  it('keys a device by its source id under one sort key', () => {
    expect({ pk: devicePk('4419b66d2485'), sk: DEVICE_SK }).toEqual(key('4419b66d2485'));
    expect(NEEDS_REGISTRATION).toBe('DEVICES#NEEDS-REGISTRATION');
  });
});

describe('DynamoDeviceRegistry.find', () => {
  it('reads each device once, in BatchGets of at most 100 keys', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const ids = Array.from({ length: 150 }, (_, i) => `cam-${i}`);

    await registry.find([...ids, ...ids.slice(0, 30)]);

    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 1, {
      RequestItems: { [TABLE]: { Keys: ids.slice(0, 100).map(key) } },
    });
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: ids.slice(100).map(key) } },
    });
  });

  it('makes no call for no ids', async () => {
    const found = await registry.find([]);

    expect(found.size).toBe(0);
    expect(ddb).not.toHaveReceivedCommand(BatchGetCommand);
  });

  it('asks again for unprocessed keys and returns what every attempt found', async () => {
    const a = device('cam-a');
    const b = device('cam-b', { name: '北门' });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [item(a)] },
        UnprocessedKeys: { [TABLE]: { Keys: [key('cam-b')] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [item(b)] } });

    const found = await registry.find(['cam-a', 'cam-b']);

    expect([...found.keys()]).toEqual(['cam-a', 'cam-b']);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 2);
    expect(ddb).toHaveReceivedNthCommandWith(BatchGetCommand, 2, {
      RequestItems: { [TABLE]: { Keys: [key('cam-b')] } },
    });
  });

  it('throws UnprocessedItemsError when keys stay unprocessed after five attempts', async () => {
    ddb.on(BatchGetCommand).callsFake((input) => ({ UnprocessedKeys: input.RequestItems }));

    await expect(registry.find(['cam-a'])).rejects.toThrow(UnprocessedItemsError);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 5);
  });

  it('returns registered devices parsed, without the table attributes', async () => {
    const a = device('cam-a', { name: '北门' });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [item(a, { lastSeen: '2026-11-20T00:00:00Z' })] } });

    const found = await registry.find(['cam-a']);

    expect(found.get('cam-a')).toEqual({
      sourceId: 'cam-a',
      status: 'registered',
      name: '北门',
      place: SCHOOL,
    });
  });

  it('leaves out devices that still need registration', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          item(device('cam-a')),
          {
            ...key('cam-new'),
            sourceId: 'cam-new',
            status: 'needs-registration',
            gsi2pk: NEEDS_REGISTRATION,
            heldEvents: 3,
          },
        ],
      },
    });

    const found = await registry.find(['cam-a', 'cam-new']);

    expect([...found.keys()]).toEqual(['cam-a']);
  });

  it('skips items that are not a valid registration and keeps the rest', async () => {
    const good = device('cam-good');
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          item(device('cam-no-place'), { place: undefined }),
          item(device('cam-bad-county'), { place: { county: '14058', kind: 'school' } }),
          item(device('cam-bad-kind'), { place: { county: '140581', kind: 'castle' } }),
          item(device('cam-township-elsewhere'), { place: { county: '140581', township: '140502100', kind: 'other' } }),
          { ...key('cam-no-id'), status: 'registered', place: SCHOOL },
          item(good),
        ],
      },
    });

    const found = await registry.find([
      'cam-no-place',
      'cam-bad-county',
      'cam-bad-kind',
      'cam-township-elsewhere',
      'cam-no-id',
      'cam-good',
    ]);

    expect([...found.keys()]).toEqual(['cam-good']);
    expect(found.get('cam-good')).toEqual(good);
  });
});

describe('DynamoDeviceRegistry.register', () => {
  it('pseudonymizes a source id with personal data, as the ingest does with its events', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.register({ sourceId: 'cafe-13812345678', place: { county: '140581', kind: 'other' } }, NOW);

    const item = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(item.sourceId).toMatch(/^pd-/);
    expect(item.pk).toBe(`DEVICE#${item.sourceId}`);
  });

  it('puts the registration with its keys, status registered and the time', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.register({ sourceId: '4419b66d2485', name: '东侧围墙', place: { ...SCHOOL } }, NOW);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'DEVICE#4419b66d2485',
        sk: 'DEVICE',
        sourceId: '4419b66d2485',
        name: '东侧围墙',
        place: SCHOOL,
        status: 'registered',
        registeredAt: '2026-11-25T18:46:00.000Z',
      },
    });
  });

  it('writes status registered even over a needs-registration item (an unconditional put)', async () => {
    ddb.on(PutCommand).resolves({});

    await registry.register({ sourceId: 'cam-a', place: { county: '140581', kind: 'other' } }, NOW);

    const input = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBeUndefined();
    expect(input.Item).toMatchObject({ status: 'registered' });
  });
});

describe('DynamoDeviceRegistry.noteUnregistered', () => {
  const seen = { format: 'hikvision', eventType: 'camera.intrusion', at: '2026-11-25T18:46:00.000Z', held: 2 };

  it('counts the held events and lists the device for registration, keeping first-seen and status', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.noteUnregistered('bcad28910f3e', seen);

    expect(ddb).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: TABLE,
      Key: { pk: 'DEVICE#bcad28910f3e', sk: 'DEVICE' },
      UpdateExpression:
        'SET sourceId = :id, #status = if_not_exists(#status, :needs), gsi2pk = if_not_exists(gsi2pk, :list), ' +
        'gsi2sk = :sk, firstSeen = if_not_exists(firstSeen, :at), lastSeen = :at, lastFormat = :format, ' +
        'lastEventType = :type ADD heldEvents :held, postings :one',
      ConditionExpression: 'attribute_not_exists(#status) OR #status = :needs',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':id': 'bcad28910f3e',
        ':needs': 'needs-registration',
        ':list': 'DEVICES#NEEDS-REGISTRATION',
        ':sk': '2026-11-25T18:46:00.000Z#bcad28910f3e',
        ':at': '2026-11-25T18:46:00.000Z',
        ':format': 'hikvision',
        ':type': 'camera.intrusion',
        ':held': 2,
        ':one': 1,
      },
    });
  });

  it('counts a posting that held nothing (a GB/T 28181 camera placed by its county) with held 0', async () => {
    ddb.on(UpdateCommand).resolves({});

    await registry.noteUnregistered('14058100001320000017', { ...seen, format: 'gb28181', held: 0 });

    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':held': 0, ':one': 1, ':format': 'gb28181' }),
    });
  });

  it('leaves a device an operator registered meanwhile alone: the failed condition is not an error', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(registry.noteUnregistered('cam-a', seen)).resolves.toBeUndefined();
    // The condition is what keeps status = registered: only an absent or needs-registration status is updated.
    expect(ddb.commandCalls(UpdateCommand)[0]!.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(#status) OR #status = :needs',
    );
  });

  it('rethrows any other error', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
    ddb.on(UpdateCommand).rejects(throttled);

    await expect(registry.noteUnregistered('cam-a', seen)).rejects.toThrow(throttled);
  });
});

describe('DynamoDeviceRegistry.hold and takeHeld', () => {
  const RECEIVED = '2026-11-25T18:46:00.000Z';
  const draft = (id: string, sourceId = 'cam-new'): DraftEvent => {
    const {
      place: _p,
      receivedAt: _r,
      ...rest
    } = exampleEvent('camera.intrusion', {
      id,
      source: { id: sourceId, kind: 'camera' },
    });
    return rest as DraftEvent;
  };
  const from = { integrationId: 'gaoping-video', format: 'hikvision' };

  it('keeps each event under its device with who sent it, how, and when it expires', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    await registry.hold([draft('h-1')], RECEIVED, from);

    expect(ddb).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        [TABLE]: [
          {
            PutRequest: {
              Item: {
                pk: 'DEVICE#cam-new',
                sk: `HELD#${RECEIVED}#h-1`,
                event: draft('h-1'),
                receivedAt: RECEIVED,
                integrationId: 'gaoping-video',
                format: 'hikvision',
                expiresAt: Date.parse(RECEIVED) / 1000 + 14 * 86_400,
              },
            },
          },
        ],
      },
    });
  });

  it('never writes personal data into a key', async () => {
    ddb.on(BatchWriteCommand).resolves({});

    await registry.hold([draft('cafe-13812345678', 'nvr-13912345678')], RECEIVED, from);

    const item = ddb.commandCalls(BatchWriteCommand)[0]!.args[0].input.RequestItems![TABLE]![0]!.PutRequest!.Item!;
    expect(`${item.pk} ${item.sk}`).not.toMatch(/1381234|1391234/);
  });

  it('hands back live held events with who sent them and deletes exactly the ones given', async () => {
    const kept = { pk: 'DEVICE#cam-new', sk: `HELD#${RECEIVED}#h-1`, event: draft('h-1'), receivedAt: RECEIVED };
    ddb.on(QueryCommand).resolves({
      Items: [
        { ...kept, integrationId: 'gaoping-video', format: 'hikvision', expiresAt: NOW.getTime() / 1000 + 60 },
        { ...kept, sk: `HELD#${RECEIVED}#h-old`, event: draft('h-old') },
        { ...kept, sk: `HELD#${RECEIVED}#h-expired`, expiresAt: NOW.getTime() / 1000 - 60 },
      ],
    });
    ddb.on(BatchWriteCommand).resolves({});

    const { held, remove } = await registry.takeHeld('cam-new', NOW);

    expect(held.map((h) => [h.event.id, h.from])).toEqual([
      ['h-1', from],
      ['h-old', undefined],
    ]);
    await remove(held.slice(0, 1));
    expect(ddb).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: { [TABLE]: [{ DeleteRequest: { Key: { pk: 'DEVICE#cam-new', sk: `HELD#${RECEIVED}#h-1` } } }] },
    });
  });
});
