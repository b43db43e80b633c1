import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_MINOR_ID, exampleEvent } from '../../../events/examples.ts';
import { residentIdCheckChar } from '../../../events/personal-data.ts';
import {
  containsPersonalData,
  maskIdNumber,
  maskName,
  maskPersonalData,
  maskPhone,
  personalDataReplacer,
  pseudonymizeId,
  scrubText,
} from '../../../shared/domain/personal-data-masking.ts';

const birthDate = fc.date({ min: new Date('1930-01-01'), max: new Date('2024-12-31'), noInvalidDate: true });
const region = fc.stringMatching(/^[1-8]\d{5}$/);
/** Checksum-valid 18-character resident ID numbers. */
const residentId = fc.tuple(region, birthDate, fc.stringMatching(/^\d{3}$/)).map(([r, birth, seq]) => {
  const first17 = `${r}${birth.toISOString().slice(0, 10).replace(/-/g, '')}${seq}`;
  return `${first17}${residentIdCheckChar(first17)}`;
});
/** First-generation (15-digit) ID numbers: region, YYMMDD, sequence. */
const firstGenerationId = fc
  .tuple(region, birthDate, fc.stringMatching(/^\d{3}$/))
  .map(([r, birth, seq]) => `${r}${birth.toISOString().slice(2, 10).replace(/-/g, '')}${seq}`);
const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);

const SEPARATORS = [' ', '-', ' - ', '\u3000', '\u00a0', '－', '–', '\t'];
const toFullWidth = (c: string) => (/\d/.test(c) ? String.fromCharCode(0xff10 + Number(c)) : c === 'X' ? 'Ｘ' : c);

/** A number written as people and systems write it: grouped by one separator, digits in either width. */
function spelled(digits: string) {
  return fc
    .record({
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: digits.length - 1 }), { maxLength: 5 }),
      separator: fc.constantFrom(...SEPARATORS),
      width: fc.constantFrom('ascii', 'full', 'mixed'),
      mixed: fc.array(fc.boolean(), { minLength: digits.length, maxLength: digits.length }),
      lowerX: fc.boolean(),
    })
    .map(({ cuts, separator, width, mixed, lowerX }) => {
      const chars = [...digits].map((c, i) => {
        const x = c === 'X' && lowerX ? 'x' : c;
        return width === 'full' || (width === 'mixed' && mixed[i]) ? toFullWidth(x) : x;
      });
      const at = new Set(cuts);
      return chars.map((c, i) => (at.has(i) ? `${separator}${c}` : c)).join('');
    });
}

/** A mobile number with one of the country prefixes in use, or none. */
const spelledMobile = mobile.chain((m) =>
  fc
    .tuple(fc.constant(m), fc.constantFrom('', '+86', '+86 ', '+86-', '86', '0086', '0086 ', '(+86) ', '＋８６'))
    .chain(([digits, prefix]) => spelled(digits).map((s) => ({ digits, text: `${prefix}${s}` }))),
);
const spelledId = fc
  .oneof(residentId, firstGenerationId)
  .chain((digits) => spelled(digits).map((text) => ({ digits, text })));

/** Random text around the number, kept apart from it by something that is neither a digit nor a letter. */
const embedded = (number: fc.Arbitrary<{ digits: string; text: string }>) =>
  fc
    .record({
      number,
      before: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })),
      after: fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })),
      left: fc.constantFrom(' ', '，', '：', 'tel:', '(', '\n', '号码', '电话', 'a'),
      right: fc.constantFrom(' ', '，', '。', ')', '\n', '号', ';'),
    })
    .map(({ number, before, after, left, right }) => ({
      digits: number.digits,
      text: `${before}${left}${number.text}${right}${after}`,
    }));

/** The text as digits would be compared: one width, no separators. */
const canonical = (text: string) =>
  text
    .replace(/[\uff10-\uff19]/g, (c) => String(c.charCodeAt(0) - 0xff10))
    .replace(/[xｘＸ]/g, 'X')
    .replace(/[\s\-－–\u3000\u00a0]/g, '');

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

  it.each([
    ['spaced', '电话 138 1234 5678', '电话 138 **** 5678'],
    ['dashed', 'tel 138-1234-5678', 'tel 138-****-5678'],
    ['spaced dashes', '138 - 1234 - 5678', '138 - **** - 5678'],
    ['full-width', '１３８１２３４５６７８', '１３８****５６７８'],
    ['+86', '+8613812345678', '+86138****5678'],
    ['+86 spaced', '+86 138 1234 5678', '+86 138 **** 5678'],
    ['0086', '008613812345678', '0086138****5678'],
    ['ID in groups', '140581 20100315 123X', '140581 ******** 123X'],
    ['full-width ID', '１４０５８１２０１００３１５１２３Ｘ', '１４０５８１********１２３Ｘ'],
    ['15-digit ID', '身份证140581100315123', '身份证140581******123'],
  ])('masks a %s number in place', (_spelling, text, masked) => {
    expect(scrubText(text)).toBe(masked);
    expect(containsPersonalData(text)).toBe(true);
  });

  it.each([
    ['a count beside a date in an SMS', '【特急】米山镇第一小学 区域入侵×13812 11-26 02:00起 02:10前确认 码K2VS4'],
    ['a GB/T 28181 device id', '14058110001320000017'],
    ['an IP address', '192.168.10.100'],
    ['a time', '2026-11-26T02:00:00+08:00'],
    ['a Kinesis sequence number', '49590338271490256608559692538361571095921575989136588898'],
  ])('leaves %s alone', (_what, text) => {
    expect(scrubText(text)).toBe(text);
    expect(containsPersonalData(text)).toBe(false);
  });

  it.each([
    ['a mobile number', spelledMobile],
    ['an 18- or 15-digit ID number', spelledId],
  ])(
    'never lets %s through free text, in any spelling, and keeps the length (property)',
    { timeout: 30_000 },
    (_what, number) => {
      fc.assert(
        fc.property(embedded(number), ({ digits, text }) => {
          expect(canonical(text)).toContain(digits);
          const masked = scrubText(text);
          expect(canonical(masked)).not.toContain(digits);
          expect(masked).toHaveLength(text.length);
          expect(containsPersonalData(text)).toBe(true);
        }),
        { numRuns: 500 },
      );
    },
  );

  it('says a text holds personal data exactly when scrubbing changes it (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          embedded(fc.oneof(spelledMobile, spelledId)).map((e) => e.text),
        ),
        (text) => {
          expect(containsPersonalData(text)).toBe(scrubText(text) !== text);
        },
      ),
      { numRuns: 300 },
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

