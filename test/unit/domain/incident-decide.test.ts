import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../shared/domain/incident.ts';
import { decide, type LifecycleCommand, recordEvents } from '../../../shared/domain/incident-decide.ts';
import type { OfficerActor, OfficerCommand } from '../../../shared/domain/incident-lifecycle.ts';
import { INCIDENT_STATES } from '../../../shared/domain/incident-lifecycle.ts';
import { chainEntry, type LogEntry, sealChange, verifyChain } from '../../../shared/domain/incident-log.ts';
import { planIncidents } from '../../../shared/domain/incident-plan.ts';
import { DEFAULT_LIFECYCLE_POLICY as policy } from '../../../shared/domain/lifecycle-policy.ts';
import { MemoryIncidentTable, planContext } from './incident-table.ts';
import { sightings } from './sightings.ts';

const T0 = Date.parse('2026-11-24T18:00:00Z'); // 02:00 Shanghai, when the example events happen
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const township: OfficerActor = { kind: 'officer', officerId: 'ms-li', deskId: 'mishan-station', role: 'officer' };
const other: OfficerActor = { kind: 'officer', officerId: 'ms-wang', deskId: 'mishan-station', role: 'officer' };
const officer = (command: OfficerCommand, actor = township): LifecycleCommand => ({ kind: 'officer', command, actor });
const tick: LifecycleCommand = { kind: 'tick' };

/** An incident as the rules open it: a patrol missing a checkpoint at a village at night (紧急, sign within 30 min). */
function opened(
  type:
    | 'patrol.checkpoint_missed'
    | 'patrol.sos'
    | 'camera.intrusion'
    | 'opinion.post_flagged' = 'patrol.checkpoint_missed',
) {
  const table = new MemoryIncidentTable();
  const plan = planIncidents(sightings(type, [0]), table.view(), planContext(at(1)));
  return plan.changes[0]!.after;
}

function apply(incident: Incident, command: LifecycleCommand, minutes: number): Incident {
  const decision = decide(incident, command, at(minutes), policy);
  if (!decision.ok) throw new Error(`${decision.code}: ${decision.message}`);
  return decision.incident;
}

describe('recordEvents: new events on an incident', () => {
  const more = { opened: false, ackMs: 30 * 60_000, firstCurrentMs: T0 };

  it('pages nobody again for more events on a signed incident, and only the signing desk when severity rises', () => {
    const signed = apply(opened(), officer({ kind: 'sign' }), 5);
    const quiet = structuredClone(signed);
    expect(recordEvents(quiet, more, at(6), policy)).toEqual([]);
    expect(quiet.steps).toEqual(signed.steps);

    const raised = structuredClone({ ...signed, severity: 1 as const });
    const events = recordEvents(raised, { ...more, severityRaisedFrom: signed.severity }, at(7), policy);
    expect(events).toEqual([{ type: 'severity-raised', from: signed.severity, to: 1 }]);
    expect(raised.steps.at(-1)).toMatchObject({ kind: 'severity-raised', deskIds: [township.deskId], levels: [] });
  });

  it('widens an unsigned incident to the reach of its new severity', () => {
    const incident = opened();
    expect(incident.alerted).toEqual(['village']);
    const raised = structuredClone({ ...incident, severity: 1 as const });
    recordEvents(raised, { ...more, severityRaisedFrom: incident.severity }, at(3), policy);
    expect(raised.alerted).toEqual(['village', 'township']);
    expect(raised.steps.at(-1)).toMatchObject({ kind: 'severity-raised', levels: ['village', 'township'] });
  });
});

