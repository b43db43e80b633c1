import { brotliDecompressSync } from 'node:zlib';
import { COUNTIES_PACKED } from './divisions-data.ts';

let counties: ReadonlyMap<string, string> | undefined;

/** The unpacked table, built on first use: module init stays cheap for functions that never ask. */
function table(): ReadonlyMap<string, string> {
  if (counties) return counties;
  const map = new Map<string, string>();
  const text = brotliDecompressSync(Buffer.from(COUNTIES_PACKED, 'base64')).toString('utf8');
  for (const line of text.split('\n')) {
    const prefecture = line.slice(0, 4);
    for (const [, digits, name] of line.slice(4).matchAll(/(\d\d)(\D+)/g)) map.set(`${prefecture}${digits}`, name!);
  }
  counties = map;
  return map;
}

/**
 * Whether a 6-digit code is a county-level division of GB/T 2260 (区, 县, 县级市, 旗 …): not a province or a
 * prefecture (`140500`, `640100`), and not a code the list does not hold (`340200` of the GB/T 28181 factory id).
 * @example isCountyCode('140581') // true
 */
export function isCountyCode(code: string): boolean {
  return table().has(code);
}

/**
 * The county's name as the division list writes it, or undefined when the code is not a county.
 * @example countyName('140581') // '高平市'
 */
export function countyName(code: string): string | undefined {
  return table().get(code);
}

/** Every county-level code and name, in code order (for tests and tools). */
export function countyEntries(): [string, string][] {
  return [...table()];
}
