import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { frigateAdapter } from '../../../../events/adapters/frigate.ts';
import { deviceRequest, fixture, only, thrown, validEvents } from './helpers.ts';

const JSON_TYPE = 'application/json';
const parse = (body: Buffer | string, query = {}) => frigateAdapter.parse(deviceRequest(body, JSON_TYPE, query));
const review = (name: string) => JSON.parse(fixture('frigate', name).toString('utf8'));
const withAfter = (data: Record<string, unknown>, type = 'new', severity = 'alert') => {
  const message = review('review-new.json');
  return JSON.stringify({
    ...message,
    type,
    after: { ...message.after, severity, data: { ...message.after.data, ...data } },
  });
};

describe('frigate adapter', () => {
  it('reads a new review with a person in a zone as an intrusion', () => {
    const outcome = parse(fixture('frigate', 'review-new.json'));
    const event = only(validEvents(outcome), 'camera.intrusion');
    expect(event).toMatchObject({
      id: 'frigate:1795629600.123456-k7x3pq:new',
      occurredAt: '2026-11-26T02:00:00.123+08:00',
      source: { id: 'frigate-north_gate', kind: 'camera', channel: 'north_gate' },
      payload: { state: 'active', objectType: 'person', region: 'school_wall' },
    });
    expect(event.evidence?.[0]).toMatchObject({ kind: 'raw', contentType: JSON_TYPE });
  });

  it('makes each update with new data an event of its own', () => {
    const update = only(validEvents(parse(fixture('frigate', 'review-update.json'))), 'camera.intrusion');
    expect(update.id).toMatch(/^frigate:1795629600\.123456-k7x3pq:update:[0-9a-f]{12}$/);
    expect(update.payload.region).toBe('school_wall,gate');
    const again = parse(fixture('frigate', 'review-update.json')).events[0]?.id;
    expect(again).toBe(update.id);
    const other = parse(withAfter({ zones: ['gate'] }, 'update')).events[0]?.id;
    expect(other).not.toBe(update.id);
  });

  it('closes the review on end, at its end time', () => {
    const event = only(validEvents(parse(fixture('frigate', 'review-end.json'))), 'camera.intrusion');
    expect(event).toMatchObject({
      id: 'frigate:1795629600.123456-k7x3pq:end',
      occurredAt: '2026-11-26T02:00:31.500+08:00',
      payload: { state: 'inactive' },
    });
  });

  it('reads fire and smoke as camera.fire_smoke, even at detection severity', () => {
    const smoke = only(validEvents(parse(fixture('frigate', 'review-detection-smoke.json'))), 'camera.fire_smoke');
    expect(smoke.payload).toEqual({ state: 'active', kind: 'smoke' });
    const fire = only(validEvents(parse(withAfter({ objects: ['smoke', 'fire'] }))), 'camera.fire_smoke');
    expect(fire.payload.kind).toBe('fire');
  });

  it('keeps everything else as camera.other', () => {
    const car = only(validEvents(parse(withAfter({ objects: ['car'] }, 'new', 'detection'))), 'camera.other');
    expect(car.payload).toEqual({
      state: 'active',
      vendor: 'frigate',
      vendorType: 'review/detection/car',
      description: 'objects: car; zones: school_wall',
    });
    const personNoZone = validEvents(parse(withAfter({ zones: [] })));
    expect(personNoZone.map((e) => e.type)).toEqual(['camera.other']);
  });

  it('keeps a person in a zone as camera.other when Frigate grades the review a detection, not an alert', () => {
    const outcome = parse(fixture('frigate', 'review-detection-person.json'));
    const event = only(validEvents(outcome), 'camera.other');
    expect(event).toMatchObject({
      id: 'frigate:1795630500.25-q3v8rz:new',
      occurredAt: '2026-11-26T02:15:00.250+08:00',
      payload: {
        state: 'active',
        vendor: 'frigate',
        vendorType: 'review/detection/person',
        description: 'objects: person; zones: sidewalk',
      },
    });
    // The same review graded an alert is an intrusion.
    const alert = fixture('frigate', 'review-detection-person.json')
      .toString('utf8')
      .replaceAll('"detection"', '"alert"');
    expect(validEvents(parse(alert)).map((e) => e.type)).toEqual(['camera.intrusion']);
    // Unknown grades page no one either.
    expect(validEvents(parse(withAfter({}, 'new', 'significant_motion'))).map((e) => e.type)).toEqual(['camera.other']);
  });

  it('reads verified persons as persons', () => {
    expect(validEvents(parse(withAfter({ objects: ['person-verified'] })))[0]?.type).toBe('camera.intrusion');
  });

  it('names the NVR by the query parameter device, the camera as its channel', () => {
    const [event] = parse(fixture('frigate', 'review-new.json'), { device: 'frigate-school-01' }).events;
    expect(event?.source).toEqual({ id: 'frigate-school-01', kind: 'nvr', channel: 'north_gate' });
  });

  it('names the bad fields of a message it cannot read', () => {
    const message = review('review-new.json');
    const outcome = parse(JSON.stringify({ ...message, type: 'genai', after: { ...message.after, start_time: 'x' } }));
    expect(outcome.events).toEqual([]);
    expect(outcome.rejected).toEqual([
      { path: 'type', message: 'must be one of new, update, end' },
      { path: 'after.start_time', message: 'is missing or of the wrong type' },
    ]);
  });

  it('names the line and column of a body that is not JSON, as the canonical path does, without quoting it', () => {
    const error = thrown(() => parse('{\n  "type": "new",\n  "after": {"camera": "李小明" "id": 1}\n}'));
    expect(error).toBeInstanceOf(MalformedBodyError);
    expect((error as MalformedBodyError).position).toEqual({ line: 3, column: 29 });
    expect((error as Error).message).toBe("body is not JSON: expected ',' or '}' in an object (line 3, column 29)");
  });

  it('refuses a body that is not a JSON object', () => {
    expect(thrown(() => parse('{"type":'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('[]'))).toBeInstanceOf(MalformedBodyError);
    expect(thrown(() => parse('null'))).toBeInstanceOf(MalformedBodyError);
  });
});
