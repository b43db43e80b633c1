import type { AlertStep, Clock, ClockName, Incident } from './incident.ts';
import type { CommandRejection, Level, OfficerActor, OfficerCommand } from './incident-lifecycle.ts';
import { LEVELS } from './incident-lifecycle.ts';
import type { DomainEvent } from './incident-log.ts';
import { type LifecyclePolicy, levelAbove, levelsFrom, startLevel } from './lifecycle-policy.ts';
import { scrubText } from './personal-data-masking.ts';

/**
 * The one state machine of an incident's life: `(incident, command, now) → (incident', domain events)`. Commands
 * come from the duty-desk API (an officer's act), the clock (`tick`, from the sweep) and the notifier (`delivered`);
 * the rules function's recordings go through `recordEvents`. Pure: time and policy are passed in. An illegal
 * command is answered, never applied; a command that changes nothing answers `events: []`, so the caller writes
 * nothing.
 */
export type LifecycleCommand =
  | { kind: 'officer'; command: OfficerCommand; actor: OfficerActor }
  | { kind: 'tick' }
  | { kind: 'delivered'; upToSeq: number; recipients: number; failed: number };

export type Decision = { ok: true; incident: Incident; events: DomainEvent[] } | ({ ok: false } & CommandRejection);

/** Alert steps kept on the item once sent: enough for the story; the log keeps all of them. */
const SENT_STEPS_KEPT = 10;

export function decide(incident: Incident, command: LifecycleCommand, now: Date, policy: LifecyclePolicy): Decision {
  const next = copy(incident);
  const events: DomainEvent[] = [];
  const at = now.toISOString();
  if (command.kind === 'delivered') {
    if (command.upToSeq <= (incident.alertSentSeq ?? 0)) return { ok: true, incident, events: [] };
    next.alertSentSeq = Math.min(command.upToSeq, next.alertSeq);
    next.alertPending = next.alertSentSeq < next.alertSeq;
    trimSteps(next);
    events.push({
      type: 'notified',
      upToSeq: next.alertSentSeq,
      recipients: command.recipients,
      failed: command.failed,
    });
    return { ok: true, incident: next, events };
  }
  if (command.kind === 'tick') {
    tick(next, now, policy, events);
    if (events.length === 0) return { ok: true, incident, events: [] };
    next.nextDueAt = nextDue(next);
    return { ok: true, incident: next, events };
  }
  const { command: cmd, actor } = command;
  const act = { officerId: actor.officerId, deskId: actor.deskId, at };
  const conflict = (message: string, by = incident.signed): Decision => ({
    ok: false,
    code: 'conflict',
    message,
    state: incident.state,
    ...(by ? { by } : {}),
  });
  switch (cmd.kind) {
    case 'sign': {
      if (incident.state !== 'open')
        return conflict(`already signed by ${incident.signed?.officerId ?? 'another desk'}`);
      next.state = 'signed';
      next.signed = act;
      stop(next, 'sign', at);
      events.push({ type: 'signed', ...act });
      // Every desk told of it hears once who took it; the one that signed needs no SMS about itself.
      if (next.alerted.length > 0) {
        addStep(next, { kind: 'signed', at, levels: next.alerted, exceptDeskIds: [act.deskId], by: act });
      }
      // Nobody has to go anywhere yet: feedback is due in F, unless a dispatch starts the arrival clock.
      start(next, 'feedback', now, policy.feedbackMinutes[next.severity]);
      break;
    }
    case 'dispatch': {
      if (incident.state !== 'signed') return conflict(`cannot dispatch an incident that is ${incident.state}`);
      next.state = 'dispatched';
      next.dispatched = { ...act, unit: scrubText(cmd.unit) };
      start(next, 'arrive', now, policy.arriveMinutes[next.severity]);
      // Someone is on the way: feedback is due F after they arrive, not after the signature.
      delete next.clocks.feedback;
      events.push({ type: 'dispatched', ...act, unit: next.dispatched.unit });
      break;
    }
    case 'arrive': {
      if (incident.state !== 'dispatched') return conflict(`cannot arrive at an incident that is ${incident.state}`);
      next.state = 'arrived';
      next.arrived = act;
      stop(next, 'arrive', at);
      start(next, 'feedback', now, policy.feedbackMinutes[next.severity]);
      events.push({ type: 'arrived', ...act });
      break;
    }
    case 'feedback': {
      if (!['signed', 'dispatched', 'arrived'].includes(incident.state)) {
        return conflict(`cannot give feedback on an incident that is ${incident.state}`);
      }
      next.state = 'feedback';
      next.feedback = { ...act, outcome: cmd.outcome, ...(cmd.note ? { note: scrubText(cmd.note) } : {}) };
      for (const name of ['arrive', 'feedback', 'golden'] as const) stop(next, name, at);
      events.push({
        type: 'feedback',
        ...act,
        outcome: cmd.outcome,
        ...(next.feedback.note ? { note: next.feedback.note } : {}),
      });
      break;
    }
    case 'close': {
      if (incident.state !== 'feedback')
        return conflict(`cannot close an incident that is ${incident.state}: give feedback first`);
      next.state = 'closed';
      next.closed = { ...act, ...(cmd.note ? { note: scrubText(cmd.note) } : {}) };
      for (const name of Object.keys(next.clocks) as ClockName[]) stop(next, name, at);
      events.push({ type: 'closed', ...act });
      break;
    }
    case 'reopen': {
      if (incident.state !== 'closed' || !incident.closed)
        return conflict(`cannot reopen an incident that is ${incident.state}`);
      if (now.getTime() - Date.parse(incident.closed.at) > policy.reopenWindowMinutes * 60_000) {
        return {
          ok: false,
          code: 'expired',
          message: `an incident can be reopened for ${policy.reopenWindowMinutes} minutes after it was closed`,
        };
      }
      // Who reopens it holds it: signed again by them, feedback due anew.
      next.state = 'signed';
      next.signed = act;
      next.reopened += 1;
      next.closed = undefined;
      next.feedback = undefined;
      start(next, 'feedback', now, policy.feedbackMinutes[next.severity]);
      events.push({ type: 'reopened', ...act, reason: scrubText(cmd.reason) });
      break;
    }
    case 'note':
      events.push({ type: 'noted', ...act, text: scrubText(cmd.text) });
      break;
  }
  next.nextDueAt = nextDue(next);
  return { ok: true, incident: next, events };
}

