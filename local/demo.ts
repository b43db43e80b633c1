import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { IngestSummary } from '../events/api.ts';
import { DynamoIncidentStore } from '../shared/adapters/incident-store.ts';
import { quarantinePk } from '../shared/adapters/quarantine-store.ts';
import { postSigned } from '../shared/adapters/signed-request.ts';
import { auditChains } from '../shared/app/audit.ts';
import type { Incident } from '../shared/domain/incident.ts';
import { localTime } from '../shared/domain/local-time.ts';
import { maskName } from '../shared/domain/personal-data-masking.ts';
import { severityLabel } from '../shared/domain/severity.ts';
import { nightShift } from './demo-scenario.ts';
import { DEMO_INTEGRATION_ID } from './local-integrations.ts';
import type { Platform } from './platform.ts';
import { paint } from './terminal.ts';

export interface DemoTotals {
  eventsPosted: number;
  recordsPosted: number;
  incidents: number;
  alertsDelivered: number;
  quarantined: number;
  signed: number;
  escalated: number;
  breached: number;
  closed: number;
  /** Log entries on the incidents' hash chains, and the incidents whose chain is broken (none). */
  auditEntries: number;
  auditBroken: number;
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
  const totals: DemoTotals = {
    eventsPosted: 0,
    recordsPosted: 0,
    incidents: 0,
    alertsDelivered: 0,
    quarantined: 0,
    signed: 0,
    escalated: 0,
    breached: 0,
    closed: 0,
    auditEntries: 0,
    auditBroken: 0,
  };
  const handsets = handsetsOf(platform);
  /** Prints what the handsets received since last asked: all of it, or the texts of `codes` and a count of the rest. */
  const showTexts = (codes?: readonly string[]) => {
    const texts = platform.sms.take();
    totals.alertsDelivered += texts.length;
    let others = 0;
    for (const t of texts) {
      if (codes && !codes.some((c) => t.text.includes(`码${c}`))) {
        others++;
        continue;
      }
      write(`       ${paint.yellow('📱')} ${handsets(t.to).padEnd(16, '　')} ${paint.bold(t.text)}`);
    }
    if (others > 0)
      write(paint.dim(`       📱 … and ${others} more texts about other incidents nobody has signed yet`));
  };
  // The demo runs the sweep itself, at the moments it tells of; the schedule resumes when the night is over.
  platform.scheduleSweeps(false);

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
    showTexts();
  }

  await dutyDesks(platform, { date, write, showTexts });

  // The night is over: the platform goes on in real time (a jump forward), as posts from now on expect.
  platform.clock.real();
  platform.scheduleSweeps(true);

  const incidents = await countyIncidents(platform, '140581');
  totals.incidents = incidents.length;
  totals.signed = incidents.filter((i) => i.signed).length;
  totals.escalated = incidents.filter((i) => i.escalations > 0).length;
  totals.breached = incidents.filter((i) => Object.values(i.clocks).some((c) => c?.breachedAt)).length;
  totals.closed = incidents.filter((i) => i.state === 'closed').length;
  write(paint.bold('\n事件 · incidents in 140581'));
  for (const i of incidents) {
    write(
      `  ${i.code}  ${severityLabel[i.severity]}  ${i.title.padEnd(6, '　')} ×${String(i.eventCount).padEnd(4)} ${i.place.name ?? i.place.county}  ` +
        paint.dim(
          `${i.ruleId}${i.boosts.length ? ` +${i.boosts.join('+')}` : ''}, ${STATE_NAMES[i.state]}, ${i.level}, ` +
            `${i.alertSentSeq ?? 0}/${i.alertSeq} alert steps sent`,
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

  const audit = await auditChains(
    new DynamoIncidentStore({ client: platform.clients.documents, tableName: platform.resources.tableName }),
    ['140581'],
  );
  totals.auditEntries = audit.entries;
  totals.auditBroken = audit.broken.length;
  write(paint.bold('\n审计 · npx sanwang audit verify'));
  write(
    audit.broken.length === 0
      ? `  ${audit.incidents} incidents, ${audit.entries} log entries on their SHA-256 chains: every chain intact`
      : paint.red(`  ${audit.broken.length} incidents have a broken chain`),
  );

  const stats = platform.rules.stats;
  write(paint.bold('\n小结 · summary'));
  write(
    `  posted            ${totals.eventsPosted} events and device payloads; ${totals.recordsPosted} records reached the stream`,
  );
  write(`  rules batches     ${stats.batches} (${stats.records} records, ${stats.retries} retries)`);
  write(`  incidents         ${totals.incidents}`);
  write(
    `  SMS delivered     ${totals.alertsDelivered} (to the officers on duty at ${platform.desks.length} desks, by place and ladder)`,
  );
  write(
    `  duty desks        ${totals.signed} signed, ${totals.escalated} escalated, ${totals.breached} breached, ${totals.closed} closed`,
  );
  write(`  quarantined       ${totals.quarantined}`);
  return totals;
}

const STATE_NAMES: Record<Incident['state'], string> = {
  open: '待签收',
  signed: '已签收',
  dispatched: '已派警',
  arrived: '已到场',
  feedback: '已反馈',
  closed: '已办结',
};

/** Who holds a number, masked: `米山镇派出所 王*`. */
function handsetsOf(platform: Platform): (to: string) => string {
  const owners = new Map<string, string>();
  for (const desk of platform.desks) {
    for (const o of desk.officers) owners.set(o.mobile, `${desk.name} ${maskName(o.name)}`);
    for (const n of desk.sms) owners.set(n, `${desk.name} 值班电话`);
  }
  return (to) => owners.get(to) ?? '?';
}

/**
 * After the night's events: the duty desks at work. The township officer signs the school intrusion through the
 * duty-desk API (a village officer trying a moment later is told who signed first), dispatches a patrol, and its
 * feedback closes the incident; the SOS nobody signs climbs village → township → county on the sweep's clock; the
 * forum post's golden window sends its 1-hour reminder.
 */
async function dutyDesks(
  platform: Platform,
  ctx: { date: string; write: (line: string) => void; showTexts: (codes?: readonly string[]) => void },
): Promise<void> {
  const { date, write, showTexts } = ctx;
  const at = (hhmm: string) => platform.clock.set(new Date(Date.parse(`${date}T${hhmm}:00+08:00`)));
  const incidents = await countyIncidents(platform, '140581');
  const school = incidents.filter((i) => i.ruleId === 'sky.intrusion').sort((a, b) => b.eventCount - a.eventCount)[0];
  const sos = incidents.find((i) => i.ruleId === 'ground.sos');
  const opinion = incidents.find((i) => i.ruleId === 'internet.opinion');
  if (!school || !sos || !opinion) throw new Error('the night shift left no school intrusion, SOS or forum post');
  write(paint.bold('\n值班台 · the duty desks (the sweep runs on the demo clock; in AWS every minute)'));

  const api = async (officer: string, id: string, action: string, body?: unknown) => {
    // Tokens live in real time (the authorizer checks expiry on its own clock), whatever the demo's clock says.
    const token = await platform.deskApi.issuer.sign(officer);
    const res = await fetch(`${platform.deskApi.url}/v1/incidents/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const answer = (await res.json()) as { incident?: Incident; detail?: string; title?: string };
    const what = answer.incident ? STATE_NAMES[answer.incident.state] : (answer.detail ?? answer.title ?? '');
    write(paint.dim(`       → POST /v1/incidents/…/${action} as ${officer}: HTTP ${res.status} ${what}`));
    return res.status;
  };
  const sweep = async (hhmm: string, codes: readonly string[]) => {
    at(hhmm);
    const summary = await platform.sweep();
    await platform.settle();
    write(`\n${paint.cyan(hhmm)}  sweep: ${summary.due} incidents due, ${summary.ticked} reminded or escalated`);
    showTexts(codes);
  };

  // In the order of the clock: the school intrusion worked through the API, the SOS climbing between its steps.
  const sosCodes = [sos.code];
  at('02:56');
  write(
    `\n${paint.cyan('02:56')}  米山镇派出所夜班民警在值班台签收学校入侵 (码${school.code})；米东村警务室随后再点签收`,
  );
  await api('mishan-night', school.id, 'sign');
  await api('midong-aide', school.id, 'sign');
  await platform.settle();
  showTexts([school.code]);
  write(`\n        无人签收的 SOS (码${sos.code}) 按时逐级上报：村/社区 → 乡镇/街道 → 县级，再提醒县局带班领导`);
  await sweep('02:57', sosCodes);
  at('02:58');
  write(`\n${paint.cyan('02:58')}  派警：巡逻二组前往米山镇第一小学`);
  await api('mishan-night', school.id, 'dispatch', { unit: '巡逻二组' });
  await sweep('03:01', sosCodes);
  await sweep('03:05', sosCodes);
  at('03:09');
  write(`\n${paint.cyan('03:09')}  巡逻二组到场`);
  await api('mishan-night', school.id, 'arrive');
  await sweep('03:09', sosCodes);
  await sweep('03:13', sosCodes);
  at('03:24');
  write(`\n${paint.cyan('03:24')}  巡逻二组反馈：翻墙进入校园的是两名学生，已劝离；值班台办结`);
  await api('mishan-night', school.id, 'feedback', { outcome: 'confirmed', note: '两名学生翻墙进入，已劝离' });
  await api('mishan-night', school.id, 'close', { note: '已处置' });
  await platform.settle();
  showTexts([school.code]);
  write(`\n        网络舆情 (码${opinion.code}) 的黄金 6 小时：发帖 1 小时后提醒`);
  await sweep('03:46', [opinion.code]);
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

/** The county's incidents, every page of the by-county index, as the audit reads them. */
async function countyIncidents(platform: Platform, county: string): Promise<Incident[]> {
  const store = new DynamoIncidentStore({
    client: platform.clients.documents,
    tableName: platform.resources.tableName,
  });
  const incidents: Incident[] = [];
  for await (const incident of store.county(county)) incidents.push(incident);
  return incidents;
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
