import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type AttributeValue,
  DeleteTableCommand,
  DynamoDBClient,
  QueryCommand as LowQueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as KinesisRecord,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import {
  createLocalAwsClients,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalAwsClients,
} from '../../local/aws-clients.ts';
import { ensureStream, ensureTable } from '../../local/provision.ts';
import { type LocalServers, startLocalServers } from '../../local/servers.ts';
import { type SmsGateway, startSmsGateway } from '../../local/sms-gateway.ts';
import { type Delivery, DynamoDeliveryRecords } from '../../shared/adapters/delivery-records.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { DynamoDueClocks } from '../../shared/adapters/due-clocks.ts';
import { KinesisEventStream } from '../../shared/adapters/event-stream.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { DynamoPendingAlerts } from '../../shared/adapters/pending-alerts.ts';
import { DynamoQuarantineStore } from '../../shared/adapters/quarantine-store.ts';
import { SnsSmsChannel } from '../../shared/adapters/sms-channel.ts';
import { createAlertNotifier } from '../../shared/app/alert-notifier.ts';
import { createSweeper } from '../../shared/app/alert-sweeper.ts';
import { createRulesProcessor } from '../../shared/app/rules-processor.ts';
import { unpackKeys } from '../../shared/domain/applied-events.ts';
import { DutyDeskList } from '../../shared/domain/duty-desks.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../../shared/domain/event-time.ts';
import { Incident } from '../../shared/domain/incident.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../shared/domain/lifecycle-policy.ts';
import { ALARM_RULES } from '../../shared/domain/rule-registry.ts';
import { PENDING_ALERT_PARTITION, tableDesign } from '../../shared/table-design.ts';
import { Container, type Fault, InvocationPlan, withFaults } from './fault-plan.ts';
import { expectedKeys, type HistorySpec, historyEvents, NIGHT_START, putSequence } from './history.ts';

const debug = process.env.HARNESS_DEBUG === '1';
const silent = {
  info() {},
  warn(message: string, ...extra: unknown[]) {
    if (debug) console.warn(message, JSON.stringify(extra).slice(0, 400));
  },
};
const NONE: Fault = { kind: 'none' };
/** Bounds on the work of one history, by count: a history that needs more is reported stuck, not waited for. */
const LIMITS = { invocationsPerShard: 400, notifyRounds: 400, settleRounds: 60 };

/** What one history ended with: the exactness figures, and what was injected to get there. */
export interface HistoryResult {
  events: number;
  records: number;
  expected: number;
  applied: number;
  lost: number;
  countedTwice: number;
  /** Incidents whose eventCount is not the number of keys they hold. */
  countMismatch: number;
  incidents: number;
  /** Alerts still pending, or incidents with current events that never alerted, after settling. */
  stuck: number;
  sms: number;
  duplicateSms: number;
  /** Texts sent by a notifier that died before writing their outcome: the one window for a second SMS. */
  crashWindowAlerts: number;
  crashes: number;
  throttles: number;
  invocations: number;
}

/**
 * The local servers the harness runs every history on, each history in its own table and stream, one after the
 * other; the SMS gateway's handsets are emptied at the end of each.
 */
export interface Harness {
  servers: LocalServers;
  clients: LocalAwsClients;
  sms: SmsGateway;
  close(): Promise<void>;
}

/** The desks of local mode: they cover the histories' place (米东村 → 米山镇 → 高平市) at every level. */
const DESKS = DutyDeskList.parse(
  JSON.parse(readFileSync(fileURLToPath(new URL('../../config/desks.json', import.meta.url)), 'utf8')),
);

export async function startHarness(): Promise<Harness> {
  const [servers, sms] = await Promise.all([startLocalServers(), startSmsGateway()]);
  const clients = createLocalAwsClients(servers.endpoints);
  return {
    servers,
    clients,
    sms,
    close: async () => {
      clients.destroy();
      await Promise.all([servers.stop(), sms.stop()]);
    },
  };
}

