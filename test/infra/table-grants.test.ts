import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type Delivery, DynamoDeliveryRecords } from '../../shared/adapters/delivery-records.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { DynamoDeviceRegistry } from '../../shared/adapters/device-registry.ts';
import { DynamoDueClocks } from '../../shared/adapters/due-clocks.ts';
import { DynamoIncidentStore, type IncidentCommit } from '../../shared/adapters/incident-store.ts';
import { DynamoPendingAlerts } from '../../shared/adapters/pending-alerts.ts';
import { DynamoQuarantineStore } from '../../shared/adapters/quarantine-store.ts';
import { DynamoReplayGuard } from '../../shared/adapters/replay-guard.ts';
import { createIncidentService } from '../../shared/app/incident-service-impl.ts';
import { INLINE_APPLIED_KEYS } from '../../shared/domain/applied-events.ts';
import type { LogEntry } from '../../shared/domain/incident-log.ts';
import type { PoisonRecord } from '../../shared/domain/poison-record.ts';
import { eventAt, NOW, plannedChange } from '../unit/app/builders.ts';
import { gaopingDesks, gaopingIncidents, SCHOOL_ID } from '../unit/app/desk-api-fakes.ts';
import { policyStatements, testApp } from './test-app.ts';

const functions = Template.fromStack(testApp().functions);
const TABLE = 'sanwang';

interface ItemCall {
  action: string;
  /** The partition keys the request names: what `dynamodb:LeadingKeys` holds for it. */
  keys: string[];
}

