import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import { residentIdCheckChar } from '../../../events/personal-data.ts';
import {
  maskIdNumber,
  maskName,
  maskPersonalData,
  maskPhone,
  personalDataReplacer,
  scrubText,
} from '../../../shared/domain/personal-data-masking.ts';

const residentId = fc
  .tuple(
    fc.stringMatching(/^\d{6}$/),
    fc.date({ min: new Date('1930-01-01'), max: new Date('2024-12-31'), noInvalidDate: true }),
    fc.stringMatching(/^\d{3}$/),
  )
  .map(([region, birth, seq]) => {
    const first17 = `${region}${birth.toISOString().slice(0, 10).replace(/-/g, '')}${seq}`;
    return `${first17}${residentIdCheckChar(first17)}`;
  });
const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);

describe('masking', () => {
  it('keeps the first 6 and last 4 characters of an ID number', () => {
    expect(maskIdNumber('14058120100315123X')).toBe('140581********123X');
  });

  it('keeps the first 3 and last 4 digits of a mobile number, with or without +86', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+8613812345678')).toBe('138****5678');
  });

  it('keeps only the surname of a name', () => {
    expect(maskName('李小明')).toBe('李**');
    expect(maskName('张')).toBe('张*');
  });

  it('masks personal fields at any depth and leaves the rest alone', () => {
    const event = exampleEvent('cafe.minor_admitted');
    const masked = maskPersonalData(event);
    expect(masked.payload.patron).toEqual({ fullName: '李**', idNumber: maskIdNumber(EXAMPLE_MINOR_ID), age: 16 });
    expect(masked.place).toEqual(event.place);
    expect(event.payload.patron.fullName).toBe('李小明');
  });

  it('scrubs ID and mobile numbers out of free text but not longer digit runs', () => {
    expect(scrubText(`id=${EXAMPLE_MINOR_ID}, tel 13812345678`)).toBe(
      `id=${maskIdNumber(EXAMPLE_MINOR_ID)}, tel 138****5678`,
    );
    expect(scrubText('device 14058110001320000017')).toBe('device 14058110001320000017');
  });

  it('never lets an ID or mobile number through free text (property)', () => {
    fc.assert(
      fc.property(residentId, mobile, fc.string(), fc.string(), (id, phone, before, after) => {
        const text = scrubText(`${before} ${id} ${after} ${phone} `);
        expect(text).not.toContain(id);
        expect(text).not.toContain(phone);
      }),
    );
  });

  it('masks through JSON.stringify with the logger replacer', () => {
    const line = JSON.stringify(
      { message: 'x', patron: { fullName: '王大力', phone: '13912345678' }, note: `call 13912345678` },
      personalDataReplacer,
    );
    expect(line).not.toContain('王大力');
    expect(line).not.toContain('13912345678');
    expect(JSON.parse(line).patron.fullName).toBe('王**');
  });
});