describe('names outside fullName', () => {
  // What café and patrol systems send, as seen in their payloads.
  const payload = {
    name: '设备001',
    userName: '李小明',
    patronName: '王大力',
    officer_name: '赵警官',
    holder: '钱多多',
    cardHolder: '孙悟空',
    姓名: '周芷若',
    联系人: '吴三桂',
    巡逻员: '郑成功',
    patron: { name: '张无忌', age: 16 },
    contacts: [{ name: '陈圆圆', mobile: '13912345678' }, '冯小刚'],
    subject: { name: '杨过', idNumber: EXAMPLE_MINOR_ID },
    place: { name: '米山镇第一小学', county: '140581' },
    device: { name: '北门枪机', channelName: '通道1' },
    deviceName: '东侧围墙',
  };
  const masked = maskPersonalData(payload);

  it.each([
    ['userName', masked.userName, '李**'],
    ['patronName', masked.patronName, '王**'],
    ['officer_name', masked.officer_name, '赵**'],
    ['holder', masked.holder, '钱**'],
    ['cardHolder', masked.cardHolder, '孙**'],
    ['姓名', masked.姓名, '周**'],
    ['联系人', masked.联系人, '吴**'],
    ['巡逻员', masked.巡逻员, '郑**'],
    ['patron.name', masked.patron.name, '张**'],
    ['contacts[0].name', (masked.contacts[0] as { name: string }).name, '陈**'],
    ['contacts[1]', masked.contacts[1], '冯**'],
    ['subject.name (beside an ID number)', masked.subject.name, '杨*'],
  ])('masks %s', (_key, value, expected) => {
    expect(value).toBe(expected);
  });

  it('leaves the names of places, devices and channels alone', () => {
    expect(masked.name).toBe('设备001');
    expect(masked.place).toEqual(payload.place);
    expect(masked.device).toEqual(payload.device);
    expect(masked.deviceName).toBe('东侧围墙');
  });

  it('masks phone and ID numbers by field name whatever their spelling', () => {
    expect(
      maskPersonalData({ mobileNo: '139 1234 5678', telephone: 13912345678, idCardNo: '1405811003', 身份证号: 'x' }),
    ).toEqual({
      mobileNo: '139 **** 5678',
      telephone: '***',
      idCardNo: '1405811003'.replace(/\d/g, '*'),
      身份证号: '*',
    });
  });

  it('masks the same through the logger replacer as maskPersonalData (property)', () => {
    const keys = fc.constantFrom(
      'name',
      'userName',
      'patron',
      'holder',
      'contacts',
      'phone',
      'idNumber',
      'place',
      'device',
      'note',
      '姓名',
      '联系人',
      'channelName',
    );
    const tree = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.constantFrom('张伟', '13812345678', EXAMPLE_MINOR_ID, '138 1234 5678'),
        fc.integer(),
        tie('object'),
        fc.array(tie('value'), { maxLength: 3 }),
      ),
      object: fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(tree.object, (value) => {
        expect(JSON.parse(JSON.stringify(value, personalDataReplacer))).toEqual(
          JSON.parse(JSON.stringify(maskPersonalData(value))),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('pseudonymizeId', () => {
  it('returns an id without personal data unchanged', () => {
    expect(pseudonymizeId('hik:4419b66d2485:1:2026-11-26T02:00:01+08:00')).toBe(
      'hik:4419b66d2485:1:2026-11-26T02:00:01+08:00',
    );
    expect(pseudonymizeId('14058110001320000017')).toBe('14058110001320000017');
  });

  it('replaces an id holding a phone or ID number by a stable pseudonym of allowed characters (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(mobile, residentId),
        fc.stringMatching(/^[\w.:@/]{0,20}$/),
        fc.stringMatching(/^[\w.:@/]{0,20}$/),
        (number, before, after) => {
          const id = `${before}-${number}-${after}`;
          const pseudonym = pseudonymizeId(id);
          expect(pseudonym).toMatch(/^pd-[A-Za-z0-9_-]{32}$/);
          expect(pseudonym).not.toContain(number.slice(3, 7));
          expect(containsPersonalData(pseudonym)).toBe(false);
          // The same id always gives the same pseudonym, so resends are still recognised; a pseudonym is its own.
          expect(pseudonymizeId(id)).toBe(pseudonym);
          expect(pseudonymizeId(pseudonym)).toBe(pseudonym);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives different ids different pseudonyms', () => {
    expect(pseudonymizeId('cafe-13812345678-1')).not.toBe(pseudonymizeId('cafe-13812345678-2'));
  });
});