/** Runs one history to the end and measures what became of every event and every alert. */
export async function runHistory(harness: Harness, spec: HistorySpec, name: string): Promise<HistoryResult> {
  const { clients, servers } = harness;
  const stats = { crashes: 0, throttles: 0, invocations: 0, crashWindowAlerts: 0 };
  let clockMs = NIGHT_START + 155 * 60_000;
  const now = () => new Date(clockMs);

  await Promise.all([ensureTable(clients, name), ensureStream(clients, name, spec.shards)]);
  harness.sms.take();
  await new DynamoDeskDirectory({ client: clients.documents, tableName: name }).replace(DESKS);

  try {
    // The producer: the real Kinesis adapter, every put as its own call so a lost answer re-puts a slice.
    const events = historyEvents(spec, name);
    const puts = putSequence(spec, events);
    const producer = new KinesisEventStream({ client: clients.kinesis, streamName: name });
    for (let i = 0; i < puts.length; i += 5) {
      const outcomes = await producer.put(puts.slice(i, i + 5));
      if (!outcomes.every((o) => o.ok)) throw new Error('the local stream refused a record');
    }
    const shards = await readShards(clients, name);

    // --- Lambda's Kinesis mapping, one poller per shard, all at once --------------------------------------------
    const dynamoClient = (container: Container) =>
      withFaults(
        DynamoDBDocumentClient.from(
          new DynamoDBClient({
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
            endpoint: servers.endpoints.dynamodb,
            maxAttempts: 1,
          }),
          { marshallOptions: { removeUndefinedValues: true } },
        ),
        container,
        'dynamodb',
      );
    const rulesContainer = () => {
      const container = new Container();
      const client = dynamoClient(container);
      const process = createRulesProcessor({
        incidents: new DynamoIncidentStore({ client, tableName: name, now }),
        quarantine: new DynamoQuarantineStore({ client, tableName: name, retentionDays: 30, now }),
        rules: ALARM_RULES,
        timeZone: 'Asia/Shanghai',
        incidentRetentionDays: 180,
        eventTime: DEFAULT_EVENT_TIME_POLICY,
        now,
        log: silent,
      });
      return { container, process, client };
    };

    async function invoke<R>(container: Container, fault: Fault, run: () => Promise<R>) {
      stats.invocations++;
      if (fault.kind === 'throttle') stats.throttles++;
      container.plan = new InvocationPlan(fault, container.unrecorded);
      let result: R | undefined;
      let failed = false;
      try {
        result = await run();
      } catch (error) {
        if (debug) console.warn('invocation failed:', String(error).slice(0, 300));
        failed = true;
      }
      const crashed = container.plan.dead;
      if (debug && crashed) console.warn('crashed after', container.plan.crashedAfter, 'call', container.plan.calls);
      if (crashed) {
        stats.crashes++;
        stats.crashWindowAlerts += container.plan.crashWindowAlerts;
      }
      return { crashed, failed: failed || crashed, result };
    }

    const rulesFaults = shards.map((_, s) => spec.rulesFaults.filter((_, i) => i % shards.length === s));
    let nextSize = 0;
    const batchSize = () => spec.batchSizes[nextSize++ % spec.batchSizes.length]!;
    let stale = 0;
    let repeat = 0;

    async function deliverShard(records: KinesisStreamRecord[], s: number) {
      let fn = rulesContainer();
      let committed = 0;
      let size = batchSize();
      for (let n = 0; committed < records.length; n++) {
        if (n >= LIMITS.invocationsPerShard) throw new Error(`shard ${s} of ${name} did not finish`);
        const batch = records.slice(committed, committed + size);
        const out = await invoke(fn.container, rulesFaults[s]!.shift() ?? NONE, () => fn.process({ Records: batch }));
        if (out.crashed) fn = rulesContainer();
        if (out.failed) {
          // A function error: Lambda bisects and retries; the records before the batch stay committed.
          size = Math.max(1, Math.ceil(batch.length / 2));
          continue;
        }
        const failure = out.result!.batchItemFailures[0]?.itemIdentifier;
        if (failure !== undefined) {
          committed += batch.findIndex((r) => r.kinesis.sequenceNumber === failure);
          continue;
        }
        committed += batch.length;
        size = batchSize();
        // Lambda is at-least-once: the same batch, again and again.
        for (let r = spec.repeats[repeat++ % spec.repeats.length]!; r > 0; r--) {
          await invoke(fn.container, NONE, () => fn.process({ Records: batch }));
        }
        // At-least-once: now and then an earlier stretch of the shard comes again.
        const redelivery = spec.staleRedeliveries[stale++ % Math.max(1, spec.staleRedeliveries.length)];
        if (redelivery && redelivery[0] < 2) {
          const from = redelivery[1] % committed;
          await invoke(fn.container, NONE, () => fn.process({ Records: records.slice(from, from + redelivery[2]) }));
        }
      }
    }

    // --- the table stream → notify mapping, the sweep, and SNS -----------------------------------------------------
    const plain = rulesContainer().client;
    const pendingAlerts = new DynamoPendingAlerts({ client: plain, tableName: name });
    // Once the settling rounds are used up the clocks stop, so that the steps already taken can be counted out.
    let ticking = true;
    const redriveOnly = createSweeper({ pending: pendingAlerts, now, log: silent });
    const sweepAll = createSweeper({
      pending: pendingAlerts,
      clocks: {
        dueClocks: new DynamoDueClocks({ client: plain, tableName: name }),
        incidents: new DynamoIncidentStore({ client: plain, tableName: name, now }),
        policy: DEFAULT_LIFECYCLE_POLICY,
      },
      now,
      log: silent,
    });
    let round = 0;
    const notifyContainer = () => {
      const container = new Container();
      container.snsDown = () => round < spec.snsDownRounds;
      const sns = withFaults(
        new SNSClient({
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
          endpoint: harness.sms.endpoint,
          maxAttempts: 1,
        }),
        container,
        'sns',
      );
      const client = dynamoClient(container);
      const notify = createAlertNotifier({
        deliveries: new DynamoDeliveryRecords({ client, tableName: name }),
        incidents: new DynamoIncidentStore({ client, tableName: name, now }),
        desks: new DynamoDeskDirectory({ client, tableName: name, clock: { now } }),
        channel: new SnsSmsChannel({ client: sns }),
        policy: DEFAULT_LIFECYCLE_POLICY,
        timeZone: 'Asia/Shanghai',
        now,
        log: silent,
      });
      return { container, notify };
    };
    let notifier = notifyContainer();
    const delivered = new Map<string, string>();
    const notifyFaults = [...spec.notifyFaults];
    let sequence = 0;

    async function notifyRound(): Promise<number> {
      round++;
      const pending = await pendingItems(clients.dynamodb, name);
      // A stream record for each new version of an item (a new alert, or a sweep's re-drive), and now and then an
      // old one again.
      const due = pending.filter(
        (item) => delivered.get(itemKey(item)) !== itemVersion(item) || (round + sequence) % 7 === 0,
      );
      for (let i = 0; i < due.length; i += 10) {
        const items = due.slice(i, i + 10);
        const records = items.map((item) => streamRecord(item, ++sequence));
        const out = await invoke(notifier.container, notifyFaults.shift() ?? NONE, () =>
          notifier.notify({ Records: records }),
        );
        if (out.crashed) notifier = notifyContainer();
        if (out.failed) continue;
        const failure = out.result!.batchItemFailures[0]?.itemIdentifier;
        const upTo =
          failure === undefined ? items.length : records.findIndex((r) => r.dynamodb?.SequenceNumber === failure);
        for (const item of items.slice(0, upTo)) delivered.set(itemKey(item), itemVersion(item));
      }
      clockMs += 30_000;
      await (ticking ? sweepAll() : redriveOnly());
      // What is pending now: the sweep's ticks may have taken new steps (reminders, escalations).
      return pending.length + (await pendingItems(clients.dynamodb, name)).length;
    }

    let rulesDone = false;
    const rules = Promise.all(shards.map((records, s) => deliverShard(records, s))).finally(() => {
      rulesDone = true;
    });
    for (let r = 0; !rulesDone; r++) {
      if (r >= LIMITS.notifyRounds) throw new Error(`${name}: the rules did not finish within ${r} notify rounds`);
      await notifyRound();
    }
    await rules;
    // Settle: SNS back, faults used up; every alert goes out within a bounded number of rounds.
    for (let r = 0; r < 2 * LIMITS.settleRounds; r++) {
      ticking = r < LIMITS.settleRounds;
      if ((await notifyRound()) === 0 && notifyFaults.length === 0 && round >= spec.snsDownRounds) break;
    }

    return {
      ...(await observe(harness, name, events)),
      ...stats,
      events: events.length,
      records: puts.length,
    };
  } finally {
    await Promise.allSettled([
      clients.dynamodb.send(new DeleteTableCommand({ TableName: name })),
      clients.kinesis.send(new DeleteStreamCommand({ StreamName: name })),
    ]);
  }
}

