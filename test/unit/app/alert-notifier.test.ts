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
  const outbox = new InMemoryAlertOutbox(() => clock.now);
  for (const incident of rules.incidents.items.values()) outbox.put(incident);
  const publisher = new FakeAlertPublisher();
  const log = memoryLog();
  const notify = createAlertNotifier({ outbox, publisher, timeZone: TIME_ZONE, now: () => clock.now, log });
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
    expect(result.summary).toEqual({ records: 6, due: 3, sent: 3, skipped: 0, failed: 0 });
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
      sentAt: NOW.toISOString(),
    });
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

  it('does not mark an alert sent when publishing fails and names that record', async () => {
    const { outbox, publisher, notify, cam17, cam18, sos } = await setup();
    publisher.failFor.add(cam18.id).add(sos.id);
    const records = [incidentStreamRecord(cam17, 1), incidentStreamRecord(cam18, 2), incidentStreamRecord(sos, 3)];

    const result = await notify(streamEvent(records));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(2) }]);
    expect(result.summary).toMatchObject({ due: 3, sent: 1, failed: 2 });
    expect(outbox.sent.map((s) => s.incidentId)).toEqual([cam17.id]);
    expect(outbox.incident(cam18.id)?.alertSentSeq).toBeUndefined();
    expect(outbox.incident(sos.id)?.alertPending).toBe(true);

    // Lambda redelivers from record 2; the same records hold the claims, so the alerts now go out.
    publisher.failFor.clear();
    const retry = await notify(streamEvent(records.slice(1)));
    expect(retry.batchItemFailures).toEqual([]);
    expect(outbox.sent.map((s) => s.incidentId).sort()).toEqual([cam17.id, cam18.id, sos.id].sort());
  });

  it('names the record when the claim cannot be written', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    outbox.failClaimWith = new Error('ProvisionedThroughputExceededException');

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(7) }]);
    expect(result.summary).toMatchObject({ due: 1, sent: 0, skipped: 0, failed: 1 });
    expect(publisher.calls).toHaveLength(0);
  });

  it('names the record when the alert went out but could not be recorded', async () => {
    const { outbox, publisher, notify, cam17 } = await setup();
    outbox.failMarkSentWith = new Error('InternalServerError');

    const result = await notify(streamEvent([incidentStreamRecord(cam17, 7)]));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(7) }]);
    expect(publisher.published).toHaveLength(1);
    expect(result.summary).toMatchObject({ sent: 0, failed: 1 });
  });

  it('skips records whose alert was already sent', async () => {
    const { outbox, publisher, notify, cam17, cam18 } = await setup();
    await outbox.markSent({
      incidentId: cam18.id,
      alertSeq: 1,
      messageId: '3f9c2b1e-0000-4000-8000-000000000001',
      topicArn: publisher.topicArn,
      sms: '…',
      attributes: {},
      sentAt: NOW.toISOString(),
      expiresAt: cam18.expiresAt,
    });
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
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: tableSeq(1) }]);

    // Meanwhile camera 17 reports again (no new alert), and Lambda retries from record 1 five seconds later.
    publisher.failFor.clear();
    clock.now = new Date(NOW.getTime() + 5_000);
    const newer = incidentStreamRecord({ ...cam17, eventCount: 2, version: 1 }, 2, { eventName: 'MODIFY' });
    const retry = await notify(streamEvent([first, newer]));

    expect(retry.batchItemFailures).toEqual([]);
    expect(publisher.published.map((a) => a.id)).toEqual([cam17.id]);
  });
});