describe('decide: every officer command in every state', () => {
  // Fixed in advance: what each state allows. Everything else is answered 409 and changes nothing.
  const LEGAL: Record<string, readonly string[]> = {
    open: ['sign', 'note'],
    signed: ['dispatch', 'feedback', 'note'],
    dispatched: ['arrive', 'feedback', 'note'],
    arrived: ['feedback', 'note'],
    feedback: ['close', 'note'],
    closed: ['reopen', 'note'],
  };
  const ALL: OfficerCommand[] = [
    { kind: 'sign' },
    { kind: 'dispatch', unit: '巡逻二组' },
    { kind: 'arrive' },
    { kind: 'feedback', outcome: 'false-alarm', note: '树枝晃动' },
    { kind: 'close' },
    { kind: 'reopen', reason: '复发' },
    { kind: 'note', text: '补充' },
  ];
  const PATH: OfficerCommand['kind'][] = ['sign', 'dispatch', 'arrive', 'feedback', 'close'];

  it.each(PATH.map((_, i) => i).concat(PATH.length))('after %i steps along the way to closed', (steps) => {
    let incident = opened();
    for (let i = 0; i < steps; i++) incident = apply(incident, officer(ALL.find((c) => c.kind === PATH[i])!), 2 + i);
    for (const command of ALL) {
      const decision = decide(incident, officer(command, other), at(2 + steps), policy);
      const legal = LEGAL[incident.state]!.includes(command.kind);
      expect({ state: incident.state, command: command.kind, ok: decision.ok }).toEqual({
        state: incident.state,
        command: command.kind,
        ok: legal,
      });
      if (!decision.ok) {
        expect(decision.code).toBe('conflict');
        expect(decision.message).not.toContain('树枝');
      } else {
        expect(decision.events.length).toBeGreaterThan(0);
      }
    }
  });

  it('reopens as signed by whoever reopens it, and counts the reopening', () => {
    let incident = opened();
    for (const [i, kind] of PATH.entries())
      incident = apply(incident, officer(ALL.find((c) => c.kind === kind)!), 2 + i);
    const reopened = apply(incident, officer({ kind: 'reopen', reason: '复发' }, other), 30);
    expect(reopened).toMatchObject({ state: 'signed', reopened: 1, signed: { officerId: other.officerId } });
  });
});

describe('decide: the duty desks’ acts', () => {
  it('takes an incident from open through signed, dispatched, arrived and feedback to closed', () => {
    let incident = opened();
    expect(incident).toMatchObject({ state: 'open', level: 'village', alerted: ['village'] });
    incident = apply(incident, officer({ kind: 'sign' }), 3);
    expect(incident).toMatchObject({ state: 'signed', signed: { officerId: 'ms-li', deskId: 'mishan-station' } });
    expect(incident.clocks.sign?.stoppedAt).toBe(at(3).toISOString());
    incident = apply(incident, officer({ kind: 'dispatch', unit: '巡逻二组' }), 4);
    expect(incident).toMatchObject({ state: 'dispatched', dispatched: { unit: '巡逻二组' } });
    expect(incident.clocks.arrive?.dueAt).toBe(at(4 + policy.arriveMinutes[incident.severity]).toISOString());
    expect(incident.clocks.feedback).toBeUndefined();
    incident = apply(incident, officer({ kind: 'arrive' }), 20);
    incident = apply(incident, officer({ kind: 'feedback', outcome: 'false-alarm', note: '风吹动树枝' }), 40);
    incident = apply(incident, officer({ kind: 'close' }), 41);
    expect(incident).toMatchObject({ state: 'closed', feedback: { outcome: 'false-alarm' } });
    expect(incident.nextDueAt).toBeUndefined();
  });

  it('answers a second signature with who signed and when, and applies nothing', () => {
    const signed = apply(opened(), officer({ kind: 'sign' }), 3);
    const second = decide(signed, officer({ kind: 'sign' }, other), at(3), policy);
    expect(second).toEqual({
      ok: false,
      code: 'conflict',
      message: 'already signed by ms-li',
      state: 'signed',
      by: { officerId: 'ms-li', deskId: 'mishan-station', at: at(3).toISOString() },
    });
  });

  it.each([
    ['dispatch', { kind: 'dispatch', unit: '巡逻二组' }, 'open'],
    ['arrive', { kind: 'arrive' }, 'open'],
    ['feedback', { kind: 'feedback', outcome: 'confirmed' }, 'open'],
    ['close', { kind: 'close' }, 'open'],
    ['reopen', { kind: 'reopen', reason: '又有人报警' }, 'open'],
  ] as const)('refuses to %s an incident that is %s', (_name, command, state) => {
    const decision = decide(opened(), officer(command as OfficerCommand), at(2), policy);
    expect(decision).toMatchObject({ ok: false, code: 'conflict', state });
  });

  it('tells every desk it alerted who signed, except the desk that signed', () => {
    const signed = apply(opened('camera.intrusion'), officer({ kind: 'sign' }), 3);
    expect(signed.steps.at(-1)).toMatchObject({
      kind: 'signed',
      levels: ['village', 'township'],
      exceptDeskIds: ['mishan-station'],
      by: { officerId: 'ms-li' },
    });
  });

  it('reopens within the window, signed by whoever reopens it, and refuses after it', () => {
    let closed = apply(opened(), officer({ kind: 'sign' }), 3);
    closed = apply(closed, officer({ kind: 'feedback', outcome: 'confirmed' }), 10);
    closed = apply(closed, officer({ kind: 'close' }), 11);
    expect(apply(closed, officer({ kind: 'reopen', reason: '复发' }, other), 60)).toMatchObject({
      state: 'signed',
      signed: { officerId: 'ms-wang' },
      reopened: 1,
    });
    expect(decide(closed, officer({ kind: 'reopen', reason: '复发' }), at(11 + 24 * 60 + 1), policy)).toMatchObject({
      ok: false,
      code: 'expired',
    });
  });

  it('masks an ID or phone number typed into a note', () => {
    const decision = decide(opened(), officer({ kind: 'note', text: '报警人13812345678' }), at(2), policy);
    expect(decision.ok && decision.events[0]).toMatchObject({ type: 'noted', text: '报警人138****5678' });
  });
});

