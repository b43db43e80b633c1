import { readFileSync } from 'node:fs';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createLocalAwsClients, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/aws-clients.ts';
import { ensureTable } from '../local/provision.ts';
import { startLocalServers } from '../local/servers.ts';
import { startSmsGateway } from '../local/sms-gateway.ts';
import { DynamoDeliveryRecords } from '../shared/adapters/delivery-records.ts';
import { DynamoDeskDirectory } from '../shared/adapters/desk-directory.ts';
import { DynamoIncidentStore, INCIDENT_SK, incidentPk } from '../shared/adapters/incident-store.ts';
import { DynamoQuarantineStore } from '../shared/adapters/quarantine-store.ts';
import { SnsSmsChannel } from '../shared/adapters/sms-channel.ts';
import { createAlertNotifier } from '../shared/app/alert-notifier.ts';
import { createRulesProcessor } from '../shared/app/rules-processor.ts';
import { DutyDeskList } from '../shared/domain/duty-desks.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../shared/domain/event-time.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../shared/domain/lifecycle-policy.ts';
import { ALARM_RULES } from '../shared/domain/rule-registry.ts';
import { pendingItems } from '../test/harness/run-history.ts';
import { counted, localDocumentClient } from './counted-clients.ts';

const silent = { info() {}, warn() {} };
const NOW = new Date('2026-11-24T18:30:00Z');

export interface CallCount {
  scenario: string;
  events: number;
  calls: number;
  byCommand: Record<string, number>;
  incidents: number;
  /** Size of the largest incident item written, in bytes (what each of its writes costs in write units). */
  largestItemBytes?: number;
}

/**
 * DynamoDB (and SNS) calls the real adapters make against the local DynamoDB: first delivery, redelivery, a
 * storm across a window boundary, distinct incidents, and the notifier sending their alerts.
 */
export async function countCalls(batches: {
  storm: KinesisStreamEvent;
  longStorm: KinesisStreamEvent[];
  distinct: KinesisStreamEvent;
}): Promise<CallCount[]> {
  const servers = await startLocalServers();
  const clients = createLocalAwsClients(servers.endpoints);
  const rows: CallCount[] = [];
  let tables = 0;
  try {
    const setup = async () => {
      const tableName = `bench-${++tables}`;
      await ensureTable(clients, tableName);
      const calls = new Map<string, number>();
      const client = localDocumentClient(servers.endpoints.dynamodb, calls);
      const process = createRulesProcessor({
        incidents: new DynamoIncidentStore({ client, tableName, now: () => NOW }),
        quarantine: new DynamoQuarantineStore({ client, tableName, retentionDays: 30, now: () => NOW }),
        rules: ALARM_RULES,
        timeZone: 'Asia/Shanghai',
        incidentRetentionDays: 180,
        eventTime: DEFAULT_EVENT_TIME_POLICY,
        now: () => NOW,
        log: silent,
      });
      return { tableName, calls, client, process };
    };
    const row = async (
      scenario: string,
      ctx: Awaited<ReturnType<typeof setup>>,
      events: KinesisStreamEvent[],
      measure = true,
    ) => {
      ctx.calls.clear();
      let incidents = 0;
      let n = 0;
      const ids = new Set<string>();
      for (const event of events) {
        const { summary, batchItemFailures } = await ctx.process(event);
        if (batchItemFailures.length) throw new Error(`bench batch failed at ${batchItemFailures[0]?.itemIdentifier}`);
        incidents += summary.incidentsTouched;
        n += event.Records.length;
      }
      if (!measure) return;
      for (const e of events) for (const r of e.Records) ids.add(r.kinesis.partitionKey);
      const byCommand = Object.fromEntries(ctx.calls);
      rows.push({
        scenario,
        events: n,
        calls: [...ctx.calls.values()].reduce((a, b) => a + b, 0),
        byCommand,
        incidents,
      });
    };

    const storm = await setup();
    await row('storm, first delivery', storm, [batches.storm]);
    await row('storm, delivered again', storm, [batches.storm]);
    const stormItem = await storm.client.send(
      new GetCommand({
        TableName: storm.tableName,
        Key: { pk: incidentPk(firstIncidentId(batches.storm)), sk: INCIDENT_SK },
      }),
    );
    rows[0]!.largestItemBytes = itemBytes(stormItem.Item ?? {});

    const long = await setup();
    await row(`long storm across windows (${batches.longStorm.length} batches)`, long, batches.longStorm);

    const distinct = await setup();
    await row('distinct, first delivery', distinct, [batches.distinct]);

    // The notifier texts the distinct batch's alerts, ten incidents to a stream batch as the mapping delivers them,
    // to the officers on duty of the desks in config/desks.json (read from the table, as the function does).
    const desks = DutyDeskList.parse(JSON.parse(readFileSync('config/desks.json', 'utf8')));
    await new DynamoDeskDirectory({ client: distinct.client, tableName: distinct.tableName }).replace(desks);
    const gateway = await startSmsGateway();
    const calls = distinct.calls;
    calls.clear();
    const sns = counted(
      new SNSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: gateway.endpoint }),
      calls,
    );
    const notify = createAlertNotifier({
      deliveries: new DynamoDeliveryRecords({ client: distinct.client, tableName: distinct.tableName }),
      incidents: new DynamoIncidentStore({ client: distinct.client, tableName: distinct.tableName, now: () => NOW }),
      desks: new DynamoDeskDirectory({ client: distinct.client, tableName: distinct.tableName }),
      channel: new SnsSmsChannel({ client: sns }),
      policy: DEFAULT_LIFECYCLE_POLICY,
      timeZone: 'Asia/Shanghai',
      now: () => NOW,
      log: silent,
    });
    const pending = await pendingItems(clients.dynamodb, distinct.tableName);
    let sent = 0;
    for (let i = 0; i < pending.length; i += 10) {
      const records = pending.slice(i, i + 10).map((image, j) => ({
        eventName: 'MODIFY' as const,
        dynamodb: { NewImage: image as never, SequenceNumber: String(i + j + 1).padStart(21, '0') },
      }));
      sent += (await notify({ Records: records })).summary.sent;
    }
    await gateway.stop();
    const steps = pending.length;
    rows.push({
      scenario: `notify, ${steps} alert steps, ${sent} texts`,
      events: steps,
      calls: [...calls.values()].reduce((a, b) => a + b, 0),
      byCommand: Object.fromEntries(calls),
      incidents: steps,
    });
  } finally {
    clients.destroy();
    await servers.stop();
  }
  return rows;
}

function firstIncidentId(event: KinesisStreamEvent): string {
  const first = JSON.parse(Buffer.from(event.Records[0]!.kinesis.data, 'base64').toString('utf8'));
  // The storm's events are intrusions from one camera in the 02:00 window.
  return `sky.intrusion|${first.place.county}/${first.source.id}|20261124T1800`;
}

/** An item's size as DynamoDB counts it (names and values; binary by its bytes), near enough for write units. */
function itemBytes(item: Record<string, unknown>): number {
  const size = (value: unknown): number => {
    if (value instanceof Uint8Array) return value.length;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return 8;
    if (typeof value === 'boolean' || value === null) return 1;
    if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + size(v), 0);
    if (typeof value === 'object') {
      return 3 + Object.entries(value as object).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + size(v), 0);
    }
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}
