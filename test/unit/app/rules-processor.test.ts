import type { KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventType, SanwangEventInput } from '../../../events/envelope.ts';
import { EXAMPLE_ADULT_ID, EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import type { RulesProcessorDeps } from '../../../shared/app/rules-processor.ts';
import { keyCount } from '../../../shared/domain/applied-events.ts';
import { eventAt, kinesisEvent, kinesisRecord, kinesisRecords, kinesisSeq, SHARD } from './builders.ts';
import { InMemoryIncidentStore, InMemoryQuarantineStore, memoryLog, testRulesProcessor } from './fakes.ts';

const CAMERA_17 = '14058110001320000017';
const CAMERA_18 = '14058110001320000018';
/** The incident a camera's intrusions between 02:00 and 02:30 Shanghai land in. */
const intrusionIncident = (camera: string) => `sky.intrusion|140581/${camera}|20261124T1800`;

function setup(overrides: Partial<RulesProcessorDeps> = {}) {
  const incidents = new InMemoryIncidentStore();
  const quarantine = new InMemoryQuarantineStore();
  const log = memoryLog();
  const processBatch = testRulesProcessor({ incidents, quarantine, log, ...overrides });
  return { incidents, quarantine, log, processBatch };
}

/** A second rules function (another shard's) writing to the same store. */
function otherFunction(shared: ReturnType<typeof setup>) {
  return testRulesProcessor({ incidents: shared.incidents, quarantine: shared.quarantine });
}

/** An intrusion seen by `camera`, `offset` seconds after 02:00 Shanghai. */
function intrusion(camera: string, offset: number, id = `${camera.slice(-2)}-ivs-${offset}`) {
  return eventAt('camera.intrusion', offset, { id, source: { id: camera, kind: 'camera' } });
}

describe('createRulesProcessor', () => {
  it('opens one incident for a storm of 1,000 alarms from one camera', async () => {
    const { incidents, quarantine, processBatch } = setup();
    const storm = Array.from({ length: 1000 }, (_, i) => intrusion(CAMERA_17, 180 + i));

    const result = await processBatch(kinesisEvent(kinesisRecords(storm)));

    expect(result.batchItemFailures).toEqual([]);
    expect(incidents.loads).toHaveLength(1);
    expect(incidents.saves).toHaveLength(1);
    expect(quarantine.puts).toBe(0);
    expect([...incidents.items.keys()]).toEqual([intrusionIncident(CAMERA_17)]);
    expect(incidents.items.get(intrusionIncident(CAMERA_17))).toMatchObject({
      eventCount: 1000,
      firstSeen: '2026-11-24T18:03:00.000Z',
      lastSeen: '2026-11-24T18:19:39.000Z',
      sources: [CAMERA_17],
      version: 1,
      alertSeq: 1,
      alertPending: true,
    });
    expect(keyCount(incidents.items.get(intrusionIncident(CAMERA_17))?.applied)).toBe(1000);
    expect(result.summary).toEqual({
      records: 1000,
      events: 1000,
      poison: 0,
      matched: 1000,
      duplicates: 0,
      applied: 1000,
      late: 0,
      incidentsTouched: 1,
      incidentsOpened: 1,
      windowsClaimed: 0,
      alertsRaised: 1,
    });
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const { incidents, processBatch } = setup();
    const batch = kinesisEvent(
      kinesisRecords([intrusion(CAMERA_17, 180), intrusion(CAMERA_18, 185), intrusion(CAMERA_17, 200)]),
    );
    await processBatch(batch);
    const afterFirst = structuredClone(incidents.items);
    const savesAfterFirst = incidents.saves.length;

    const again = await processBatch(batch);

    expect(again.batchItemFailures).toEqual([]);
    expect(incidents.items).toEqual(afterFirst);
    expect(incidents.saves).toHaveLength(savesAfterFirst);
    expect(again.summary).toMatchObject({ matched: 3, duplicates: 3, incidentsTouched: 0, alertsRaised: 0 });
  });

  it('counts a resent event id once', async () => {
    const { incidents, processBatch } = setup();
    const original = intrusion(CAMERA_17, 180, 'hik-alarm-88231');
    // The camera resends the alarm it got no answer for: a new record, the same event id.
    const first = await processBatch(
      kinesisEvent(kinesisRecords([original, intrusion(CAMERA_17, 190), original], { from: 1 })),
    );
    const later = await processBatch(kinesisEvent(kinesisRecords([original], { from: 4 })));

    expect(first.summary).toMatchObject({ matched: 3, duplicates: 1 });
    expect(later.summary).toMatchObject({ matched: 1, duplicates: 1, incidentsTouched: 0 });
    const incident = incidents.items.get(intrusionIncident(CAMERA_17));
    expect(incident?.eventCount).toBe(2);
    expect(incident?.timeline.map((t) => t.eventId)).toEqual(['hik-alarm-88231', '17-ivs-190']);
  });

  describe('poison records', () => {
    const minorWithWrongAge = exampleEvent('cafe.minor_admitted', {
      id: 'cafe-0001-minor-77',
      payload: {
        venue: { license: '晋文网140581001', terminal: 'A12' },
        patron: { fullName: '李小明', idNumber: EXAMPLE_MINOR_ID, age: 19 },
      },
    });
    const badState = { ...intrusion(CAMERA_18, 240), payload: { state: 'alarm' } };
    const deviceText = `ALARM;CH=1;CARD=${EXAMPLE_ADULT_ID};TEL=13812345678;`;

    it('quarantines a malformed record with a reason naming the field and processes the records around it', async () => {
      const { incidents, quarantine, log, processBatch } = setup();
      const records = kinesisRecords([
        intrusion(CAMERA_17, 180),
        deviceText,
        badState,
        minorWithWrongAge,
        intrusion(CAMERA_18, 300),
      ]);

      const result = await processBatch(kinesisEvent(records));

      expect(result.batchItemFailures).toEqual([]);
      expect(result.summary).toMatchObject({ records: 5, events: 2, poison: 3, incidentsOpened: 2 });
      expect([...incidents.items.keys()].sort()).toEqual([intrusionIncident(CAMERA_17), intrusionIncident(CAMERA_18)]);
      const stored = [...quarantine.records.values()];
      expect(stored.map((p) => p.sequenceNumber)).toEqual([kinesisSeq(2), kinesisSeq(3), kinesisSeq(4)]);
      expect(stored[0]).toMatchObject({
        shardId: SHARD,
        reason: expect.stringMatching(/^not JSON: /),
        raw: 'ALARM;CH=1;CARD=140581********0026;TEL=138****5678;',
        rawEncoding: 'utf8',
        rawBytes: Buffer.byteLength(deviceText),
      });
      expect(stored[1]?.reason).toBe('payload.state: must be one of "active", "inactive"');
      expect(stored[1]?.partitionKey).toBe(CAMERA_18);
      expect(stored[2]?.reason).toBe('payload.patron.age: must be at most 17');
      const raw = JSON.parse(stored[2]?.raw ?? '{}');
      expect(raw.payload.patron).toEqual({ fullName: '李**', idNumber: '140581********1232', age: 19 });
      // Neither the store nor the log keeps the ID number, phone or name.
      const everything = JSON.stringify([stored, log.entries]);
      expect(everything).not.toContain(EXAMPLE_MINOR_ID);
      expect(everything).not.toContain(EXAMPLE_ADULT_ID);
      expect(everything).not.toContain('13812345678');
      expect(everything).not.toContain('李小明');
    });

    it('quarantines an event whose type is unknown, naming the type field', async () => {
      const { quarantine, processBatch } = setup();

      await processBatch(kinesisEvent(kinesisRecords([{ ...intrusion(CAMERA_17, 180), type: 'camera.smoke_alarm' }])));

      const [poison] = quarantine.records.values();
      expect(poison?.reason).toMatch(/^type: is not a known event type/);
    });

    it('keeps no ID number in the stored raw bytes of a GBK-encoded record', async () => {
      const { quarantine, processBatch } = setup();
      // 张伟 in GBK, then ASCII: the digits are plain ASCII bytes in GBK too.
      const gbk = Buffer.concat([
        Buffer.from([0xd5, 0xc5, 0xce, 0xb0]),
        Buffer.from(`,${EXAMPLE_ADULT_ID},13812345678`),
      ]);

      await processBatch(kinesisEvent([kinesisRecord(gbk, 1, { partitionKey: 'cafe-0001' })]));

      const [poison] = quarantine.records.values();
      expect(poison?.rawEncoding).toBe('base64');
      const stored = Buffer.from(poison?.raw ?? '', 'base64').toString('latin1');
      expect(stored).not.toContain(EXAMPLE_ADULT_ID);
      expect(stored).not.toContain('13812345678');
    });

    it('keeps no full-width ID or mobile number in the stored raw bytes of a GBK-encoded record', async () => {
      const { quarantine, processBatch } = setup();
      // GBK full-width digits are A3 B0–A3 B9 (X is A3 D8), two bytes a character.
      const wide = (digits: string) =>
        Buffer.from([...digits].flatMap((c) => [0xa3, c === 'X' ? 0xd8 : 0xb0 + Number(c)]));
      const gbk = Buffer.concat([
        Buffer.from([0xd5, 0xc5]),
        wide(EXAMPLE_ADULT_ID),
        Buffer.from(','),
        wide('13812345678'),
      ]);

      await processBatch(kinesisEvent([kinesisRecord(gbk, 1, { partitionKey: 'cafe-0001' })]));

      const stored = Buffer.from([...quarantine.records.values()][0]?.raw ?? '', 'base64');
      expect(stored.length).toBe(gbk.length);
      expect(stored.includes(wide(EXAMPLE_ADULT_ID))).toBe(false);
      expect(stored.includes(wide('13812345678'))).toBe(false);
      expect(stored.includes(wide('5678'))).toBe(true);
    });

    it('reports the batch for retry when the quarantine write fails', async () => {
      const { incidents, quarantine, processBatch } = setup();
      quarantine.failWith = new Error('ProvisionedThroughputExceededException');
      const records = kinesisRecords([intrusion(CAMERA_17, 180), deviceText, intrusion(CAMERA_17, 200), badState]);

      const result = await processBatch(kinesisEvent(records));

      expect(result.batchItemFailures).toEqual([{ itemIdentifier: kinesisSeq(2) }]);
      // The events around it are saved; the retry from record 2 finds them applied.
      expect(incidents.items.get(intrusionIncident(CAMERA_17))?.eventCount).toBe(2);

      quarantine.failWith = undefined;
      const retry = await processBatch(kinesisEvent(records.slice(1)));
      expect(retry.batchItemFailures).toEqual([]);
      expect(retry.summary).toMatchObject({ poison: 2, duplicates: 1, incidentsTouched: 0 });
      expect(quarantine.records.size).toBe(2);
      expect(incidents.items.get(intrusionIncident(CAMERA_17))?.eventCount).toBe(2);
    });
  });

  describe('failed writes', () => {
    // Cameras 17 and 18 alternate: 17 at records 1, 3, 5 and 18 at records 2, 4, 6.
    const interleaved = () =>
      kinesisRecords([
        intrusion(CAMERA_17, 180),
        intrusion(CAMERA_18, 181),
        intrusion(CAMERA_17, 182),
        intrusion(CAMERA_18, 183),
        intrusion(CAMERA_17, 184),
        intrusion(CAMERA_18, 185),
      ]);

    it('names the first record of the incident whose write failed', async () => {
      const { incidents, processBatch } = setup();
      incidents.beforeSave = (change) => {
        if (change.after.id === intrusionIncident(CAMERA_18)) throw new Error('InternalServerError');
      };
      const records = interleaved();

      const result = await processBatch(kinesisEvent(records));

      expect(result.batchItemFailures).toEqual([{ itemIdentifier: kinesisSeq(2) }]);
      expect(result.summary.failedFrom).toBe(kinesisSeq(2));
      expect(incidents.items.get(intrusionIncident(CAMERA_17))?.eventCount).toBe(3);
      expect(incidents.items.has(intrusionIncident(CAMERA_18))).toBe(false);

      // Lambda redelivers from record 2: camera 18's events are applied, camera 17's are not counted again.
      incidents.beforeSave = undefined;
      const retry = await processBatch(kinesisEvent(records.slice(1)));
      expect(retry.batchItemFailures).toEqual([]);
      expect(incidents.summary()).toMatchObject({
        [intrusionIncident(CAMERA_17)]: { eventCount: 3 },
        [intrusionIncident(CAMERA_18)]: { eventCount: 3 },
      });
    });

    it('names the first matched record when the incident read fails', async () => {
      const { incidents, processBatch } = setup();
      incidents.failNextLoad = new Error('RequestLimitExceeded');
      const records = kinesisRecords(['not json', intrusion(CAMERA_17, 180), intrusion(CAMERA_18, 181)]);

      const result = await processBatch(kinesisEvent(records));

      expect(result.batchItemFailures).toEqual([{ itemIdentifier: kinesisSeq(2) }]);
      expect(incidents.saves).toHaveLength(0);
    });

    it('re-reads and retries after losing a write race', async () => {
      // Two rules functions (one per shard) see the same place; the other one creates the incident first.
      const shared = setup();
      const other = otherFunction(shared);
      const crowd = (camera: string, offset: number) =>
        eventAt('camera.crowd', offset, { id: `${camera}-crowd-${offset}`, source: { id: camera, kind: 'camera' } });
      let raced = false;
      shared.incidents.beforeSave = async () => {
        if (raced) return;
        raced = true;
        await other(kinesisEvent(kinesisRecords([crowd('cam-b', 170)], { shardId: 'shardId-000000000001' })));
      };

      const result = await shared.processBatch(
        kinesisEvent(kinesisRecords([crowd('cam-a', 180), crowd('cam-a', 240)])),
      );

      expect(result.batchItemFailures).toEqual([]);
      expect(shared.incidents.loads).toHaveLength(3); // ours, the other function's, our re-read
      expect(shared.incidents.saves).toHaveLength(3); // our lost create, the other function's, our update
      const [incident] = shared.incidents.items.values();
      expect(incident).toMatchObject({
        eventCount: 3,
        firstSeen: '2026-11-24T18:02:50.000Z',
        lastSeen: '2026-11-24T18:04:00.000Z',
        sources: ['cam-b', 'cam-a'],
        version: 2,
      });
      expect(result.summary).toMatchObject({ incidentsTouched: 1, incidentsOpened: 0 });
    });

    it('counts no duplicates when a retry after a lost race re-reads what it saved', async () => {
      const shared = setup();
      const other = otherFunction(shared);
      const crowd = (camera: string, minute: number) =>
        eventAt('camera.crowd', minute * 60, {
          id: `${camera}-crowd-${minute}`,
          source: { id: camera, kind: 'camera' },
        });
      // Our group writes two incidents (02:05 and 03:50); the other function creates the 03:30 one first.
      shared.incidents.beforeSave = async (change) => {
        if (!change.after.id.endsWith('T1930') || change.before) return;
        shared.incidents.beforeSave = undefined;
        await other(kinesisEvent(kinesisRecords([crowd('cam-b', 111)], { shardId: 'shardId-000000000001' })));
      };

      const result = await shared.processBatch(
        kinesisEvent(kinesisRecords([crowd('cam-a', 5), crowd('cam-a', 6), crowd('cam-a', 110)])),
      );

      expect(result.batchItemFailures).toEqual([]);
      expect(shared.incidents.summary()).toMatchObject({
        'sky.crowd|140581/140581100201/米山镇第一小学|20261124T1800': { eventCount: 2 },
        'sky.crowd|140581/140581100201/米山镇第一小学|20261124T1930': { eventCount: 2 },
      });
      expect(result.summary.duplicates).toBe(0);
    });

    it('hands the batch back after losing the race more often than allowed', async () => {
      const { incidents, processBatch } = setup({ maxConflictRetries: 2 });
      const seeded = setup();
      await seeded.processBatch(kinesisEvent(kinesisRecords([intrusion(CAMERA_17, 180)])));
      incidents.items.set(intrusionIncident(CAMERA_17), seeded.incidents.items.get(intrusionIncident(CAMERA_17))!);
      // Another writer changes the incident just before each of our writes.
      incidents.beforeSave = (change) => {
        const current = incidents.items.get(change.after.id)!;
        incidents.items.set(current.id, { ...current, version: current.version + 1 });
      };

      const result = await processBatch(kinesisEvent(kinesisRecords([intrusion(CAMERA_17, 200)], { from: 5 })));

      expect(incidents.saves).toHaveLength(3);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: kinesisSeq(5) }]);
    });
  });

  it('does not open incidents for events no rule raises an alarm for', async () => {
    const { incidents, processBatch } = setup();
    const inactive = intrusion(CAMERA_17, 180);
    inactive.payload = { state: 'inactive' };

    const result = await processBatch(kinesisEvent(kinesisRecords([inactive, eventAt('patrol.checkin', 100)])));

    expect(result.summary).toMatchObject({ events: 2, matched: 0, incidentsTouched: 0 });
    // Nothing matched, so nothing is read.
    expect(incidents.loads).toEqual([]);
    expect(incidents.items.size).toBe(0);
  });
});