describe('decide: the clock', () => {
  it('climbs the ladder when nobody signs: village, then township, then county, then the county leads', () => {
    let incident = opened(); // sign within 30 minutes of 02:00
    expect(decide(incident, tick, at(29), policy)).toEqual({ ok: true, incident, events: [] });
    incident = apply(incident, tick, 30);
    expect(incident).toMatchObject({ level: 'township', alerted: ['village', 'township'], escalations: 1 });
    expect(incident.steps.slice(-2).map((s) => [s.kind, s.levels])).toEqual([
      ['escalated', ['township']],
      ['escalation-notice', ['village']],
    ]);
    expect(incident.nextDueAt).toBe(at(60).toISOString());
    incident = apply(incident, tick, 60);
    expect(incident.level).toBe('county');
    incident = apply(incident, tick, 90);
    expect(incident.clocks.sign?.breachedAt).toBe(at(90).toISOString());
    expect(incident.steps.at(-1)).toMatchObject({
      kind: 'reminder',
      levels: ['county'],
      roles: ['desk-lead', 'county-admin'],
    });
    // The leads are reminded a few times, then the clock stops; the breach stays.
    for (const m of [120, 150]) incident = apply(incident, tick, m);
    expect(incident.clocks.sign?.leadReminders).toBe(3);
    expect(incident.clocks.sign?.stoppedAt).toBe(at(150).toISOString());
    expect(incident.nextDueAt).toBeUndefined();
    expect(decide(incident, tick, at(500), policy)).toMatchObject({ ok: true, events: [] });
  });

  it('starts a 特急 incident at its own desk and the one above, climbs on to the county, and a signature stops it', () => {
    let sos = opened('patrol.sos');
    expect(sos).toMatchObject({ severity: 1, level: 'village', alerted: ['village', 'township'] });
    const sign = Date.parse(sos.clocks.sign!.dueAt) - Date.parse(sos.clocks.sign!.startedAt);
    const minutes = sign / 60_000;
    sos = apply(sos, tick, minutes);
    // The township heard of it from the start: it is reminded that it now holds it; the village is told.
    expect(sos.steps.slice(-2).map((s) => [s.kind, s.levels])).toEqual([
      ['reminder', ['township']],
      ['escalation-notice', ['village']],
    ]);
    sos = apply(sos, tick, 2 * minutes);
    expect(sos).toMatchObject({ level: 'county', alerted: ['village', 'township', 'county'], escalations: 2 });
    expect(sos.steps.at(-2)).toMatchObject({ kind: 'escalated', levels: ['county'] });
    sos = apply(sos, officer({ kind: 'sign' }), 2 * minutes + 1);
    expect(sos.steps.at(-1)).toMatchObject({ kind: 'signed', levels: ['village', 'township', 'county'] });
    expect(decide(sos, tick, at(10 * minutes), policy)).toMatchObject({ ok: true, events: [] });
  });

  it('starts at every level at once when policy says so', () => {
    const everywhere = { ...policy, openingReach: { ...policy.openingReach, 1: 3 } };
    const table = new MemoryIncidentTable();
    const plan = planIncidents(sightings('patrol.sos', [0]), table.view(), {
      ...planContext(at(1)),
      lifecycle: everywhere,
    });
    expect(plan.changes[0]!.after.alerted).toEqual(['village', 'township', 'county']);
  });

  it('breaches the arrival clock once, telling the desk that signed', () => {
    let incident = apply(opened(), officer({ kind: 'sign' }), 3);
    incident = apply(incident, officer({ kind: 'dispatch', unit: '巡逻二组' }), 4);
    const arrive = policy.arriveMinutes[incident.severity];
    expect(decide(incident, tick, at(4 + arrive - 1), policy)).toMatchObject({ ok: true, events: [] });
    incident = apply(incident, tick, 4 + arrive);
    expect(incident.clocks.arrive?.breachedAt).toBeDefined();
    expect(incident.steps.at(-1)).toMatchObject({ kind: 'breach', clock: 'arrive', deskIds: ['mishan-station'] });
    expect(decide(incident, tick, at(4 + arrive + 1), policy)).toMatchObject({ ok: true, events: [] });
  });

  it('runs the golden window of an online-opinion post: reminders at 1, 3 and 5 hours, a breach at 6', () => {
    let post = apply(opened('opinion.post_flagged'), officer({ kind: 'sign' }), 5);
    const kinds: string[] = [];
    for (const m of [59, 60, 180, 300, 359, 360, 361]) {
      const decision = decide(post, tick, at(m), policy);
      if (!decision.ok) throw new Error(decision.message);
      post = decision.incident;
      kinds.push(...decision.events.filter((e) => e.clock === 'golden').map((e) => `${e.type}@${m}`));
    }
    expect(kinds).toEqual(['reminded@60', 'reminded@180', 'reminded@300', 'breached@360']);
  });

  it('stops the golden window with the feedback (the public response)', () => {
    let post = apply(opened('opinion.post_flagged'), officer({ kind: 'sign' }), 5);
    post = apply(post, officer({ kind: 'feedback', outcome: 'confirmed', note: '已发布情况通报' }), 50);
    expect(post.clocks.golden?.stoppedAt).toBeDefined();
  });
});

