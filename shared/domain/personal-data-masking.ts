import { PERSONAL_FIELDS, type PersonalDataKind } from '../../events/personal-data.ts';

/** `140581200811151234` → `140581********1234` (first 6 + last 4, as GB/T 35273 practice). */
export function maskIdNumber(id: string): string {
  return id.length <= 10 ? '*'.repeat(id.length) : `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/** `13812345678` → `138****5678`. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+86/, '');
  return digits.length < 8
    ? '*'.repeat(digits.length)
    : `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** `张三丰` → `张**`: the surname stays, as on Chinese receipts. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length === 0 ? '' : `${chars[0]}${'*'.repeat(Math.max(1, chars.length - 1))}`;
}

const maskers: Record<PersonalDataKind, (value: string) => string> = {
  'id-number': maskIdNumber,
  phone: maskPhone,
  name: maskName,
};

// Digits not glued to other digits: an 18-character ID (last may be X) or an 11-digit mobile, with optional +86.
const ID_IN_TEXT = /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g;
const PHONE_IN_TEXT = /(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)/g;

/**
 * Masks ID and mobile numbers wherever they appear in free text (raw device bytes, error messages). Names cannot
 * be found in free text; they are masked by field name in {@link maskPersonalData}.
 */
export function scrubText(text: string): string {
  return text.replace(ID_IN_TEXT, (m) => maskIdNumber(m)).replace(PHONE_IN_TEXT, (m) => maskPhone(m));
}

/** Masks a value under a personal-data field name, or returns undefined when the key is not personal. */
export function maskField(key: string, value: unknown): unknown {
  const kind = (PERSONAL_FIELDS as Record<string, PersonalDataKind | undefined>)[key];
  if (kind === undefined) return undefined;
  return typeof value === 'string' ? maskers[kind](value) : '***';
}

/**
 * A deep copy of `value` with every personal field masked and ID/phone numbers scrubbed from every string.
 * @example maskPersonalData({ patron: { fullName: '李小明', age: 15 } }) // { patron: { fullName: '李**', age: 15 } }
 */
export function maskPersonalData<T>(value: T): T {
  return maskValue(value, undefined) as T;
}

function maskValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && value !== null && value !== undefined) {
    const masked = maskField(key, value);
    if (masked !== undefined) return masked;
  }
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, undefined));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k);
    return out;
  }
  return value;
}

/**
 * A `JSON.stringify` replacer that masks personal data; the logger uses it so that no log line carries any.
 */
export function personalDataReplacer(key: string, value: unknown): unknown {
  if (key !== '' && value !== null && value !== undefined) {
    const masked = maskField(key, value);
    if (masked !== undefined) return masked;
  }
  return typeof value === 'string' ? scrubText(value) : value;
}
