import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { IngestSummary } from '../events/api.ts';
import { quarantinePk } from '../shared/adapters/quarantine-store.ts';
import { postSigned } from '../shared/adapters/signed-request.ts';
import type { Incident } from '../shared/domain/incident.ts';
import { localTime } from '../shared/domain/local-time.ts';
import { severityLabel } from '../shared/domain/severity.ts';
import { tableDesign } from '../shared/table-design.ts';
import { nightShift } from './demo-scenario.ts';
import { takeAlerts } from './desk-inbox.ts';
import { DEMO_INTEGRATION_ID } from './local-integrations.ts';
import type { Platform } from './platform.ts';
import { paint } from './terminal.ts';

export interface DemoTotals {
  eventsPosted: number;
  recordsPosted: number;
  incidents: number;
  alertsDelivered: number;
  quarantined: number;
}

/** How far the clock runs ahead of each step's moment: long enough for its storm (four minutes) to be in the past. */
const STEP_LEAD_MS = 5 * 60_000;

/** The night (in Shanghai) whose 02:00 most recently passed: the demo's events happened "last night". */
export function demoNight(now: Date, timeZone: string): string {
  const local = localTime(now, timeZone);
  const day = new Date(`${local.date}T00:00:00Z`);
  if (local.hour < 3) day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

/**
 * Plays the night shift through the running platform: each step's events go onto the stream, the rules and
 * notify handlers run, and the SMS every desk received is printed.
 */
export async function runDemo(
  platform: Platform,
  options: { now: Date; timeZone: string; write: (line: string) => void },
): Promise<DemoTotals> {
  const { write } = options;
  const date = demoNight(options.now, options.timeZone);
  const totals: DemoTotals = { eventsPosted: 0, recordsPosted: 0, incidents: 0, alertsDelivered: 0, quarantined: 0 };
  const deskNames = new Map(platform.desks.map((d) => [d.id, d.name]));

  write(paint.bold(`\n夜班演示 · night shift in 高平市 (140581), ${date}`));
  for (const step of nightShift(date)) {
    // The platform's clock stands a few minutes after the step's moment: its events are current, not late reports.
    platform.clock.set(new Date(Date.parse(`${date}T${step.at}:00+08:00`) + STEP_LEAD_MS));
    write(`\n${paint.cyan(step.at)}  ${step.says}`);
    if (step.events.length > 0) {
      const answer = await post(platform, '/v1/events', 'application/json', JSON.stringify({ events: step.events }));
      totals.eventsPosted += step.events.length;
      totals.recordsPosted += answer.accepted;
      write(paint.dim(`       → POST /v1/events (${step.events.length} events): ${answer.line}`));
    }
    for (const payload of step.devicePayloads ?? []) {
      const path = `/v1/events/${payload.format}${payload.device ? `?device=${payload.device}` : ''}`;
      const answer = await post(platform, path, payload.contentType, payload.body);
      totals.eventsPosted += 1;
      totals.recordsPosted += answer.accepted;
      write(paint.dim(`       → POST ${path} (${payload.label}): ${answer.line}`));
    }
    if (step.malformed?.length) {
      await platform.clients.kinesis.send(
        new PutRecordsCommand({
          StreamName: platform.resources.streamName,
          Records: step.malformed.map((m) => ({ PartitionKey: m.partitionKey, Data: Buffer.from(m.data) })),
        }),
      );
      totals.recordsPosted += step.malformed.length;
      write(
        paint.dim(
          `       → ${step.malformed.length} records straight onto the stream (an old integration that bypasses the API)`,
        ),
      );
    }
    await platform.settle();

    for (const [deskId, queue] of Object.entries(platform.resources.deskQueues)) {
      for (const alert of await takeAlerts(platform.clients.sqs, queue.queueUrl)) {
        totals.alertsDelivered++;
        write(
          `       ${paint.yellow('📱')} ${(deskNames.get(deskId) ?? deskId).padEnd(10, '　')} ${paint.bold(alert.sms)}`,
        );
      }
    }
  }

  // The night is over: the platform goes on in real time (a jump forward), as posts from now on expect.
  platform.clock.real();

  const incidents = await countyIncidents(platform, '140581');
  totals.incidents = incidents.length;
  write(paint.bold('\n事件 · incidents in 140581'));
  for (const i of incidents) {
    write(
      `  ${i.code}  ${severityLabel[i.severity]}  ${i.title.padEnd(6, '　')} ×${String(i.eventCount).padEnd(4)} ${i.place.name ?? i.place.county}  ` +
        paint.dim(
          `${i.ruleId}${i.boosts.length ? ` +${i.boosts.join('+')}` : ''}, alert ${i.alertSentSeq ?? 0}/${i.alertSeq} sent`,
        ),
    );
  }

  const poison = await quarantined(platform, options.now);
  totals.quarantined = poison.length;
  write(paint.bold('\n隔离 · quarantined records (never retried, personal data masked)'));
  for (const p of poison) {
    write(`  ${p.partitionKey}  ${paint.red(String(p.reason))}`);
    write(paint.dim(`    raw: ${String(p.raw).slice(0, 110)}`));
  }

  const stats = platform.rules.stats;
  write(paint.bold('\n小结 · summary'));
  write(
    `  posted            ${totals.eventsPosted} events and device payloads; ${totals.recordsPosted} records reached the stream`,
  );
  write(`  rules batches     ${stats.batches} (${stats.records} records, ${stats.retries} retries)`);
  write(`  incidents         ${totals.incidents}`);
  write(
    `  SMS delivered     ${totals.alertsDelivered} (to ${platform.desks.length} desks, by jurisdiction and severity)`,
  );
  write(`  quarantined       ${totals.quarantined}`);
  return totals;
}

/** Posts through the front door, signed as the demo integration; returns a one-line account of the answer. */
async function post(platform: Platform, path: string, contentType: string, body: string | Buffer) {
  const integration = platform.integrations.find((i) => i.id === DEMO_INTEGRATION_ID) ?? platform.integrations[0]!;
  const { status, body: answer } = await postSigned({
    url: `${platform.apiUrl}${path}`,
    integrationId: integration.id,
    secret: integration.secrets[0]!,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    contentType,
    // Signed on the platform's clock, as an integration's own clock would be.
    now: platform.clock.now(),
  });
  const summary = answer as Partial<IngestSummary> & { message?: string };
  if (summary.results === undefined) return { accepted: 0, line: `HTTP ${status} ${summary.message ?? ''}` };
  const parts = [`${summary.accepted} accepted`];
  if (summary.held) parts.push(`${summary.held} held (device not registered)`);
  if (summary.rejected) {
    const first = summary.results.find((r) => r.status === 'rejected');
    parts.push(
      `${summary.rejected} rejected${first?.status === 'rejected' ? ` — ${first.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : ''}`,
    );
  }
  for (const ignored of summary.ignored ?? []) parts.push(`${ignored.count} ignored (${ignored.reason})`);
  return { accepted: summary.accepted ?? 0, line: `HTTP ${status}, ${parts.join(', ')}` };
}

async function countyIncidents(platform: Platform, county: string): Promise<Incident[]> {
  const { byCounty } = tableDesign.indexes;
  const out = await platform.clients.documents.send(
    new QueryCommand({
      TableName: platform.resources.tableName,
      IndexName: byCounty.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': byCounty.partitionKey },
      ExpressionAttributeValues: { ':pk': `COUNTY#${county}` },
    }),
  );
  return (out.Items ?? []) as Incident[];
}

async function quarantined(platform: Platform, now: Date): Promise<Record<string, unknown>[]> {
  const out = await platform.clients.documents.send(
    new QueryCommand({
      TableName: platform.resources.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': quarantinePk(now.toISOString()) },
    }),
  );
  return out.Items ?? [];
}