describe('decide under any sequence of commands and ticks (property)', () => {
  const commands: fc.Arbitrary<LifecycleCommand> = fc.oneof(
    { weight: 3, arbitrary: fc.constant(tick) },
    fc
      .constantFrom<OfficerCommand>(
        { kind: 'sign' },
        { kind: 'dispatch', unit: '巡逻二组' },
        { kind: 'arrive' },
        { kind: 'feedback', outcome: 'confirmed' },
        { kind: 'close' },
        { kind: 'reopen', reason: '复发' },
        { kind: 'note', text: '补充' },
      )
      .map((command) => officer(command)),
  );

  it('never reaches an illegal state, escalates once per deadline, keeps its due times, and a chain that verifies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('patrol.checkpoint_missed', 'patrol.sos', 'opinion.post_flagged') as fc.Arbitrary<'patrol.sos'>,
        fc.array(fc.tuple(commands, fc.integer({ min: 0, max: 90 })), { maxLength: 40 }),
        (type, history) => {
          const table = new MemoryIncidentTable();
          const first = planIncidents(sightings(type, [0]), table.view(), planContext(at(1))).changes[0]!;
          let incident = first.after;
          const entries: LogEntry[] = [first.entry];
          let minute = 1;
          const deadlinesEscalated = new Set<string>();
          for (const [command, step] of history) {
            minute += step;
            // Ticking twice at the same instant, as two sweeps would, changes nothing the second time.
            for (let twice = 0; twice < (command.kind === 'tick' ? 2 : 1); twice++) {
              const decision = decide(incident, command, at(minute), policy);
              if (!decision.ok || decision.events.length === 0) continue;
              for (const e of decision.events) {
                if (e.type === 'escalated') {
                  expect(deadlinesEscalated.has(String(e.due))).toBe(false);
                  deadlinesEscalated.add(String(e.due));
                }
              }
              const next = { ...decision.incident, version: incident.version + 1 };
              const sealed = sealChange(incident, next, decision.events, {
                actor: command.kind === 'officer' ? command.actor : { kind: 'function', name: 'sweep' },
                at: at(minute),
                token: `t${entries.length}`,
              });
              entries.push(sealed.entry);
              incident = sealed.incident;
            }
            expect(INCIDENT_STATES).toContain(incident.state);
            if (incident.state !== 'open') expect(incident.signed).toBeDefined();
            if (incident.state === 'closed') expect(incident.feedback).toBeDefined();
            expect(new Set(incident.steps.map((s) => s.seq)).size).toBe(incident.steps.length);
            // A due time is a promise: ticking at it does something, so the sweep never spins on an incident.
            if (incident.nextDueAt) {
              const due = decide(incident, tick, new Date(incident.nextDueAt), policy);
              expect(due.ok && due.events.length).toBeGreaterThan(0);
            }
          }
          const report = verifyChain(incident.id, incident.logHead, entries);
          expect(report.breaks).toEqual([]);
          expect(report.length).toBe(entries.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the incident log', () => {
  it('finds an entry that was changed after it was written, and one that is missing', () => {
    const first = chainEntry(
      {
        incidentId: 'i',
        version: 1,
        token: 'a',
        at: at(0).toISOString(),
        actor: { kind: 'function', name: 'rules' },
        events: [{ type: 'opened' }],
        after: { state: 'open', severity: 3, level: 'village', eventCount: 1, lateCount: 0 },
      },
      undefined,
    );
    const second = chainEntry(
      { ...first, version: 2, token: 'b', events: [{ type: 'signed', officerId: 'ms-li' }] },
      { version: 1, token: 'a', hash: first.hash },
    );
    const head = { version: 2, token: 'b', hash: second.hash };
    expect(verifyChain('i', head, [first, second])).toMatchObject({ length: 2, breaks: [] });
    const tampered = { ...first, events: [{ type: 'opened', severity: 4 }] };
    expect(verifyChain('i', head, [tampered, second]).breaks).toEqual([
      { version: 1, reason: 'entry 1 does not hash to its own hash: it was changed' },
    ]);
    // Changed and re-hashed, it no longer is the entry the next one names.
    const rehashed = chainEntry({ ...tampered }, undefined);
    expect(verifyChain('i', head, [rehashed, second]).breaks).toEqual([
      { version: 1, reason: 'entry 1 is not the one the next entry names' },
    ]);
    expect(verifyChain('i', head, [second]).breaks).toEqual([{ version: 1, reason: 'entry 1 is missing' }]);
    // A writer that lost its race left an entry nobody names: not part of the log, not a break.
    const orphan = chainEntry({ ...second, token: 'c' }, { version: 1, token: 'a', hash: first.hash });
    expect(verifyChain('i', head, [first, second, orphan])).toMatchObject({ orphans: 1, breaks: [] });
  });
});
