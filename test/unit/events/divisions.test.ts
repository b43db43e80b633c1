import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { countyEntries, countyName, isCountyCode } from '../../../events/divisions.ts';
import { packCounties, readCountyTable } from '../../../events/divisions-build.ts';
import { COUNTIES_PACKED, COUNTY_COUNT, DIVISIONS_SOURCE } from '../../../events/divisions-data.ts';

describe('division table', () => {
  it('matches the installed package (run `npm run divisions` after upgrading it)', () => {
    const table = readCountyTable();
    expect(DIVISIONS_SOURCE).toBe(table.source);
    expect(COUNTY_COUNT).toBe(table.counties.length);
    // The packed text, not the compressed bytes: another zlib may compress the same text differently.
    expect(brotliDecompressSync(Buffer.from(COUNTIES_PACKED, 'base64')).toString('utf8')).toBe(
      packCounties(table.counties),
    );
    expect(countyEntries()).toEqual(table.counties);
  });

  it.each([
    ['140581', '高平市'],
    ['110101', '东城区'],
    ['500229', '城口县'],
    ['152921', '阿拉善左旗'],
    ['429004', '仙桃市'],
    ['469001', '五指山市'],
  ])('names county %s %s', (code, name) => {
    expect(isCountyCode(code)).toBe(true);
    expect(countyName(code)).toBe(name);
  });

  it.each([
    ['640100', 'a prefecture (银川市)'],
    ['140500', 'a prefecture (晋城市)'],
    ['140000', 'a province'],
    ['340200', 'the GB/T 28181 factory default id (34020000001320000001)'],
    ['130101', 'a statistics-only 市辖区 code'],
    ['130171', 'a statistics-only development zone'],
    ['441900', 'a prefecture-level city without counties (东莞市)'],
    ['999999', 'no division'],
    ['14058', 'too short'],
    ['', 'empty'],
  ])('refuses %s: %s', (code) => {
    expect(isCountyCode(code)).toBe(false);
    expect(countyName(code)).toBeUndefined();
  });
});
