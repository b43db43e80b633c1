import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import type { DueClocks } from '../../../shared/adapters/due-clocks.ts';
import { createAlertNotifier } from '../../../shared/app/alert-notifier.ts';
import { createSweeper } from '../../../shared/app/alert-sweeper.ts';
import { applyCommand } from '../../../shared/app/incident-commands.ts';
import { DutyDeskList } from '../../../shared/domain/duty-desks.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../../shared/domain/lifecycle-policy.ts';
import { stepRecipients } from '../../../shared/domain/step-recipients.ts';
import {
  eventAt,
  incidentStreamRecord,
  kinesisEvent,
  kinesisRecords,
  NOW,
  streamEvent,
  TIME_ZONE,
} from './builders.ts';
import {
  FakeSmsChannel,
  InMemoryDeliveryRecords,
  InMemoryIncidentStore,
  memoryLog,
  testRulesProcessor,
} from './fakes.ts';

const DESKS = DutyDeskList.parse(
  JSON.parse(readFileSync(new URL('../../../config/desks.json', import.meta.url), 'utf8')),
);
const CAMERA_17 = '14058110001320000017';
/** The night shift of 2026-11-25 02:10 (Shanghai) in config/desks.json, by desk. */
const NIGHT = {
  village: 'midong-post/midong-aide',
  township: 'mishan-station/mishan-night',
  county: 'gaoping-command/gaoping-night',
};

async function setup() {
  const incidents = new InMemoryIncidentStore();
  const rules = testRulesProcessor({ incidents });
  let seq = 1;
  const see = async (...events: SanwangEventInput[]) => {
    const records = kinesisRecords(events, { from: seq });
    seq += events.length;
    await rules(kinesisEvent(records));
  };
  await see(
    eventAt('camera.intrusion', 180, { id: '17-ivs-180', source: { id: CAMERA_17, kind: 'camera' } }),
    eventAt('patrol.sos', 200, { id: 'sos-207-1' }),
  );
  const clock = { now: NOW };
  const deliveries = new InMemoryDeliveryRecords(incidents);
  const channel = new FakeSmsChannel();
  const log = memoryLog();
  const make = () =>
    createAlertNotifier({
      deliveries,
      incidents,
      desks: { list: async () => DESKS },
      channel,
      policy: DEFAULT_LIFECYCLE_POLICY,
      timeZone: TIME_ZONE,
      now: () => clock.now,
      log,
    });
  const find = (match: string): Incident => {
    const found = [...incidents.items.values()].find((i) => i.id.includes(match));
    if (!found) throw new Error(`no incident ${match}`);
    return found;
  };
  const records = (n = 1) => [...incidents.items.values()].map((i, k) => incidentStreamRecord(i, n + k));
  return { incidents, deliveries, channel, log, clock, notify: make(), make, find, records, see };
}

