import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { exampleEvent } from '../events/examples.ts';
import { createLocalAwsClients, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/aws-clients.ts';
import { ensureTable } from '../local/provision.ts';
import { startLocalServers } from '../local/servers.ts';
import { DynamoDueClocks } from '../shared/adapters/due-clocks.ts';
import { DynamoIncidentStore } from '../shared/adapters/incident-store.ts';
import { DynamoQuarantineStore } from '../shared/adapters/quarantine-store.ts';
import { createSweeper } from '../shared/app/alert-sweeper.ts';
import { createRulesProcessor } from '../shared/app/rules-processor.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../shared/domain/event-time.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../shared/domain/lifecycle-policy.ts';
import { ALARM_RULES } from '../shared/domain/rule-registry.ts';
import { kinesisEvent } from './batches.ts';
import { localDocumentClient } from './counted-clients.ts';

const silent = { info() {}, warn() {} };
const T0 = Date.parse('2026-11-25T02:00:00+08:00');

export interface SweepFigure {
  open: number;
  due: number;
  ticked: number;
  calls: number;
  byCommand: Record<string, number>;
  ms: number;
}

/**
 * The clock half of the sweep against the local DynamoDB: `open` unsigned SOS incidents, one a second, of which the
 * first `due` have passed their sign deadline. The sweep reads the sparse due-clocks index, so its calls and time
 * follow the count due, not the count open.
 */
export async function measureSweeps(cases: readonly { open: number; due: number }[]): Promise<SweepFigure[]> {
  const servers = await startLocalServers();
  const clients = createLocalAwsClients(servers.endpoints);
  const figures: SweepFigure[] = [];
  try {
    for (const [n, { open, due }] of cases.entries()) {
      const tableName = `sweep-${n}`;
      await ensureTable(clients, tableName);
      const calls = new Map<string, number>();
      const client = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
          endpoint: servers.endpoints.dynamodb,
        }),
        { marshallOptions: { removeUndefinedValues: true } },
      );
      let nowMs = T0;
      const rules = createRulesProcessor({
        incidents: new DynamoIncidentStore({ client, tableName, now: () => new Date(nowMs) }),
        quarantine: new DynamoQuarantineStore({ client, tableName, retentionDays: 30, now: () => new Date(nowMs) }),
        rules: ALARM_RULES,
        timeZone: 'Asia/Shanghai',
        incidentRetentionDays: 180,
        eventTime: DEFAULT_EVENT_TIME_POLICY,
        now: () => new Date(nowMs),
        log: silent,
      });
      for (let from = 0; from < open; from += 500) {
        const events = Array.from({ length: Math.min(500, open - from) }, (_, k) => {
          const i = from + k;
          return exampleEvent('patrol.sos', {
            id: `sweep-${i}`,
            occurredAt: new Date(T0 + i * 1000).toISOString(),
            receivedAt: new Date(T0 + i * 1000 + 500).toISOString(),
            source: { id: `radio-${i}`, kind: 'patrol_app' },
            payload: { kind: 'sos', officer: { badge: `B${i}` } },
          });
        });
        nowMs = T0 + (from + events.length) * 1000;
        await rules(kinesisEvent(events));
      }
      // Just after the `due`-th incident's sign deadline (all SOS: the same minutes after their first event).
      const [soonest] = await new DynamoDueClocks({ client, tableName }).due(new Date(T0 + 86_400_000), 1);
      const now = new Date(Date.parse(soonest!.nextDueAt!) + (due - 1) * 1000 + 500);
      const countedClient = localDocumentClient(servers.endpoints.dynamodb, calls);
      const sweep = createSweeper({
        pending: { overdue: async () => [], redrive: async () => false },
        clocks: {
          dueClocks: new DynamoDueClocks({ client: countedClient, tableName }),
          incidents: new DynamoIncidentStore({ client: countedClient, tableName, now: () => now }),
          policy: DEFAULT_LIFECYCLE_POLICY,
        },
        now: () => now,
        log: silent,
      });
      const start = performance.now();
      const summary = await sweep();
      const ms = performance.now() - start;
      figures.push({
        open,
        due: summary.due,
        ticked: summary.ticked,
        calls: [...calls.values()].reduce((a, b) => a + b, 0),
        byCommand: Object.fromEntries(calls),
        ms,
      });
    }
  } finally {
    clients.destroy();
    await servers.stop();
  }
  return figures;
}