/** Every record of every shard, in order, as Lambda hands them to the function. */
async function readShards(clients: LocalAwsClients, streamName: string): Promise<KinesisStreamRecord[][]> {
  const { Shards = [] } = await clients.kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return Promise.all(
    Shards.map(async ({ ShardId = '' }) => {
      let { ShardIterator: iterator } = await clients.kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const records: KinesisStreamRecord[] = [];
      for (;;) {
        const page = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const fetched = page.Records ?? [];
        records.push(...fetched.map((r) => lambdaRecord(ShardId, r)));
        iterator = page.NextShardIterator;
        if (fetched.length === 0 || !iterator) return records;
      }
    }),
  );
}

function lambdaRecord(shardId: string, r: KinesisRecord): KinesisStreamRecord {
  const sequenceNumber = r.SequenceNumber ?? '';
  return {
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/sanwang-rules',
    awsRegion: LOCAL_REGION,
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/harness',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
  };
}

type Item = Record<string, AttributeValue>;

/** Every incident item on the pending-alerts index, as stored (the images its stream records carry). */
export async function pendingItems(dynamodb: DynamoDBClient, tableName: string): Promise<Item[]> {
  const index = tableDesign.indexes.pendingAlerts;
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await dynamodb.send(
      new LowQueryCommand({
        TableName: tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :p',
        ExpressionAttributeNames: { '#pk': index.partitionKey },
        ExpressionAttributeValues: { ':p': { S: PENDING_ALERT_PARTITION } },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const itemKey = (item: Item) => item.pk?.S ?? '';
const itemVersion = (item: Item) => `${item.version?.N}.${item.alertWakes?.N ?? 0}`;

function streamRecord(item: Item, sequence: number): DynamoDBRecord {
  return {
    eventID: `h${sequence}`,
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { pk: item.pk as never, sk: item.sk as never },
      NewImage: item as never,
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

/** Reads the whole history's table and handsets: which incident holds which event, and every SMS that went out. */
async function observe(harness: Harness, tableName: string, events: ReturnType<typeof historyEvents>) {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await harness.clients.documents.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);

  const pages = new Map(
    items.filter((i) => String(i.sk).startsWith('PAGE#')).map((i) => [String(i.sk), i.keys as Uint8Array]),
  );
  const incidents = items
    .filter((i) => i.sk === 'INCIDENT' && typeof i.claimOf !== 'string')
    .map((i) => Incident.parse(i));
  const held = new Map<string, number>();
  let countMismatch = 0;
  let stuck = 0;
  for (const incident of incidents) {
    const keys = [...incident.appliedPages.flatMap((sk) => unpackKeys(pages.get(sk))), ...unpackKeys(incident.applied)];
    for (const key of keys) held.set(key, (held.get(key) ?? 0) + 1);
    if (keys.length !== incident.eventCount) countMismatch++;
    const current = incident.eventCount - incident.lateCount;
    if (current > 0 && incident.alertSeq === 0) stuck++;
    if (incident.alertSeq > 0 && (incident.alertPending || (incident.alertSentSeq ?? 0) < incident.alertSeq)) stuck++;
  }
  const expected = expectedKeys(events);
  let lost = 0;
  let countedTwice = 0;
  for (const key of expected) {
    const n = held.get(key) ?? 0;
    if (n === 0) lost++;
    if (n > 1) countedTwice += n - 1;
  }
  for (const [key, n] of held) if (!expected.has(key)) countedTwice += n;

  // Every text the handsets got is either the one its delivery record names, or a second one: a sender died between
  // sending and recording, its lease ran out, and the recipient was taken again.
  const texts = harness.sms.take();
  const deliveries = items.filter((i) => String(i.sk).startsWith('ALERT#')) as unknown as Delivery[];
  const sent = deliveries.filter((d) => d.status === 'sent');
  const recorded = new Set(sent.map((d) => d.messageId));
  const received = new Set(texts.map((t) => t.messageId));
  const duplicates = texts.filter((t) => !recorded.has(t.messageId)).length;
  if (debug && duplicates > 0) {
    for (const t of texts.filter((x) => !recorded.has(x.messageId))) {
      const same = deliveries.filter((d) => d.text === t.text);
      console.warn(
        'second text',
        t.n,
        t.text.slice(0, 60),
        JSON.stringify(same.map((d) => ({ ...d, text: undefined }))),
      );
    }
  }
  // A text recorded as sent that no handset got is as stuck as one never sent; so is a step recorded as delivered
  // that nobody received.
  for (const d of sent) if (!received.has(d.messageId ?? '')) stuck++;
  const served = new Set(sent.map((d) => `${d.incidentId}#${d.alertSeq}`));
  for (const incident of incidents) {
    for (const step of incident.steps) {
      if (served.has(`${incident.id}#${step.seq}`)) continue;
      stuck++;
      if (debug)
        console.warn('step nobody got', incident.id, JSON.stringify(step), incident.alertSentSeq, incident.state);
    }
  }
  return {
    expected: expected.size,
    applied: [...held.values()].reduce((a, b) => a + b, 0),
    lost,
    countedTwice,
    countMismatch,
    incidents: incidents.length,
    stuck,
    sms: texts.length,
    duplicateSms: duplicates,
  };
}