describe('createAlertNotifier', () => {
  it('texts the officers on duty at the desks of each opening step, once each, and records the steps delivered', async () => {
    const { notify, channel, deliveries, find, records } = await setup();
    const sos = find('ground.sos');
    const cam = find(CAMERA_17);
    // 特急 opens at its own desk and the one above: an SOS, and an intrusion at a school (raised to 特急).
    expect(sos.steps[0]).toMatchObject({ kind: 'opened', levels: ['village', 'township'] });
    expect(cam).toMatchObject({ severity: 1, steps: [{ kind: 'opened', levels: ['village', 'township'] }] });

    const result = await notify(streamEvent(records()));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ due: 2, sent: 4, failed: 0, delivered: 2 });
    expect(channel.to.sort()).toEqual([NIGHT.township, NIGHT.township, NIGHT.village, NIGHT.village].sort());
    const mobiles = new Map(DESKS.flatMap((d) => d.officers.map((o) => [`${d.id}/${o.id}`, o.mobile])));
    for (const text of channel.texts) expect(text.to).toBe(mobiles.get(text.key));
    expect(channel.texts.filter((t) => t.text.includes(`码${sos.code}`)).map((t) => t.key)).toEqual([
      NIGHT.village,
      NIGHT.township,
    ]);
    expect(deliveries.sent.map((d) => `${d.incidentId}#${d.alertSeq}#${d.recipientKey}`).sort()).toEqual(
      [
        `${sos.id}#1#${NIGHT.village}`,
        `${sos.id}#1#${NIGHT.township}`,
        `${cam.id}#1#${NIGHT.village}`,
        `${cam.id}#1#${NIGHT.township}`,
      ].sort(),
    );
    for (const match of ['ground.sos', CAMERA_17]) {
      expect(find(match)).toMatchObject({ alertSentSeq: 1, alertPending: false });
    }
  });

  it('sends nothing twice when the same batch is delivered again, or by a second notifier', async () => {
    const { notify, make, channel, records } = await setup();
    await notify(streamEvent(records()));
    const sent = channel.texts.length;

    const again = await notify(streamEvent(records(10)));
    const other = await make()(streamEvent(records(20)));

    expect(sent).toBe(4);
    expect(channel.texts).toHaveLength(sent);
    expect(again.summary.sent + other.summary.sent).toBe(0);
  });

  it('after a partial failure sends only to the recipient who did not get it, and keeps the step pending until then', async () => {
    const { notify, channel, deliveries, find, records, log } = await setup();
    const township = DESKS.find((d) => d.id === 'mishan-station')!.officers.find((o) => o.id === 'mishan-night')!;
    channel.failTo.add(township.mobile);

    const first = await notify(streamEvent(records()));

    expect(first.batchItemFailures).toEqual([]);
    expect(first.summary).toMatchObject({ sent: 2, failed: 2, delivered: 0 });
    expect(find('ground.sos').alertPending).toBe(true);
    expect(find('ground.sos').alertSentSeq ?? 0).toBe(0);
    const failed = [...deliveries.rows.values()].filter((d) => d.status === 'failed');
    expect(failed.map((d) => d.recipientKey)).toEqual([NIGHT.township, NIGHT.township]);
    // The number is masked in the record and in the log line.
    expect(JSON.stringify(failed)).not.toContain(township.mobile.slice(3));
    expect(JSON.stringify(log.entries)).not.toContain(township.mobile.slice(3));

    channel.failTo.clear();
    const second = await notify(streamEvent(records(10)));

    expect(second.summary).toMatchObject({ sent: 2, failed: 0, delivered: 2 });
    expect(channel.to.filter((k) => k === NIGHT.township)).toHaveLength(2);
    expect(channel.to.filter((k) => k === NIGHT.village)).toHaveLength(2);
    expect(find('ground.sos')).toMatchObject({ alertPending: false, alertSentSeq: 1 });
  });

  it('records, and does not send again, texts that went out when their records could not be written', async () => {
    const { notify, channel, deliveries, incidents, find, records } = await setup();
    incidents.beforeSave = () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    const first = await notify(streamEvent(records()));

    expect(first.batchItemFailures).toHaveLength(1);
    expect(first.summary).toMatchObject({ sent: 4, unrecorded: 2 });
    expect(find('ground.sos').alertSentSeq ?? 0).toBe(0);

    incidents.beforeSave = undefined;
    const second = await notify(streamEvent(records(10)));

    expect(second.batchItemFailures).toEqual([]);
    expect(second.summary.sent).toBe(0);
    expect(channel.texts).toHaveLength(4);
    expect(deliveries.sent).toHaveLength(4);
    expect(find('ground.sos')).toMatchObject({ alertPending: false, alertSentSeq: 1 });
  });

  it('decides again, and sends nothing again, when another writer committed the incident in between', async () => {
    const { notify, channel, incidents, find, records } = await setup();
    const sos = find('ground.sos');
    // An officer signs between the notifier's read and its commit.
    incidents.beforeSave = async (change) => {
      if (change.after.id !== sos.id || change.entry.actor.kind !== 'function') return;
      incidents.beforeSave = undefined;
      await applyCommand(
        { records: incidents, policy: DEFAULT_LIFECYCLE_POLICY, now: () => NOW },
        sos.id,
        {
          kind: 'officer',
          command: { kind: 'sign' },
          actor: { kind: 'officer', officerId: 'midong-aide', deskId: 'midong-post', role: 'officer' },
        },
        { kind: 'officer', officerId: 'midong-aide', deskId: 'midong-post', role: 'officer' },
      );
    };

    const result = await notify(streamEvent(records()));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ sent: 4, delivered: 2 });
    expect(find('ground.sos')).toMatchObject({ state: 'signed', alertSentSeq: 1 });
    expect(channel.texts).toHaveLength(4);
  });

  it('tells the desks that were alerted, but not the signer, who signed', async () => {
    const { notify, channel, incidents, find, records } = await setup();
    await notify(streamEvent(records()));
    const sos = find('ground.sos');
    const signed = await applyCommand(
      { records: incidents, policy: DEFAULT_LIFECYCLE_POLICY, now: () => new Date(NOW.getTime() + 120_000) },
      sos.id,
      {
        kind: 'officer',
        command: { kind: 'sign' },
        actor: { kind: 'officer', officerId: 'midong-aide', deskId: 'midong-post', role: 'officer' },
      },
      { kind: 'officer', officerId: 'midong-aide', deskId: 'midong-post', role: 'officer' },
    );
    expect(signed.ok).toBe(true);
    const before = channel.texts.length;

    await notify(streamEvent([incidentStreamRecord(find('ground.sos'), 30)]));

    const notices = channel.texts.slice(before);
    expect(notices.map((t) => t.key)).toEqual([NIGHT.township]);
    expect(notices[0]?.text).toContain('签收');
    expect(find('ground.sos').alertPending).toBe(false);
  });

  it('ignores records that are not incidents with steps to send', async () => {
    const { notify, channel, find } = await setup();
    const sos = find('ground.sos');
    const result = await notify(
      streamEvent([
        incidentStreamRecord(sos, 1, { sk: 'ALERT#000001#midong-post/midong-aide' }),
        incidentStreamRecord({ ...sos, alertPending: false, alertSentSeq: 1 }, 2, { eventName: 'MODIFY' }),
      ]),
    );
    expect(result.summary).toMatchObject({ records: 2, due: 0, sent: 0 });
    expect(channel.calls).toHaveLength(0);
  });

  it('names the record for a retry when the incident cannot be read, and sends nothing', async () => {
    const { notify, channel, deliveries, records } = await setup();
    deliveries.failClaimWith = new Error('RequestTimeout');
    const batch = records();

    const result = await notify(streamEvent(batch));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: batch[0]!.dynamodb!.SequenceNumber }]);
    expect(channel.calls).toHaveLength(0);
  });
});