/**
 * What the rules function's recording means for the lifecycle, in place on the incident it is about to write: the
 * first current event opens it (the first alert, the sign clock, and the golden window for online opinion); a
 * current event that raises the severity tells the desks again — the one that signed, once someone has. A closed
 * incident only counts what comes.
 */
export function recordEvents(
  incident: Incident,
  change: { opened: boolean; severityRaisedFrom?: number; ackMs: number; firstCurrentMs: number },
  now: Date,
  policy: LifecyclePolicy,
): DomainEvent[] {
  const events: DomainEvent[] = [];
  const at = now.toISOString();
  if (change.opened) {
    incident.state = 'open';
    incident.level = startLevel(incident.place);
    incident.alerted = levelsFrom(incident.level, policy.openingReach[incident.severity]);
    const golden = policy.goldenWindow.ruleIds.includes(incident.ruleId);
    const signMs = golden ? Math.min(change.ackMs, 30 * 60_000) : change.ackMs;
    // From the first current event, as the SMS says (`02:10前确认`): late reports (迟报) start no clock.
    incident.clocks.sign = {
      startedAt: new Date(change.firstCurrentMs).toISOString(),
      dueAt: new Date(change.firstCurrentMs + signMs).toISOString(),
      reminders: [],
      leadReminders: 0,
    };
    if (golden) {
      const { remindersAtMinutes, breachAtMinutes } = policy.goldenWindow;
      incident.clocks.golden = {
        startedAt: new Date(change.firstCurrentMs).toISOString(),
        dueAt: new Date(change.firstCurrentMs + breachAtMinutes * 60_000).toISOString(),
        reminders: remindersAtMinutes.map((m) => new Date(change.firstCurrentMs + m * 60_000).toISOString()),
        leadReminders: 0,
      };
    }
    addStep(incident, { kind: 'opened', at, levels: incident.alerted });
    events.push({ type: 'opened', level: incident.level, alerted: incident.alerted, severity: incident.severity });
  } else if (change.severityRaisedFrom !== undefined && incident.state !== 'closed') {
    if (incident.signed) {
      addStep(incident, { kind: 'severity-raised', at, deskIds: [incident.signed.deskId] });
    } else {
      const reach = levelsFrom(incident.level, policy.openingReach[incident.severity]);
      incident.alerted = union(incident.alerted, reach);
      addStep(incident, { kind: 'severity-raised', at, levels: incident.alerted });
    }
    events.push({ type: 'severity-raised', from: change.severityRaisedFrom, to: incident.severity });
  }
  incident.nextDueAt = nextDue(incident);
  return events;
}

/** Reminders, escalations and breaches whose time has come. */
function tick(incident: Incident, now: Date, policy: LifecyclePolicy, events: DomainEvent[]): void {
  const at = now.toISOString();
  const nowMs = now.getTime();
  for (const name of ['sign', 'golden', 'arrive', 'feedback'] as const) {
    const clock = incident.clocks[name];
    if (!clock || clock.stoppedAt) continue;
    while (clock.reminders.length > 0 && Date.parse(clock.reminders[0]!) <= nowMs) {
      const due = clock.reminders.shift()!;
      events.push({ type: 'reminded', clock: name, due });
      addStep(incident, { kind: 'reminder', at, clock: name, ...audienceOf(incident) });
    }
    if (Date.parse(clock.dueAt) > nowMs) continue;
    if (name === 'sign') {
      signRanOut(incident, clock, now, policy, events);
      continue;
    }
    if (clock.breachedAt) continue;
    clock.breachedAt = at;
    events.push({ type: 'breached', clock: name, due: clock.dueAt });
    addStep(incident, { kind: 'breach', at, clock: name, ...audienceOf(incident) });
  }
}

