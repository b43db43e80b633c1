import { describe, expect, it } from 'vitest';
import { MalformedBodyError } from '../../../../events/adapters/device-adapter.ts';
import { decodeXml, parseXml } from '../../../../events/adapters/xml.ts';
import { thrown } from './helpers.ts';

const error = (text: string) => {
  const caught = thrown(() => parseXml(text));
  expect(caught).toBeInstanceOf(MalformedBodyError);
  return caught as MalformedBodyError;
};

describe('XML errors', () => {
  it.each([
    ['', { line: 1, column: 1 }],
    ['<?xml version="1.0"?>\n', { line: 2, column: 1 }],
    ['<?xml version="1.0"?>\n  \n', { line: 3, column: 1 }],
  ])('name a line and a column even where no element was found (%j)', (text, position) => {
    const caught = error(text);
    expect(caught.position).toEqual(position);
    expect(caught.message).not.toContain('undefined');
    expect(caught.message).toMatch(/\(line \d+, column \d+\)$/);
  });

  it.each([
    ['<Alarm><李小明></Alarm>', 'a tag that does not match'],
    ['<Alarm 13800138000="x"/>', 'a bad attribute name'],
    ['<Alarm><Name>李小明</Alarm>', 'an unclosed tag'],
    ['13800138000', 'a stray character'],
    ['<a></a>李小明', 'text after the root'],
    ['<a b="1" b="2"/>', 'a repeated attribute'],
  ])('never quote the body: %j (%s)', (text) => {
    const caught = error(text);
    expect(caught.message).not.toMatch(/李小明|13800138000|'|"/);
    expect(caught.position).toEqual({ line: 1, column: expect.any(Number) });
  });

  it('locates a reserved name the parser refuses, without naming the place by its bytes', () => {
    const caught = error('<a>\n  <b>\n    <constructor>1</constructor>\n  </b>\n</a>');
    expect(caught.position).toEqual({ line: 3, column: 5 });
    expect(caught.message).toContain('__proto__, constructor or prototype');
    expect(error('<a __proto__="1"/>').position).toEqual({ line: 1, column: 3 });
  });

  it('locates nesting deeper than the parser allows', () => {
    const caught = error(`<a>\n${'<b>'.repeat(150)}${'</b>'.repeat(150)}</a>`);
    expect(caught.message).toContain('nested more than 100');
    // The 101st element: <a> and 100 <b>s.
    expect(caught.position).toEqual({ line: 2, column: 1 + 3 * 99 });
  });

  it('locates a second root element', () => {
    expect(error('<a/>\n<b/>').position).toEqual({ line: 2, column: 1 });
  });

  it('refuses an unknown encoding without quoting its name', () => {
    const caught = thrown(() =>
      decodeXml(Buffer.from('<?xml version="1.0" encoding="x-secret-13800138000"?><a/>'), ''),
    );
    expect(caught).toBeInstanceOf(MalformedBodyError);
    expect((caught as MalformedBodyError).message).not.toContain('13800138000');
    expect((caught as MalformedBodyError).position).toEqual({ line: 1, column: 1 });
    const fromHeader = thrown(() => decodeXml(Buffer.from('<a/>'), 'text/xml; charset=x-nope'));
    expect((fromHeader as Error).message).toContain('Content-Type charset');
  });
});