/** A document client that answers every call with an empty success and records each call's action and keys. */
function recordingClient(calls: ItemCall[]): DynamoDBDocumentClient {
  const pk = (item: Record<string, unknown> | undefined) => String(item?.pk);
  const send = async (command: unknown) => {
    if (command instanceof GetCommand) calls.push({ action: 'GetItem', keys: [pk(command.input.Key)] });
    else if (command instanceof PutCommand) calls.push({ action: 'PutItem', keys: [pk(command.input.Item)] });
    else if (command instanceof UpdateCommand) calls.push({ action: 'UpdateItem', keys: [pk(command.input.Key)] });
    else if (command instanceof QueryCommand) {
      const { IndexName, ExpressionAttributeValues: values = {} } = command.input;
      const key = String(values[':pk'] ?? values[':pending'] ?? values[':due']);
      calls.push({ action: IndexName ? `Query@${IndexName}` : 'Query', keys: [key] });
      return { Items: [] };
    } else if (command instanceof BatchGetCommand) {
      calls.push({ action: 'BatchGetItem', keys: (command.input.RequestItems?.[TABLE]?.Keys ?? []).map(pk) });
    } else if (command instanceof BatchWriteCommand) {
      const requests = command.input.RequestItems?.[TABLE] ?? [];
      calls.push({
        action: 'BatchWriteItem',
        keys: requests.map((r) => pk(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
      });
    } else throw new Error(`unexpected command ${(command as object).constructor.name}`);
    return {};
  };
  return { send } as unknown as DynamoDBDocumentClient;
}

const intrusion = eventAt('camera.intrusion', 0);
const poison: PoisonRecord = {
  shardId: 'shardId-000000000000',
  sequenceNumber: '1',
  partitionKey: 'cam-1',
  arrivedAt: NOW.toISOString(),
  reason: 'not JSON',
  raw: 'x',
  rawEncoding: 'utf8',
  rawBytes: 1,
};

/** An incident as the notifier, the sweep and the duty-desk API read it, and its next version as they commit it. */
const school = gaopingIncidents().find((incident) => incident.id === SCHOOL_ID)!;
const nextVersion: IncidentCommit = {
  before: school,
  after: { ...school, version: school.version + 1 },
  entry: { incidentId: SCHOOL_ID, version: school.version + 1, token: 't1' } as unknown as LogEntry,
};
const delivery: Delivery = {
  incidentId: SCHOOL_ID,
  alertSeq: 1,
  stepKind: 'alert',
  recipientKey: 'mishan-station/mishan-night',
  deskId: 'mishan-station',
  officerId: 'mishan-night',
  channel: 'sms',
  text: '【紧急】',
  status: 'sent',
  startedAt: NOW.toISOString(),
  attempts: 1,
  messageId: 'm-1',
  at: NOW.toISOString(),
  expiresAt: school.expiresAt,
};

/**
 * What each function's adapters send to the table, in every operation the function's handler uses (read from
 * functions/<name>/handler.ts and shared/app/*). The CLI's operations (register, takeHeld, pending, desks import)
 * are not here: they run with the operator's credentials.
 */
const functionCalls: Record<string, (client: DynamoDBDocumentClient) => Promise<unknown>> = {
  RulesRole: async (client) => {
    const incidents = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    await incidents.load(['sky.intrusion|140581/cam|20261124T1800']);
    await incidents.claim({ windowId: 'w', incidentId: 'i', expiresAt: 1, firstSequenceNumber: '1' });
    const storm = Array.from({ length: INLINE_APPLIED_KEYS + 1 }, (_, i) => ({ ...intrusion, id: `e${i}` }));
    await incidents.save(plannedChange(storm));
    await new DynamoQuarantineStore({ client, tableName: TABLE, retentionDays: 30, now: () => NOW }).put([poison]);
  },
  // shared/app/alert-notifier.ts: the incident and its deliveries (one consistent Query), who is on duty (the desk
  // directory), the delivery records and log entries in batches, each incident committed on its version, and on a
  // conflict the incident read again and committed again.
  NotifyRole: async (client) => {
    await new DynamoDeskDirectory({ client, tableName: TABLE }).list();
    const deliveries = new DynamoDeliveryRecords({ client, tableName: TABLE });
    await deliveries.claim(SCHOOL_ID, 1);
    await deliveries.finish([delivery]);
    const incidents = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    await incidents.save(nextVersion);
    await incidents.get(SCHOOL_ID);
  },
  // shared/app/alert-sweeper.ts: due clocks ticked through the state machine (committed like every other writer),
  // then overdue alerts re-driven.
  SweepRole: async (client) => {
    await new DynamoDueClocks({ client, tableName: TABLE }).due(NOW, 10);
    const incidents = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    await incidents.save(nextVersion);
    await incidents.get(SCHOOL_ID);
    const pending = new DynamoPendingAlerts({ client, tableName: TABLE });
    await pending.overdue(NOW, 10);
    await pending.redrive({ incidentId: SCHOOL_ID, alertSeq: 1, pendingSince: '' }, NOW);
  },
  // shared/app/incident-service-impl.ts and desk-directory-impl.ts: an incident and its log, a list from the
  // by-county index, an officer's command committed on the version read; the desks read, a roster written back.
  DeskApiFunctionRole: async (client) => {
    const service = createIncidentService({ client, tableName: TABLE, timeZone: 'Asia/Shanghai', now: () => NOW });
    await service.get(SCHOOL_ID);
    await service.list({ jurisdiction: '140581', limit: 20 });
    const incidents = new DynamoIncidentStore({ client, tableName: TABLE, now: () => NOW });
    await incidents.log(SCHOOL_ID);
    await incidents.save(nextVersion);
    const desks = new DynamoDeskDirectory({ client, tableName: TABLE });
    await desks.list();
    await desks.put(gaopingDesks()[1]!);
  },
  IngestFunctionRole: async (client) => {
    const devices = new DynamoDeviceRegistry({ client, tableName: TABLE });
    await devices.find(['34020000001320000001']);
    await devices.hold([{ ...intrusion, source: { id: '34020000001320000001', kind: 'camera' } }], NOW.toISOString(), {
      integrationId: 'cam-platform',
      format: 'gb28181',
    });
    await devices.noteUnregistered('34020000001320000001', {
      format: 'gb28181',
      eventType: 'camera.intrusion',
      at: NOW.toISOString(),
      held: 1,
    });
    await new DynamoReplayGuard({ client, tableName: TABLE, windowSeconds: 300 }).firstUse('cam-platform', 'r-1', NOW);
  },
};

const roleIds = Object.keys(functions.findResources('AWS::IAM::Role'));
const roleId = (prefix: string) => {
  const ids = roleIds.filter((id) => id.startsWith(prefix));
  expect(ids, prefix).toHaveLength(1);
  return ids[0]!;
};

const onTable = (s: { Resource: unknown }) =>
  JSON.stringify(s.Resource).includes('IncidentTable') && !JSON.stringify(s.Resource).includes('StreamArn');
const onIndex = (s: { Resource: unknown }) => JSON.stringify(s.Resource).includes('/index/');

/** The role's statements on the table's items (not its stream, not an index): actions, key patterns. */
function tableStatements(role: string) {
  return policyStatements(functions)
    .filter((s) => s.role === role && onTable(s) && !onIndex(s))
    .map((s) => ({
      actions: [s.Action].flat().map((a) => a.replace(/^dynamodb:/, '')),
      patterns: (s as { Condition?: Record<string, Record<string, string[]>> }).Condition?.[
        'ForAllValues:StringLike'
      ]?.['dynamodb:LeadingKeys'],
      statement: s,
    }));
}

const globMatch = (pattern: string, key: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(key);

describe('table grants: each role reaches only the items it owns', () => {
  it('conditions every table statement of every role on dynamodb:LeadingKeys prefixes, on the table alone', () => {
    const statements = roleIds.flatMap(tableStatements);
    expect(statements.length).toBeGreaterThanOrEqual(5);
    for (const { statement, patterns } of statements) {
      expect(patterns, JSON.stringify(statement)).toBeDefined();
      // A family's prefix and a wildcard (`INC#*`), or one whole partition key (`DESKS`).
      for (const pattern of patterns!) expect(pattern).toMatch(/^[A-Z]+(#\*)?$/);
      expect(statement.Effect).toBe('Allow');
    }
  });

  it('grants on an index nothing but Query, and only on a named index (dynamodb:LeadingKeys names table keys)', () => {
    for (const statement of policyStatements(functions).filter((s) => onTable(s) && onIndex(s))) {
      expect(statement.Action).toBe('dynamodb:Query');
      expect(JSON.stringify(statement.Resource)).toMatch(/\/index\/[a-z-]+"/);
    }
  });

  it('gives the internet-facing ingest role no statement on incidents, alerts or quarantine', () => {
    const ingest = tableStatements(roleId('IngestFunctionRole'));
    expect(ingest.length).toBeGreaterThan(0);
    for (const forbidden of ['INC#sky.intrusion|140581/cam|20261124T1800', 'QUARANTINE#2026-11-24']) {
      expect(ingest.filter(({ patterns }) => patterns!.some((p) => globMatch(p, forbidden)))).toEqual([]);
    }
  });

  for (const [prefix, run] of Object.entries(functionCalls)) {
    it(`${prefix}: allows every item call the function makes, and nothing it does not make`, async () => {
      const calls: ItemCall[] = [];
      await run(recordingClient(calls));
      const statements = tableStatements(roleId(prefix));

      const role = roleId(prefix);
      for (const call of calls.filter((c) => c.action.startsWith('Query@'))) {
        const index = call.action.slice('Query@'.length);
        const onThatIndex = policyStatements(functions).filter(
          (s) => s.role === role && onIndex(s) && JSON.stringify(s.Resource).includes(`/index/${index}`),
        );
        expect(
          onThatIndex.map((s) => s.Action),
          `Query on index ${index}`,
        ).toEqual(['dynamodb:Query']);
      }
      for (const call of calls.filter((c) => !c.action.startsWith('Query@'))) {
        const allowed = statements.some(
          ({ actions, patterns }) =>
            actions.includes(call.action) && call.keys.every((key) => patterns!.some((p) => globMatch(p, key))),
        );
        expect(allowed, `${call.action} ${call.keys.join(', ')}`).toBe(true);
      }
      for (const { actions, patterns } of statements) {
        for (const action of actions) {
          for (const pattern of patterns!) {
            const used = calls.some((c) => c.action === action && c.keys.some((key) => globMatch(pattern, key)));
            expect(used, `${action} on ${pattern} is granted but never called`).toBe(true);
          }
        }
      }
    });
  }
});