/**
 * Nobody signed in time: the incident climbs one level — the desk above is alerted, the desk below told — and the
 * clock starts again for the new level. At the county it breaches, and the county's desk leads are reminded, a few
 * times at most.
 */
function signRanOut(incident: Incident, clock: Clock, now: Date, policy: LifecyclePolicy, events: DomainEvent[]) {
  const at = now.toISOString();
  const periodMs = Date.parse(clock.dueAt) - Date.parse(clock.startedAt);
  const above = levelAbove(incident.level);
  if (above) {
    const from = incident.level;
    incident.level = above;
    incident.escalations += 1;
    const newly = !incident.alerted.includes(above);
    incident.alerted = union(incident.alerted, [above]);
    events.push({ type: 'escalated', from, to: above, due: clock.dueAt });
    // A desk that was alerted from the start (特急 reaches every level) is reminded that it now holds it.
    addStep(incident, { kind: newly ? 'escalated' : 'reminder', at, levels: [above], to: above, clock: 'sign' });
    addStep(incident, { kind: 'escalation-notice', at, levels: [from], to: above });
    clock.startedAt = at;
    clock.dueAt = new Date(now.getTime() + periodMs).toISOString();
    return;
  }
  if (!clock.breachedAt) {
    clock.breachedAt = at;
    events.push({ type: 'breached', clock: 'sign', due: clock.dueAt });
  }
  if (clock.leadReminders < policy.leadReminders) {
    clock.leadReminders += 1;
    events.push({ type: 'lead-reminded', n: clock.leadReminders });
    addStep(incident, {
      kind: 'reminder',
      at,
      clock: 'sign',
      levels: ['county'],
      roles: ['desk-lead', 'county-admin'],
    });
    clock.startedAt = at;
    clock.dueAt = new Date(now.getTime() + periodMs).toISOString();
  }
  // Told as often as policy asks: the clock stops; the breach stays in the log and the assessment.
  if (clock.leadReminders >= policy.leadReminders) clock.stoppedAt = at;
}

/** Who hears of a clock: the desk that signed, and its leads; before signing, every level alerted. */
function audienceOf(incident: Incident): Pick<AlertStep, 'levels' | 'deskIds'> {
  return incident.signed
    ? { levels: [], deskIds: [incident.signed.deskId] }
    : { levels: incident.alerted, deskIds: [] };
}

function addStep(incident: Incident, step: Omit<Partial<AlertStep>, 'seq'> & Pick<AlertStep, 'kind' | 'at'>) {
  incident.alertSeq += 1;
  incident.steps.push({
    levels: [],
    deskIds: [],
    exceptDeskIds: [],
    roles: [],
    ...step,
    seq: incident.alertSeq,
  });
  incident.alertPending = true;
  trimSteps(incident);
}

function trimSteps(incident: Incident): void {
  const sent = incident.alertSentSeq ?? 0;
  const done = incident.steps.filter((s) => s.seq <= sent);
  if (done.length > SENT_STEPS_KEPT) {
    const drop = new Set(done.slice(0, done.length - SENT_STEPS_KEPT).map((s) => s.seq));
    incident.steps = incident.steps.filter((s) => !drop.has(s.seq));
  }
}

function start(incident: Incident, name: ClockName, now: Date, minutes: number): void {
  incident.clocks[name] = {
    startedAt: now.toISOString(),
    dueAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
    reminders: [],
    leadReminders: 0,
  };
}

function stop(incident: Incident, name: ClockName, at: string): void {
  const clock = incident.clocks[name];
  if (clock && !clock.stoppedAt) clock.stoppedAt = at;
}

/** The earliest instant a running clock wants attention: its next reminder, or its deadline. */
export function nextDue(incident: Incident): string | undefined {
  let earliest: string | undefined;
  for (const clock of Object.values(incident.clocks)) {
    if (!clock || clock.stoppedAt) continue;
    const candidates = [...clock.reminders];
    if (!clock.breachedAt || clock.leadReminders > 0) candidates.push(clock.dueAt);
    for (const c of candidates) if (earliest === undefined || c < earliest) earliest = c;
  }
  return earliest;
}

function union(a: readonly Level[], b: readonly Level[]): Level[] {
  return LEVELS.filter((l) => a.includes(l) || b.includes(l));
}

function copy(incident: Incident): Incident {
  return structuredClone(incident);
}
