import { describe, expect, it } from 'vitest';
import type { SanwangEventInput } from '../../../events/envelope.ts';
import { createAlertNotifier } from '../../../shared/app/alert-notifier.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import {
  eventAt,
  incidentStreamRecord,
  kinesisEvent,
  kinesisRecords,
  NOW,
  streamEvent,
  TIME_ZONE,
  tableSeq,
} from './builders.ts';
import {
  FakeAlertPublisher,
  InMemoryAlertOutbox,
  InMemoryIncidentStore,
  memoryLog,
  testRulesProcessor,
} from './fakes.ts';

const CAMERA_17 = '14058110001320000017';
const CAMERA_18 = '14058110001320000018';

/** Incidents as the rules function stores them after seeing `events`, by id. */
class RulesFunction {
  readonly incidents = new InMemoryIncidentStore();
  readonly #process = testRulesProcessor({ incidents: this.incidents });
  #seq = 1;

  async see(...events: SanwangEventInput[]): Promise<void> {
    const records = kinesisRecords(events, { from: this.#seq });
    this.#seq += events.length;
    await this.#process(kinesisEvent(records));
  }

  incident(match: string): Incident {
    const found = [...this.incidents.items.values()].find((i) => i.id.includes(match));
    if (!found) throw new Error(`no incident ${match}`);
    return found;
  }
}

const intrusion = (camera: string, offset: number) =>
  eventAt('camera.intrusion', offset, {
    id: `${camera.slice(-2)}-ivs-${offset}`,
    source: { id: camera, kind: 'camera' },
  });
const sos = eventAt('patrol.sos', 200, { id: 'sos-207-1' });

async function setup() {
  const rules = new RulesFunction();
  await rules.see(intrusion(CAMERA_17, 180), intrusion(CAMERA_18, 190), sos);
  const clock = { now: NOW };
  const outbox = new InMemoryAlertOutbox();
  for (const incident of rules.incidents.items.values()) outbox.put(incident);
  const publisher = new FakeAlertPublisher();
  const log = memoryLog();
  const notify = createAlertNotifier({
    outbox,
    publisher,
    timeZone: TIME_ZONE,
    now: () => clock.now,
    log,
    recordRetryDelayMs: 1,
  });
  return {
    rules,
    outbox,
    publisher,
    log,
    clock,
    notify,
    cam17: rules.incident(CAMERA_17),
    cam18: rules.incident(CAMERA_18),
    sos: rules.incident('ground.sos'),
  };
}

describe('createAlertNotifier', () => {
  it('sends one alert per due incident', async () => {
    const { outbox, publisher, notify, cam17, cam18, sos } = await setup();
    const records = [
      incidentStreamRecord(cam17, 1),
      incidentStreamRecord(cam18, 2),
      incidentStreamRecord(sos, 3),
      // A second write to camera 17's incident that raised nothing: still alert 1.
      incidentStreamRecord({ ...cam17, eventCount: 2, version: 1 }, 4, { eventName: 'MODIFY' }),
      // The notifier's own items and writes are not due.
      incidentStreamRecord(cam18, 5, { sk: 'ALERT#0001' }),
      incidentStreamRecord({ ...sos, alertPending: false, alertSentSeq: 1 }, 6, { eventName: 'MODIFY' }),
    ];

    const result = await notify(streamEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toEqual({ records: 6, due: 3, sent: 3, skipped: 0, failed: 0, unrecorded: 0 });
    expect(publisher.calls).toHaveLength(1);
    expect(publisher.published.map((a) => a.id).sort()).toEqual([cam17.id, cam18.id, sos.id].sort());
    const cam17Alert = publisher.published.find((a) => a.id === cam17.id);
    expect(cam17Alert?.attributes).toEqual({
      jurisdiction: ['140581', '140581100', '140581100201'],
      severity: 1,
      network: 'sky',
      ruleId: 'sky.intrusion',
      county: '140581',
    });
    expect(cam17Alert?.sms).toContain(`码${cam17.code}`);
    expect(JSON.parse(cam17Alert?.json ?? '{}')).toMatchObject({
      kind: 'sanwang.alert',
      incidentId: cam17.id,
      alertSeq: 1,
    });
    expect(outbox.sent.map((s) => s.incidentId).sort()).toEqual([cam17.id, cam18.id, sos.id].sort());
    expect(outbox.sent.find((s) => s.incidentId === cam17.id)).toMatchObject({
      alertSeq: 1,
      topicArn: publisher.topicArn,
      sms: cam17Alert?.sms,
      startedAt: NOW.toISOString(),
      status: 'sent',
      messageId: expect.any(String),
    });
    expect(outbox.trail.size).toBe(3);
    // Camera 17 appears twice in the batch; its alert is claimed once.
    expect(outbox.claims.filter((c) => c.incidentId === cam17.id)).toEqual([{ incidentId: cam17.id, alertSeq: 1 }]);
    for (const id of [cam17.id, cam18.id, sos.id]) {
      expect(outbox.incident(id)).toMatchObject({ alertSentSeq: 1, alertPending: false });
    }
  });

  it('does not send an alert that was already sent after the record was written', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    // The stream image still shows the alert due, but the table says it went out meanwhile.
    outbox.put({ ...cam17, alertSentSeq: 1, alertPending: false });

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 1)]));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ due: 1, sent: 0, skipped: 1, failed: 0 });
    expect(publisher.calls).toHaveLength(0);
    expect(outbox.sent).toHaveLength(0);
  });

  it('leaves an alert whose publish failed pending for the sweep, without holding back the stream', async () => {
    const { outbox, publisher, notify, cam17, cam18, sos } = await setup();
    publisher.failFor.add(cam18.id).add(sos.id);
    const records = [incidentStreamRecord(cam17, 1), incidentStreamRecord(cam18, 2), incidentStreamRecord(sos, 3)];

    const result = await notify(streamEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ due: 3, sent: 1, failed: 2 });
    expect(outbox.sent.map((s) => s.incidentId)).toEqual([cam17.id]);
    expect(outbox.incident(cam18.id)).toMatchObject({ alertPending: true });
    expect(outbox.incident(cam18.id)?.alertSentSeq).toBeUndefined();
    expect(
      [...outbox.trail.values()]
        .filter((t) => t.status === 'failed')
        .map((t) => t.incidentId)
        .sort(),
    ).toEqual([cam18.id, sos.id].sort());

    // SNS is back; the sweep touches the two incidents, and their new stream records send them.
    publisher.failFor.clear();
    const redriven = await notify(streamEvent([incidentStreamRecord(cam18, 4), incidentStreamRecord(sos, 5)]));
    expect(redriven.summary).toMatchObject({ sent: 2, failed: 0 });
    expect(outbox.sent.map((s) => s.incidentId).sort()).toEqual([cam17.id, cam18.id, sos.id].sort());
    // The trail shows both tries of each.
    expect([...outbox.trail.values()].filter((t) => t.incidentId === cam18.id).map((t) => t.status)).toEqual([
      'failed',
      'sent',
    ]);
  });

  it('names the record when the claim cannot be read', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    outbox.failClaimWith = new Error('ProvisionedThroughputExceededException');

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(7) }]);
    expect(result.summary).toMatchObject({ due: 1, sent: 0, skipped: 0, failed: 0 });
    expect(publisher.calls).toHaveLength(0);
  });

  it('publishes nothing and names the record when the attempt cannot be written to the trail', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    outbox.failBeginWith = new Error('ProvisionedThroughputExceededException');

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(7) }]);
    expect(publisher.calls).toHaveLength(0);
  });

  it('records, and does not send again, an alert that went out when its trail could not be written', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    outbox.failMarkSentWith = new Error('ProvisionedThroughputExceededException');

    const first = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(7) }]);
    expect(first.summary).toMatchObject({ sent: 0, unrecorded: 1 });
    expect(publisher.published).toHaveLength(1);

    // The throttling ends; Lambda retries the record.
    outbox.failMarkSentWith = undefined;
    const retry = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(retry.batchItemFailures).toEqual([]);
    expect(retry.summary).toMatchObject({ sent: 1, unrecorded: 0 });
    expect(publisher.published).toHaveLength(1);
    expect(outbox.sent).toHaveLength(1);
    expect(outbox.incident(cam17.id)).toMatchObject({ alertSentSeq: 1, alertPending: false });
  });

  it('finishes, and does not send again, an alert recorded as sent by a function that died before marking it', async () => {
    const { outbox, publisher, notify, log, cam17 } = await setup();
    outbox.failMarkSentWith = new Error('the function died here');
    await notify(streamEvent([incidentStreamRecord(cam17, 7)]));
    expect(outbox.sent).toHaveLength(1);

    // A fresh execution environment: nothing remembered, only the trail.
    outbox.failMarkSentWith = undefined;
    const fresh = createAlertNotifier({ outbox, publisher, timeZone: TIME_ZONE, now: () => NOW, log });
    const retry = await fresh(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(retry.summary).toMatchObject({ sent: 1 });
    expect(publisher.published).toHaveLength(1);
    expect(outbox.incident(cam17.id)).toMatchObject({ alertSentSeq: 1, alertPending: false });
  });

  it('retries a failed trail write after a publish within the invocation', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    let failures = 2;
    const finish = outbox.finish.bind(outbox);
    outbox.finish = async (results) => {
      if (failures-- > 0) throw new Error('ProvisionedThroughputExceededException');
      return finish(results);
    };

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ sent: 1 });
    expect(publisher.published).toHaveLength(1);
  });

  it('shows the full date in the SMS of an alarm that did not happen today', async () => {
    const { publisher, notify, clock, cam17 } = await setup();
    clock.now = new Date('2026-11-27T09:00:00+08:00');

    await notify(streamEvent([incidentStreamRecord(cam17, 1)]));

    expect(publisher.published[0]?.sms).toContain('2026-11-25 02:03起');
  });

  it('skips records whose alert was already sent', async () => {
    const { outbox, publisher, notify, cam17, cam18 } = await setup();
    await outbox.markSent(cam18.id, 1);
    const records = [
      // The image itself says the alert went out.
      incidentStreamRecord({ ...cam17, alertSentSeq: 1 }, 1, { eventName: 'MODIFY' }),
      // Written before the alert went out, delivered after: the claim finds it sent.
      incidentStreamRecord(cam18, 2),
    ];

    const result = await notify(streamEvent(records));

    expect(result.batchItemFailures).toEqual([]);
    expect(result.summary).toMatchObject({ due: 1, sent: 0, skipped: 1 });
    expect(outbox.claims.map((c) => c.incidentId)).toEqual([cam18.id]);
    expect(publisher.calls).toHaveLength(0);
  });

  it('sends the raised alert of an incident whose severity went up', async () => {
    const { rules, outbox, publisher, notify } = await setup();
    const cafe = { source: { id: 'cafe-0001', kind: 'cafe_system' as const } };
    // At 21:50 Shanghai a café (a key place) makes it level 3; at 22:10 night raises it to level 2.
    await rules.see(eventAt('cafe.minor_admitted', -(4 * 3600 + 10 * 60), { id: 'minor-1', ...cafe }));
    const opened = rules.incident('cafe-minor');
    await rules.see(eventAt('cafe.minor_admitted', -(3 * 3600 + 50 * 60), { id: 'minor-2', ...cafe }));
    const raised = rules.incident('cafe-minor');
    expect([opened.severity, raised.severity]).toEqual([3, 2]);
    expect([opened.alertSeq, raised.alertSeq]).toEqual([1, 2]);
    outbox.put(raised);

    const result = await notify(
      streamEvent([incidentStreamRecord(opened, 1), incidentStreamRecord(raised, 2, { eventName: 'MODIFY' })]),
    );

    expect(result.summary).toMatchObject({ due: 1, sent: 1 });
    expect(outbox.sent).toMatchObject([{ incidentId: raised.id, alertSeq: 2 }]);
    expect(JSON.parse(publisher.published[0]?.json ?? '{}')).toMatchObject({ reason: 'severity-raised', alertSeq: 2 });
  });

  // A retry batch also carries later records of the same incident; the alert must still go out, not be skipped.
  it('sends the alert when its retry also carries a newer record of the same incident', async () => {
    const { publisher, notify, clock, cam17 } = await setup();
    publisher.failFor.add(cam17.id);
    const first = incidentStreamRecord(cam17, 1);
    const failed = await notify(streamEvent([first]));
    expect(failed.summary).toMatchObject({ failed: 1 });

    // Meanwhile camera 17 reports again (no new alert), and the sweep re-drives it with the older record around.
    publisher.failFor.clear();
    clock.now = new Date(NOW.getTime() + 5_000);
    const newer = incidentStreamRecord({ ...cam17, eventCount: 2, version: 1 }, 2, { eventName: 'MODIFY' });
    const retry = await notify(streamEvent([first, newer]));

    expect(retry.batchItemFailures).toEqual([]);
    expect(publisher.published.map((a) => a.id)).toEqual([cam17.id]);
  });
});
