import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../events/examples.ts';
import { localLambdaContext } from '../../local/lambda-context.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';
import { DynamoIncidentStore, INCIDENT_SK, incidentPk } from '../../shared/adapters/incident-store.ts';
import { DynamoQuarantineStore, quarantinePk } from '../../shared/adapters/quarantine-store.ts';
import { createRulesProcessor } from '../../shared/app/rules-processor.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../../shared/domain/event-time.ts';
import { ALARM_RULES } from '../../shared/domain/rule-registry.ts';
import { incidentsOf } from './incidents.ts';

// The real handlers (functions/*/handler.ts) behind Lambda-like event sources, on local DynamoDB, Kinesis and SQS
// servers and the SMS stand-in, started by this suite.
let platform: Platform;
const rulesEvents: KinesisStreamEvent[] = [];
const notifyEvents: DynamoDBStreamEvent[] = [];
const school = {
  county: '140581',
  township: '140581100',
  village: '140581100201',
  kind: 'school',
  name: '米山镇第一小学',
} as const;
const context = localLambdaContext({ functionName: 'sanwang-rules' });

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  platform = await startPlatform({
    deskApiPort: 0,
    apiPort: 0,
    integrationsFile: join(mkdtempSync(join(tmpdir(), 'sanwang-')), 'integrations.json'),
    logLevel: 'SILENT',
    batchingWindowMs: 100,
    onRulesBatch: (_summary, event) => rulesEvents.push(event),
    onNotifyBatch: (_summary, event) => notifyEvents.push(event),
  });
});

afterAll(async () => {
  await platform?.stop();
});

function stormAt(cameraId: string, count: number, startIso: string) {
  return Array.from({ length: count }, (_, i) =>
    exampleEvent('camera.intrusion', {
      id: `${cameraId}-${i}`,
      occurredAt: new Date(Date.parse(startIso) + i * 1000).toISOString(),
      receivedAt: new Date(Date.parse(startIso) + i * 1000 + 500).toISOString(),
      source: { id: cameraId, kind: 'camera' },
      place: school,
    }),
  );
}

const incidentsIn = (source: string) => incidentsOf(platform, source);

/** The texts the handsets got since last asked, by the desk of the number. */
function texts(): { deskId: string; text: string }[] {
  const owner = new Map(platform.desks.flatMap((d) => d.officers.map((o) => [o.mobile, d.id] as const)));
  return platform.sms.take().map((t) => ({ deskId: owner.get(t.to) ?? '?', text: t.text }));
}