describe('createRulesProcessor and event times', () => {
  it('quarantines an event from further in the future than the clock skew, naming occurredAt', async () => {
    const { incidents, quarantine, processBatch } = setup();
    const future = intrusion(CAMERA_17, 180);
    future.occurredAt = '2999-01-01T00:00:00+08:00';

    const result = await processBatch(kinesisEvent(kinesisRecords([future, intrusion(CAMERA_18, 180)])));

    expect(result.summary).toMatchObject({ poison: 1, incidentsOpened: 1 });
    const [poison] = quarantine.records.values();
    expect(poison?.reason).toMatch(/^occurredAt: is .* ahead of the time sanwang received it/);
    expect(poison?.reason).not.toContain('2999');
    expect(incidents.items.has(intrusionIncident(CAMERA_17))).toBe(false);
  });

  it('quarantines an event older than the incident retention', async () => {
    const { quarantine, processBatch } = setup();
    const ancient = intrusion(CAMERA_17, 180);
    ancient.occurredAt = '1970-01-01T08:00:00+08:00';

    await processBatch(kinesisEvent(kinesisRecords([ancient])));

    expect([...quarantine.records.values()][0]?.reason).toMatch(/^occurredAt: is older than the 180 days/);
  });

  it('records an event reported hours late on its incident and raises no alert', async () => {
    const { incidents, processBatch } = setup();
    const late = eventAt('patrol.sos', 0, { id: 'sos-1', receivedAt: '2026-11-25T05:00:00+08:00' });

    const result = await processBatch(kinesisEvent(kinesisRecords([late])));

    expect(result.summary).toMatchObject({ applied: 1, late: 1, alertsRaised: 0, incidentsOpened: 1 });
    const [incident] = incidents.items.values();
    expect(incident).toMatchObject({ eventCount: 1, lateCount: 1, alertSeq: 0, alertPending: false });
    expect(incident?.timeline[0]).toMatchObject({ eventId: 'sos-1', late: true });
  });
});

