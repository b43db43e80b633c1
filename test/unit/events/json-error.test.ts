import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeJsonError } from '../../../events/json-error.ts';

describe('describeJsonError', () => {
  it.each([
    ['{"id": }', 'expected a value (object, array, string, number, true, false or null) (line 1, column 8)'],
    ['{"events": [\n  {"id": 1,}\n]}', 'expected a double-quoted property name (line 2, column 12)'],
    ['[1, 2', 'the JSON ends too early (line 1, column 6)'],
    ['{"name": "李小明"} x', 'unexpected text after the JSON value (line 1, column 17)'],
  ])('locates the problem in %j', (text, message) => {
    expect(describeJsonError(text)).toBe(message);
  });

  it('never quotes the body', () => {
    expect(describeJsonError('{"fullName": "李小明", oops}')).not.toContain('李小明');
  });

  it('agrees with JSON.parse about what is invalid (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(describeJsonError(text).startsWith('invalid JSON')).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});
