import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_NETWORK, EVENT_TYPES } from '../../../events/envelope.ts';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import { EVENT_SCHEMA_FILE, eventEnvelopeJsonSchema } from '../../../events/json-schema.ts';
import { PERSONAL_FIELDS } from '../../../events/personal-data.ts';
import { formatIssues, parseEvent } from '../../../events/validation.ts';

describe('event envelope v1', () => {
  it.each(EVENT_TYPES)('accepts the example %s event', (type) => {
    const result = parseEvent(exampleEvent(type));
    expect(result.ok ? 'valid' : formatIssues(result.issues)).toBe('valid');
  });

  it('covers every network with at least one type', () => {
    expect(new Set(Object.values(EVENT_NETWORK))).toEqual(new Set(['sky', 'ground', 'internet']));
  });

  it('fills defaults an integration may leave out', () => {
    const result = parseEvent(exampleEvent('camera.tamper', { payload: {} }));
    expect(result.ok && result.event.type === 'camera.tamper' && result.event.payload.state).toBe('active');
  });

  it('names each bad field and says what is wrong in plain words', () => {
    const bad = {
      ...exampleEvent('camera.intrusion'),
      occurredAt: '2026-11-25 02:03:00',
      place: { county: '14058', kind: 'school' },
      payload: { state: 'on' },
    };
    const result = parseEvent(bad);
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues).toContainEqual({ path: 'occurredAt', message: expect.stringContaining('with an offset') });
    expect(issues).toContainEqual({ path: 'place.county', message: expect.stringContaining('6-digit county code') });
    expect(issues).toContainEqual({ path: 'payload.state', message: 'must be one of "active", "inactive"' });
  });

  it('says which network a type belongs to', () => {
    const result = parseEvent({ ...exampleEvent('patrol.sos'), network: 'sky' });
    expect(result.ok ? [] : result.issues).toEqual([
      { path: 'network', message: 'must be "ground" for type patrol.sos' },
    ]);
  });

  it('rejects an unknown type and lists the known ones', () => {
    const result = parseEvent({ ...exampleEvent('patrol.sos'), type: 'patrol.coffee' });
    expect(result.ok ? '' : formatIssues(result.issues)).toMatch(
      /^type: is not a known event type \(known: camera\.intrusion/,
    );
  });

  it('reports a missing field as required', () => {
    const { source: _source, ...withoutSource } = exampleEvent('camera.crowd');
    const result = parseEvent(withoutSource);
    expect(result.ok ? [] : result.issues).toEqual([{ path: 'source', message: 'is required' }]);
  });

  it('rejects a village outside its township without repeating either code', () => {
    const event = exampleEvent('camera.crowd');
    const result = parseEvent({ ...event, place: { ...event.place, village: '140581999001' } });
    expect(result.ok ? [] : result.issues).toEqual([
      { path: 'place.village', message: 'must start with the 9 digits of place.township' },
    ]);
  });

  it('checks the resident ID check character and never echoes the number in the error', () => {
    const wrong = `${EXAMPLE_MINOR_ID.slice(0, 17)}${EXAMPLE_MINOR_ID[17] === '0' ? '1' : '0'}`;
    const event = exampleEvent('cafe.minor_admitted');
    const result = parseEvent({
      ...event,
      payload: { ...event.payload, patron: { ...event.payload.patron, idNumber: wrong } },
    });
    const text = result.ok ? '' : formatIssues(result.issues);
    expect(text).toBe('payload.patron.idNumber: has a wrong check character');
    expect(text).not.toContain(wrong.slice(6, 14));
  });
});

describe('published JSON Schema', () => {
  it('matches the checked-in file (run `npm run events:schema` after changing a schema)', () => {
    const checkedIn = JSON.parse(readFileSync(EVENT_SCHEMA_FILE, 'utf8'));
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(eventEnvelopeJsonSchema())));
  });

  it('marks exactly the personal-data field names the maskers know', () => {
    const marked = new Set<string>();
    const walk = (node: unknown, key?: string) => {
      if (Array.isArray(node)) {
        for (const n of node) walk(n);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const obj = node as Record<string, unknown>;
      if (key && obj['x-personal-data']) marked.add(key);
      for (const [k, v] of Object.entries(obj)) {
        if (k === 'properties' && v && typeof v === 'object') {
          for (const [prop, schema] of Object.entries(v)) walk(schema, prop);
        } else walk(v);
      }
    };
    walk(eventEnvelopeJsonSchema());
    expect([...marked].sort()).toEqual(Object.keys(PERSONAL_FIELDS).sort());
  });
});