describe('createRulesProcessor and window claims', () => {
  // Intrusion windows are 30 minutes: 02:29 and 02:31 Shanghai sit on both sides of 02:30.
  const acrossBoundary = () => kinesisRecords([intrusion(CAMERA_17, 29 * 60), intrusion(CAMERA_17, 31 * 60)]);

  it('claims the window a storm crosses into before it writes the incident', async () => {
    const { incidents, processBatch } = setup();

    const result = await processBatch(kinesisEvent(acrossBoundary()));

    expect(result.summary).toMatchObject({ windowsClaimed: 1, incidentsOpened: 1, applied: 2 });
    expect(incidents.claims.map((c) => c.incidentId)).toEqual([intrusionIncident(CAMERA_17)]);
    expect(incidents.items.get(intrusionIncident(CAMERA_17))?.eventCount).toBe(2);
  });

  it('hands the batch back from the first record of the plan when one of its claims fails, and the retry completes', async () => {
    const { incidents, processBatch } = setup();
    incidents.beforeClaim = () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const records = acrossBoundary();

    const first = await processBatch(kinesisEvent(records));
    // Record 1 needed no claim, but nothing of the plan was written: the retry starts there (from 2 would lose it).
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: kinesisSeq(1) }]);
    // Nothing of the group is written while its claim is missing.
    expect(incidents.items.size).toBe(0);

    incidents.beforeClaim = undefined;
    const retry = await processBatch(kinesisEvent(records));
    expect(retry.batchItemFailures).toEqual([]);
    expect(incidents.items.get(intrusionIncident(CAMERA_17))?.eventCount).toBe(2);
  });

  it('follows the window that another shard took first, and counts every event once', async () => {
    const shared = setup();
    const other = otherFunction(shared);
    // A crowd at one school, two cameras: camera b (another shard) opens the 02:30 window first.
    const crowd = (camera: string, minute: number) =>
      eventAt('camera.crowd', minute * 60, { id: `${camera}-crowd-${minute}`, source: { id: camera, kind: 'camera' } });
    shared.incidents.beforeClaim = async () => {
      shared.incidents.beforeClaim = undefined;
      await other(kinesisEvent(kinesisRecords([crowd('cam-b', 31)], { shardId: 'shardId-000000000001' })));
    };

    const result = await shared.processBatch(kinesisEvent(kinesisRecords([crowd('cam-a', 29), crowd('cam-a', 32)])));

    expect(result.batchItemFailures).toEqual([]);
    const counts = Object.values(shared.incidents.summary()).map((i) => i.eventCount);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(counts.sort()).toEqual([1, 2]);
  });
});