describe('events → incidents → alerts on the local servers', () => {
  it('opens one incident for a storm of 300 alarms and texts the officer on duty at its desk and the one above once', async () => {
    const outcomes = await platform.stream.put(stormAt('cam-storm', 300, '2026-11-25T02:00:00+08:00'));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    await platform.settle();

    const [incident, ...others] = await incidentsIn('cam-storm');
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ eventCount: 300, severity: 1, alertSeq: 1, alertSentSeq: 1, alertPending: false });

    // 特急 opens at the school's village desk and the township above; the county and the other township are not
    // texted. The storm was on 2026-11-25, not today: the SMS gives its full date.
    const sms = `【特急】米山镇第一小学 区域入侵×300 2026-11-25 02:00起 02:10前确认 码${incident?.code}`;
    // Whoever is on duty now at each (the night shift alone, or the day shift's officer and lead).
    const got = texts();
    expect([...new Set(got.map((t) => t.deskId))].sort()).toEqual(['midong-post', 'mishan-station']);
    for (const t of got) expect(t.text).toBe(sms);

    const trail = await platform.clients.documents.send(
      new QueryCommand({
        TableName: platform.resources.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :alert)',
        ExpressionAttributeValues: { ':pk': incidentPk(incident!.id), ':alert': 'ALERT#000001#' },
      }),
    );
    // One record per text: each recipient once.
    expect(trail.Items).toHaveLength(got.length);
    expect(new Set(trail.Items?.map((d) => d.recipientKey)).size).toBe(got.length);
    for (const d of trail.Items ?? []) expect(d).toMatchObject({ text: sms, status: 'sent', stepKind: 'opened' });
    // The record names the officer by id, never by number.
    expect(JSON.stringify(trail.Items)).not.toMatch(/138\d{8}/);
  });

  it('changes nothing when Lambda delivers the same batches again', async () => {
    const [before] = await incidentsIn('cam-storm');
    const batches = rulesEvents.filter((e) => e.Records.some((r) => r.kinesis.partitionKey === 'cam-storm'));
    expect(batches.length).toBeGreaterThan(0);

    const { handler } = await import('../../functions/rules/handler.ts');
    for (const batch of batches) {
      const response = await handler(batch, context);
      expect(response.batchItemFailures).toEqual([]);
    }
    for (const batch of notifyEvents) await (await import('../../functions/notify/handler.ts')).handler(batch, context);

    const [after] = await incidentsIn('cam-storm');
    expect(after).toEqual(before);
    expect(texts()).toEqual([]);
  });

  it('quarantines malformed records with a reason naming the field, and processes the records around them', async () => {
    const good = exampleEvent('cafe.minor_admitted', {
      id: 'cafe-ok-1',
      source: { id: 'cafe-poison-test', kind: 'cafe_system' },
    });
    const badField = { ...good, id: 'cafe-bad-1', place: { ...good.place, county: '1405' } };
    const after = { ...good, id: 'cafe-ok-2', occurredAt: '2026-11-25T02:05:00+08:00' };
    await platform.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: platform.resources.streamName,
        Records: [good, badField, 'not json, call 13812345678', after].map((e) => ({
          PartitionKey: 'cafe-poison-test',
          Data: Buffer.from(typeof e === 'string' ? e : JSON.stringify(e)),
        })),
      }),
    );
    await platform.settle();

    expect((await incidentsIn('cafe-poison-test'))[0]).toMatchObject({ eventCount: 2 });
    const quarantined = await platform.clients.documents.send(
      new QueryCommand({
        TableName: platform.resources.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': quarantinePk(new Date().toISOString()) },
      }),
    );
    const mine = (quarantined.Items ?? []).filter((q) => q.partitionKey === 'cafe-poison-test');
    expect(mine.map((q) => q.reason)).toEqual([
      'place.county: must be a 6-digit county code (GB/T 2260)',
      expect.stringMatching(/^not JSON: /),
    ]);
    const stored = JSON.stringify(mine);
    expect(stored).not.toContain(EXAMPLE_MINOR_ID);
    expect(stored).not.toContain('李小明');
    expect(stored).not.toContain('13812345678');
    expect(platform.failures.rules).toEqual([]);
  });

  it('names the first record of a failed write so Lambda retries from there, and the retry completes the work', async () => {
    const { documents } = platform.clients;
    const tableName = platform.resources.tableName;
    // A throttled write of camera B's incident item only: the real adapters and processor, the real table.
    let throttle = true;
    const throttling = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      const input = (args as { input: { Key?: { pk?: string }; Item?: { pk?: string; sk?: string } } }).input;
      const pk = input.Key?.pk ?? (input.Item?.sk === 'INCIDENT' ? input.Item.pk : undefined);
      if (throttle && pk?.includes('cam-throttled')) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
          name: 'ThrottlingException',
          $retryable: { throttling: true },
        });
      }
      return next(args);
    };
    documents.middlewareStack.add(throttling as never, { step: 'initialize', name: 'testThrottling' });
    try {
      const process = createRulesProcessor({
        incidents: new DynamoIncidentStore({ client: documents, tableName }),
        quarantine: new DynamoQuarantineStore({ client: documents, tableName, retentionDays: 30 }),
        rules: ALARM_RULES,
        timeZone: 'Asia/Shanghai',
        incidentRetentionDays: 180,
        eventTime: DEFAULT_EVENT_TIME_POLICY,
        now: () => new Date(),
        log: { info() {}, warn() {} },
      });
      const events = [
        ...stormAt('cam-healthy', 3, '2026-11-25T03:00:00+08:00'),
        ...stormAt('cam-throttled', 3, '2026-11-25T03:00:00+08:00'),
      ];
      const batch: KinesisStreamEvent = {
        Records: events.map((e, i) => ({
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `shardId-000000000009:${49_000 + i}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/test',
          awsRegion: 'us-east-1',
          eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test',
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: e.source.id,
            sequenceNumber: String(49_000 + i),
            data: Buffer.from(JSON.stringify(e)).toString('base64'),
            approximateArrivalTimestamp: Date.now() / 1000,
          },
        })),
      };

      const first = await process(batch);
      expect(first.batchItemFailures).toEqual([{ itemIdentifier: '49003' }]);
      expect((await incidentsIn('cam-healthy'))[0]).toMatchObject({ eventCount: 3 });
      expect(await incidentsIn('cam-throttled')).toEqual([]);

      // Lambda redelivers from the named record; what was saved before it is recognised and not counted again.
      throttle = false;
      const retry = await process({ Records: batch.Records.slice(3) });
      expect(retry.batchItemFailures).toEqual([]);
      const again = await process(batch);
      expect(again.summary).toMatchObject({ duplicates: 6, incidentsTouched: 0 });
      expect((await incidentsIn('cam-throttled'))[0]).toMatchObject({ eventCount: 3 });
      expect((await incidentsIn('cam-healthy'))[0]).toMatchObject({ eventCount: 3 });
    } finally {
      documents.middlewareStack.remove('testThrottling');
    }
  });

  it('keeps the incident item free of personal data', async () => {
    const event = exampleEvent('cafe.wanted_person_hit', {
      id: 'wanted-1',
      source: { id: 'cafe-pii-test', kind: 'cafe_system' },
    });
    await platform.stream.put([event]);
    await platform.settle();
    const [incident] = await incidentsIn('cafe-pii-test');
    const item = await platform.clients.documents.send(
      new GetCommand({
        TableName: platform.resources.tableName,
        Key: { pk: incidentPk(incident!.id), sk: INCIDENT_SK },
      }),
    );
    const text = JSON.stringify(item.Item);
    expect(text).not.toContain(event.payload.patron.idNumber!);
    expect(text).not.toContain(event.payload.patron.fullName!);
    expect(text).not.toContain(event.payload.patron.phone!);
  });
});