describe('createAlertNotifier under any history', () => {
  const MOBILES = DESKS.flatMap((d) => d.officers.map((o) => o.mobile));
  const action = fc.oneof(
    fc.record({
      kind: fc.constant('notify' as const),
      failTo: fc.subarray(MOBILES, { maxLength: 4 }),
      failRecords: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('sign' as const), officer: fc.constantFrom('midong-aide', 'mishan-night') }),
  );

  it('texts a recipient once per alert step whatever fails, and in the end every recipient of every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 20 }), async (script) => {
        const { incidents, deliveries, channel, clock, notify, find, records } = await setup();
        const dueClocks: DueClocks = {
          async due(at, limit) {
            return [...incidents.items.values()]
              .filter((i) => i.nextDueAt !== undefined && i.nextDueAt <= at.toISOString())
              .slice(0, limit)
              .map((i) => structuredClone(i));
          },
        };
        const sweep = createSweeper({
          pending: { overdue: async () => [], redrive: async () => false },
          clocks: { dueClocks, incidents, policy: DEFAULT_LIFECYCLE_POLICY },
          now: () => clock.now,
          log: memoryLog(),
        });
        let seq = 1;
        const round = async () => {
          await notify(streamEvent(records(seq)));
          seq += 10;
        };
        for (const step of script) {
          if (step.kind === 'notify') {
            channel.failTo.clear();
            for (const m of step.failTo) channel.failTo.add(m);
            incidents.beforeSave = step.failRecords
              ? () => {
                  throw new Error('ProvisionedThroughputExceededException');
                }
              : undefined;
            await round();
            incidents.beforeSave = undefined;
          } else if (step.kind === 'tick') {
            clock.now = new Date(clock.now.getTime() + step.minutes * 60_000);
            await sweep();
          } else {
            const desk = DESKS.find((d) => d.officers.some((o) => o.id === step.officer))!;
            const actor = { kind: 'officer', officerId: step.officer, deskId: desk.id, role: 'officer' } as const;
            await applyCommand(
              { records: incidents, policy: DEFAULT_LIFECYCLE_POLICY, now: () => clock.now },
              find('ground.sos').id,
              { kind: 'officer', command: { kind: 'sign' }, actor },
              actor,
            );
          }
        }
        // Settle: the channel and the table back; the stream keeps bringing what is pending.
        channel.failTo.clear();
        for (let i = 0; i < 5 && [...incidents.items.values()].some((x) => x.alertPending); i++) await round();

        for (const incident of incidents.items.values()) expect(incident.alertPending).toBe(false);
        // Every text is one delivery record said sent, and no recipient has two for one step.
        const sent = deliveries.sent;
        expect(channel.texts).toHaveLength(sent.length);
        expect(new Set(sent.map((d) => `${d.incidentId}#${d.alertSeq}#${d.recipientKey}`)).size).toBe(sent.length);
        // Every step that reached a desk has its records: none was marked delivered with a recipient left out.
        for (const incident of incidents.items.values()) {
          for (const s of incident.steps) {
            if (s.seq > (incident.alertSentSeq ?? 0)) continue;
            const expected = stepRecipients(s, incident, DESKS, new Date(s.at), TIME_ZONE)
              .map((r) => r.key)
              .sort();
            const got = sent
              .filter((d) => d.incidentId === incident.id && d.alertSeq === s.seq)
              .map((d) => d.recipientKey);
            expect(got.sort()).toEqual(expected);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
