import type { AlertStep, ClockName, Incident } from './incident.ts';
import type { Level } from './incident-lifecycle.ts';
import { type LocalTime, localTime } from './local-time.ts';
import { scrubText } from './personal-data-masking.ts';
import { severityLabel, severityName } from './severity.ts';

/** A Chinese SMS segment holds 70 UCS-2 code units; past that the message is split into billed parts of 67. */
export const SMS_SEGMENT = 70;

export interface AlertTextOptions {
  timeZone: string;
  /** When the text is sent: times on another day than this one carry their full date. */
  now: Date;
  /** The step being sent; absent: the incident's latest. */
  step?: AlertStep;
  /** A desk's name by id, for the 已由…签收 notice (desk names are not personal data). */
  deskName?: (deskId: string) => string | undefined;
  /** How to acknowledge, e.g. `回1确认`; left out until a reply channel exists for the deployment. */
  ackHint?: string;
}

/** UCS-2 length: what the SMS gateway counts (a character outside the BMP costs two). */
export function smsLength(text: string): number {
  return text.length;
}

function truncate(text: string, max: number): string {
  if (smsLength(text) <= max) return text;
  // Cut on code points so a surrogate pair is never split.
  let out = '';
  for (const ch of text) {
    if (smsLength(out) + smsLength(ch) > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/** `02:03` on the reference day, `11-26 02:03` on another day of its year, `2027-01-01 05:30` in another year. */
function onDay(t: LocalTime, reference: string): string {
  if (t.date === reference) return t.hhmm;
  return t.date.slice(0, 4) === reference.slice(0, 4) ? `${t.monthDay} ${t.hhmm}` : `${t.date} ${t.hhmm}`;
}

function placeLabel(incident: Incident): string {
  const { place } = incident;
  return place.name ?? place.village ?? place.township ?? place.county;
}

/**
 * The SMS a duty officer reads: severity, place, what, how many, when, the deadline and the incident code, in
 * one segment. A start today reads 02:03; any other day's carries its full date (2026-11-24 02:03), so an alarm
 * from long ago can never pass for tonight's. It never carries personal data: the code leads to everything else.
 * @example smsText(incident, { timeZone: 'Asia/Shanghai', now }) // 【紧急】米山镇第一小学 区域入侵×37 02:03起 02:13前确认 码K7Q2M
 */
export function smsText(incident: Incident, options: AlertTextOptions): string {
  const step = options.step ?? incident.steps.at(-1);
  const kind = step?.kind ?? 'opened';
  if (kind !== 'opened' && kind !== 'severity-raised' && kind !== 'escalated')
    return noticeText(incident, step!, options);
  const first = localTime(new Date(incident.firstSeen), options.timeZone);
  // Online opinion answers to its golden window (回应 by the 6-hour mark). Otherwise the sign clock restarts at
  // each level an unsigned incident climbs to: that desk's deadline is the clock's.
  const sign = incident.clocks.sign;
  const golden = incident.clocks.golden;
  const due = golden
    ? golden.dueAt
    : incident.state === 'open' && sign && !sign.stoppedAt
      ? sign.dueAt
      : incident.ackBy;
  const deadline = localTime(new Date(due), options.timeZone);
  const today = localTime(options.now, options.timeZone).date;
  const head = `【${severityLabel[incident.severity]}】`;
  const what = `${incident.title}${incident.eventCount > 1 ? `×${incident.eventCount}` : ''}`;
  // A rise in severity reads 升级; an incident handed up the ladder unsigned reads 上报 (the desk above now holds it).
  const raised = kind === 'severity-raised' ? '升级 ' : kind === 'escalated' ? '上报 ' : '';
  // The start reads against today, in full on any other day; the deadline against the start: a date only where it
  // differs, a year only where it is not the one already read.
  const when = `${first.date === today ? first.hhmm : `${first.date} ${first.hhmm}`}起`;
  const by = `${onDay(deadline, first.date)}前${incident.deadlineVerb}`;
  const tail = ` ${what} ${when} ${by} 码${incident.code}${options.ackHint ? ` ${options.ackHint}` : ''}`;
  const room = SMS_SEGMENT - smsLength(head) - smsLength(raised) - smsLength(tail);
  // Masking keeps the length: the segment still fits.
  return scrubText(`${head}${raised}${truncate(placeLabel(incident), room)}${tail}`);
}

const LEVEL_NAMES: Record<Level, string> = { village: '村/社区', township: '乡镇/街道', county: '县级' };
const CLOCK_ASKS: Record<ClockName, string> = { sign: '签收', arrive: '到场', feedback: '反馈', golden: '回应' };

/**
 * The short notices of an incident's life, each in one segment and without personal data: a reminder, a breach,
 * the desk below told of an escalation, everyone told who signed.
 * @example noticeText(incident, signedStep, options) // 【已签收】码K7Q2M 区域入侵 米山镇第一小学 已由米山镇派出所签收 02:04
 */
export function noticeText(incident: Incident, step: AlertStep, options: AlertTextOptions): string {
  const when = (iso: string) => {
    const t = localTime(new Date(iso), options.timeZone);
    return onDay(t, localTime(options.now, options.timeZone).date);
  };
  const code = `码${incident.code}`;
  let head: string;
  let tail: string;
  switch (step.kind) {
    case 'signed':
      head = '【已签收】';
      tail =
        ` 已由${step.by ? (options.deskName?.(step.by.deskId) ?? step.by.deskId) : '值班台'}签收 ${step.by ? when(step.by.at) : ''}`.trimEnd();
      break;
    case 'escalation-notice':
      head = '【已上报】';
      tail = ` 逾时未签收 已上报${LEVEL_NAMES[step.to ?? 'county']}`;
      break;
    case 'breach':
      head = '【超时】';
      tail = ` 未按时${CLOCK_ASKS[step.clock ?? 'sign']} 请即处置`;
      break;
    default: {
      head = '【提醒】';
      const clock = incident.clocks[step.clock ?? 'sign'];
      tail = ` 请于${clock ? when(clock.dueAt) : ''}前${CLOCK_ASKS[step.clock ?? 'sign']}`;
    }
  }
  const fixed = `${head}${code} ${incident.title} `;
  const room = SMS_SEGMENT - smsLength(fixed) - smsLength(tail);
  return scrubText(`${fixed}${truncate(placeLabel(incident), room)}${tail}`);
}

/** The JSON alert for push, e-mail and queues: more detail than the SMS, and still no personal data. */
export function alertPayload(incident: Incident, options: AlertTextOptions) {
  const step = options.step ?? incident.steps.at(-1);
  return {
    kind: 'sanwang.alert',
    version: 1,
    incidentId: incident.id,
    code: incident.code,
    reason: step?.kind ?? 'opened',
    alertSeq: step?.seq ?? incident.alertSeq,
    state: incident.state,
    level: incident.level,
    severity: incident.severity,
    severityName: severityName[incident.severity],
    severityLabel: severityLabel[incident.severity],
    boosts: incident.boosts,
    title: incident.title,
    ruleId: incident.ruleId,
    network: incident.network,
    place: incident.place,
    firstSeen: incident.firstSeen,
    lastSeen: incident.lastSeen,
    ackBy: incident.ackBy,
    eventCount: incident.eventCount,
    sources: incident.sources,
    recent: incident.timeline.slice(-5),
    sms: smsText(incident, options),
  };
}
export type AlertPayload = ReturnType<typeof alertPayload>;

/** Every level of the incident's place, county first: a desk's filter on any one of them selects it. */
export function jurisdictionPath(incident: Incident): string[] {
  const { county, township, village } = incident.place;
  return [county, township, village].filter((c): c is string => c !== undefined);
}