describe('createRulesProcessor redelivery', () => {
  const DEVICES: { id: string; types: EventType[] }[] = [
    { id: CAMERA_17, types: ['camera.intrusion', 'camera.tamper', 'device.offline'] },
    { id: CAMERA_18, types: ['camera.intrusion', 'camera.crowd'] },
    { id: 'cafe-0001', types: ['cafe.id_mismatch', 'cafe.after_hours'] },
  ];

  const anEvent = fc
    .record({
      device: fc.integer({ min: 0, max: DEVICES.length - 1 }),
      type: fc.nat(),
      // 21:00 to 01:00 Shanghai: windows and the night boost both change within the range.
      minute: fc.integer({ min: -300, max: -60 }),
      id: fc.integer({ min: 0, max: 40 }),
    })
    .map(({ device, type, minute, id }): SanwangEventInput => {
      const d = DEVICES[device]!;
      const t = d.types[type % d.types.length]!;
      const kind = t.startsWith('cafe') ? 'cafe_system' : 'camera';
      return eventAt(t, minute * 60, { id: `ev-${id}`, source: { id: d.id, kind } });
    });

  it('ends with the same incidents whether each batch is delivered once or up to three times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anEvent, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 7, maxLength: 7 }),
        async (events, cuts, repeats) => {
          const records = kinesisRecords(events);
          const batches = split(records, cuts);
          const once = setup();
          const repeated = setup();

          for (const [i, batch] of batches.entries()) {
            await once.processBatch(kinesisEvent(batch));
            for (let n = 0; n < repeats[i]!; n++) {
              const result = await repeated.processBatch(kinesisEvent(batch));
              expect(result.batchItemFailures).toEqual([]);
            }
          }

          expect(repeated.incidents.summary()).toEqual(once.incidents.summary());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('counts a redelivered event once when another shard moved the previous window meanwhile', async () => {
    const { incidents, processBatch } = setup();
    // Two cameras at one school (the crowd rule keys on the place) write to two shards.
    const crowd = (camera: string, minute: number) =>
      eventAt('camera.crowd', minute * 60, { id: `${camera}-crowd-${minute}`, source: { id: camera, kind: 'camera' } });
    const shardB = { shardId: 'shardId-000000000001' };
    await processBatch(kinesisEvent(kinesisRecords([crowd('cam-b', 5)], { from: 1, ...shardB })));
    // 02:45 is 40 minutes after 02:05: a new incident in the 02:30 window.
    const shardABatch = kinesisEvent(kinesisRecords([crowd('cam-a', 45)], { from: 1 }));
    await processBatch(shardABatch);
    // A late 02:25 report from shard B brings the 02:00 incident within 30 minutes of 02:45.
    await processBatch(kinesisEvent(kinesisRecords([crowd('cam-b', 25)], { from: 2, ...shardB })));
    const before = incidents.summary();

    // Shard A's batch is delivered again (a timeout, or another record's failed write).
    await processBatch(shardABatch);

    expect(incidents.summary()).toEqual(before);
  });
});

/** Splits records at the given cut points (taken modulo the length), keeping order. */
function split(records: KinesisStreamRecord[], cuts: number[]): KinesisStreamRecord[][] {
  const points = [...new Set(cuts.map((c) => c % records.length).filter((c) => c > 0))].sort((a, b) => a - b);
  const batches: KinesisStreamRecord[][] = [];
  let start = 0;
  for (const p of [...points, records.length]) {
    batches.push(records.slice(start, p));
    start = p;
  }
  return batches;
}
