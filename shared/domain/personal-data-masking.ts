import { createHash } from 'node:crypto';
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

// ---------------------------------------------------------------------------------------------------------------
// Numbers in free text, in every spelling people and systems use: ASCII or full-width (全角) digits, groups
// separated by a space (also NBSP and the ideographic space) or a dash (ASCII, Unicode or full-width, optionally
// spaced), a 86 / 0086 country prefix, a check character X in either width.

const DIGITS = '0-9\\uFF10-\\uFF19';
const CHECK = 'Xx\\uFF38\\uFF58';
const SPACES = ' \\t\\u00A0\\u3000';
const DASHES = '\\-\\u2010-\\u2015\\u2212\\uFF0D';
const SEPARATOR = `(?:[${SPACES}]?[${DASHES}][${SPACES}]?|[${SPACES}])`;
/**
 * A run of digit groups joined by single separators, perhaps ending in a check character. The lookahead skips runs
 * too short to hold 11 digits before the callback is called: most text has only dates, counts and short codes.
 */
const DIGIT_RUN = new RegExp(
  `[${DIGITS}](?=[${DIGITS}${SPACES}${DASHES}${CHECK}]{10})[${DIGITS}]*(?:${SEPARATOR}[${DIGITS}]+)*(?:${SEPARATOR}?[${CHECK}](?![A-Za-z${DIGITS}]))?`,
  'g',
);

/**
 * How many leading and trailing digits of a number stay readable, or undefined when `d[from, from + count)` is no
 * personal number: a mobile (11 digits, 1[3-9]; 13 with 86; 15 with 0086), a first-generation ID (15 digits:
 * region, a valid YYMMDD, sequence) or an ID number (18 characters, the check character passed as 10).
 */
function shownDigits(d: readonly number[], from: number, count: number): readonly [number, number] | undefined {
  switch (count) {
    case 11:
      return isMobileAt(d, from) ? SHOWN_MOBILE : undefined;
    case 13:
      return d[from] === 8 && d[from + 1] === 6 && isMobileAt(d, from + 2) ? SHOWN_MOBILE_86 : undefined;
    case 15: {
      if (d[from] === 0 && d[from + 1] === 0 && d[from + 2] === 8 && d[from + 3] === 6 && isMobileAt(d, from + 4)) {
        return SHOWN_MOBILE_0086;
      }
      const region = d[from]!;
      const month = d[from + 8]! * 10 + d[from + 9]!;
      const day = d[from + 10]! * 10 + d[from + 11]!;
      return region >= 1 && region <= 8 && month >= 1 && month <= 12 && day >= 1 && day <= 31 ? SHOWN_ID_15 : undefined;
    }
    case 18:
      return SHOWN_ID;
    default:
      return undefined;
  }
}

// Hot path: module-level helpers, no closures per call.
const isMobileAt = (d: readonly number[], k: number) => d[k] === 1 && d[k + 1]! >= 3;
const SHOWN_MOBILE = [3, 4] as const;
const SHOWN_MOBILE_86 = [5, 4] as const;
const SHOWN_MOBILE_0086 = [7, 4] as const;
// Only the region and the sequence of a 15-digit ID stay: its last 4 digits would show a digit of the birth date.
const SHOWN_ID_15 = [6, 3] as const;
const SHOWN_ID = [6, 4] as const;

const isDigit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0xff10 && c <= 0xff19);
const digitValue = (c: number) => (c >= 0xff10 ? c - 0xff10 : c - 0x30);
const CHECK_CHARACTER = 10;

/**
 * The run with every personal number in it masked digit by digit (separators and length kept), or the run itself.
 * A number may be any contiguous stretch of the run's groups, as long as the separators inside it are all alike:
 * one writes `138 1234 5678` or `138-1234-5678`, while `×13812 11-26 02` (a count beside a date) is no phone.
 */
function maskRun(run: string): string {
  if (run.length < 11) return run;
  // Per digit: its value and where it stands in the run; per group: where its digits begin in those lists.
  const values: number[] = [];
  const positions: number[] = [];
  const groupStart: number[] = [];
  const separators: string[] = [];
  // The regex lets a check character (perhaps after a separator) end the run only.
  const check = !isDigit(run.charCodeAt(run.length - 1));
  const end = check ? run.length - 1 : run.length;
  let i = 0;
  while (i < end) {
    groupStart.push(values.length);
    for (let c = run.charCodeAt(i); i < end && isDigit(c); c = run.charCodeAt(++i)) {
      values.push(digitValue(c));
      positions.push(i);
    }
    const gap = i;
    while (i < end && !isDigit(run.charCodeAt(i))) i++;
    if (i > gap) separators.push(run.slice(gap, i));
  }
  if (check) {
    values.push(CHECK_CHARACTER);
    positions.push(end);
  }
  groupStart.push(end === run.length ? values.length : values.length - 1);
  const groups = groupStart.length - 1;
  let chars: string[] | undefined;
  for (let a = 0; a < groups; a++) {
    const from = groupStart[a]!;
    for (let b = a; b < groups; b++) {
      if (b > a && separators[b - 1] !== separators[a]) break;
      const count = groupStart[b + 1]! - from;
      if (count > 18) break;
      // Seventeen digits and the check character that ends the run: an ID number.
      const shown = check && b === groups - 1 && count === 17 ? SHOWN_ID : shownDigits(values, from, count);
      if (!shown) continue;
      chars ??= run.split('');
      const n = shown === SHOWN_ID ? 18 : count;
      for (let k = from + shown[0]; k < from + n - shown[1]; k++) chars[positions[k]!] = '*';
    }
  }
  return chars ? chars.join('') : run;
}

/**
 * Masks ID numbers (18- and 15-digit) and mobile numbers (with or without 86/0086) wherever they appear in free
 * text, in any spelling: spaced, dashed, full-width. Each digit is replaced by `*` in place, so the text keeps
 * its length (the SMS is measured before it is masked). Names cannot be found in free text; they are masked by
 * field name in {@link maskPersonalData}.
 * @example scrubText('电话 138 1234 5678') // '电话 138 **** 5678'
 */
export function scrubText(text: string): string {
  return text.length < 11 ? text : text.replace(DIGIT_RUN, maskRun);
}

/** Whether free text holds an ID or mobile number in any spelling {@link scrubText} recognises. */
export function containsPersonalData(text: string): boolean {
  if (text.length < 11 || countDigits(text) < 11) return false;
  for (const [run] of text.matchAll(DIGIT_RUN)) if (maskRun(run) !== run) return true;
  return false;
}

/** ASCII and full-width digits: a text with fewer than 11 holds no mobile (11) and no ID number (15, 18). */
function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19)) n++;
  }
  return n;
}

/**
 * An id that holds no personal data, unchanged; otherwise a stable pseudonym `pd-<32 base64url characters>` (the
 * same input always gives the same output, so deduplication still works). The pseudonym uses only characters
 * every id field allows (letters, digits, `-`, `_`) and is short enough for a source id (64).
 * @example pseudonymizeId('cafe-13812345678-7') // 'pd-…'; pseudonymizeId('hik-0017-1000') // 'hik-0017-1000'
 */
export function pseudonymizeId(id: string): string {
  let known = pseudonyms.get(id);
  if (known === undefined) {
    known = pseudonymOf(id);
    // Source ids repeat from event to event (a storm is one camera): each is looked at once.
    if (pseudonyms.size >= 4096) pseudonyms.clear();
    pseudonyms.set(id, known);
  }
  return known;
}

const pseudonyms = new Map<string, string>();

function pseudonymOf(id: string): string {
  if (!containsPersonalData(id)) return id;
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256').update(attempt === 0 ? id : `${attempt}:${id}`);
    const pseudonym = `pd-${hash.digest('base64url').slice(0, 32)}`;
    // A hash that happens to read as a phone number would defeat the point; the next attempt will not.
    if (!containsPersonalData(pseudonym)) return pseudonym;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Personal data by field name. The schema's own fields (PERSONAL_FIELDS) and every key that, by its words, names a
// person's name, phone or ID number, wherever a café or patrol system puts it.

/** What a key says about its value: a kind of personal data, a person (role), or a bare `name` (personal in a person). */
type KeyKind = PersonalDataKind | 'person' | 'bare-name';

/** Words that name a person: `patronName`, `officer`, `holder`, `contacts` … */
const PERSON_WORDS = new Set([
  'user',
  'patron',
  'officer',
  'person',
  'people',
  'customer',
  'guest',
  'member',
  'holder',
  'cardholder',
  'owner',
  'contact',
  'driver',
  'visitor',
  'resident',
  'tenant',
  'landlord',
  'suspect',
  'reporter',
  'caller',
  'informant',
  'staff',
  'employee',
  'guard',
  'police',
  'policeman',
  'patrolman',
  'patroller',
  'citizen',
  'passenger',
  'student',
  'teacher',
  'parent',
  'guardian',
  'applicant',
  'victim',
  'witness',
  'patient',
  'worker',
  'author',
]);
/** Words before `name` that make it a person's: `fullName`, `realName`, `surname`, `lastName` … */
const NAME_QUALIFIERS = new Set(['full', 'real', 'first', 'last', 'given', 'family', 'sur', 'fore', 'nick', 'legal']);
const ID_WORDS = new Set(['id', 'identity', 'cert', 'certificate', 'idcard']);
const ID_GLUED = new Set(['idcard', 'idno', 'idnumber', 'idnum', 'sfz', 'sfzh', 'sfzhm', 'zjhm']);
const NUMBER_WORDS = new Set(['number', 'no', 'num', 'card', 'code']);
const PHONE_WORDS = new Set(['phone', 'mobile', 'tel', 'telephone', 'cellphone']);
const PHONE_GLUED = new Set(['sjh', 'sjhm', 'lxdh', 'dhhm']);
const NAME_GLUED = new Set(['xm', 'xingming']);

const singular = (word: string) =>
  word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;

/** `patronFullName` → patron full name; `user_name` → user name; `fullname` → full name. */
function wordsOf(key: string): string[] {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return words.flatMap((word) => {
    for (const tail of ['names', 'name', 'phone']) {
      if (word.length > tail.length + 1 && word.endsWith(tail) && !PHONE_WORDS.has(word)) {
        return [word.slice(0, -tail.length), tail];
      }
    }
    return [word];
  });
}

function classifyKey(key: string): KeyKind | undefined {
  const declared = (PERSONAL_FIELDS as Record<string, PersonalDataKind | undefined>)[key];
  if (declared) return declared;
  if (/[\u3400-\u9fff]/.test(key)) {
    if (/身份证|证件号|公民身份/.test(key)) return 'id-number';
    if (/电话|手机|联系方式/.test(key)) return 'phone';
    if (/姓名|名字|姓氏/.test(key)) return 'name';
    if (/[人员者警]$/.test(key)) return 'person';
    return undefined;
  }
  const words = wordsOf(key);
  const last = words.at(-1);
  if (last === undefined) return undefined;
  const joined = words.join('');
  if (ID_GLUED.has(joined)) return 'id-number';
  if (PHONE_GLUED.has(joined)) return 'phone';
  if (NAME_GLUED.has(joined)) return 'name';
  const before = words.slice(0, -1);
  if (NUMBER_WORDS.has(last) && before.some((w) => ID_WORDS.has(w))) return 'id-number';
  if (PHONE_WORDS.has(singular(last)) || (NUMBER_WORDS.has(last) && before.some((w) => PHONE_WORDS.has(w)))) {
    return 'phone';
  }
  if (last === 'name' || last === 'names') {
    if (before.length === 0) return 'bare-name';
    const prev = before.at(-1)!;
    return PERSON_WORDS.has(singular(prev)) || NAME_QUALIFIERS.has(prev) ? 'name' : undefined;
  }
  return PERSON_WORDS.has(singular(last)) ? 'person' : undefined;
}

const keyKinds = new Map<string, KeyKind | null>();
const MAX_CACHED_KEYS = 10_000;

function keyKind(key: string): KeyKind | undefined {
  // Array indices and empty keys are never personal; they would only crowd the cache.
  if (key === '' || (key.charCodeAt(0) >= 0x30 && key.charCodeAt(0) <= 0x39)) return undefined;
  let kind = keyKinds.get(key);
  if (kind === undefined) {
    kind = classifyKey(key) ?? null;
    if (keyKinds.size < MAX_CACHED_KEYS) keyKinds.set(key, kind);
  }
  return kind ?? undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const identifying = (kind: KeyKind | undefined) => kind === 'name' || kind === 'phone' || kind === 'id-number';

function maskAs(kind: PersonalDataKind, value: string): string {
  if (kind === 'name') return maskName(value);
  // A number in a recognised spelling is masked in place; anything else under the key is masked whole.
  const scrubbed = scrubText(value);
  if (scrubbed !== value) return scrubbed;
  return kind === 'phone' ? maskPhone(value) : maskIdNumber(value);
}

/** A person's object with its bare `name` masked, or the object itself when it is no person or has none. */
function maskPersonObject(value: Record<string, unknown>, person: boolean): Record<string, unknown> {
  let bare: string[] | undefined;
  let identified = person;
  // Loops, not callbacks: this runs for every object of every logged or stored value.
  for (const k in value) {
    const kind = keyKind(k);
    if (kind === 'bare-name' && value[k] !== null && value[k] !== undefined) {
      bare ??= [];
      bare.push(k);
    } else if (kind === 'phone' || kind === 'id-number') identified = true;
  }
  if (bare === undefined || !identified) return value;
  const out = { ...value };
  for (const k of bare) out[k] = typeof out[k] === 'string' ? maskName(out[k] as string) : '***';
  return out;
}

function maskPersonItem(item: unknown): unknown {
  return typeof item === 'string' ? maskName(item) : isPlainObject(item) ? maskPersonObject(item, true) : item;
}

/** One value under one key, masked without descending: what the logger's replacer does at each step. */
function maskNode(kind: KeyKind | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (kind === 'person') return maskName(value);
    return kind !== undefined && kind !== 'bare-name' ? maskAs(kind, value) : scrubText(value);
  }
  if (identifying(kind)) return '***';
  const person = kind === 'person';
  if (Array.isArray(value)) {
    return person ? value.map(maskPersonItem) : value;
  }
  return isPlainObject(value) ? maskPersonObject(value, person) : value;
}

function maskDeep(value: unknown, kind: KeyKind | undefined): unknown {
  const masked = maskNode(kind, value);
  if (Array.isArray(masked)) {
    const out: unknown[] = new Array(masked.length);
    for (let i = 0; i < masked.length; i++) out[i] = maskDeep(masked[i], undefined);
    return out;
  }
  if (isPlainObject(masked)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(masked)) out[k] = maskDeep(v, keyKind(k));
    return out;
  }
  return masked;
}

/**
 * Masks a value under a personal-data field name, or returns undefined when the key is not personal by itself
 * (a bare `name` is personal only inside a person: see {@link maskPersonalData}).
 */
export function maskField(key: string, value: unknown): unknown {
  const kind = keyKind(key);
  if (kind === undefined || kind === 'bare-name') return undefined;
  return maskNode(kind, value);
}

/**
 * A deep copy of `value` (plain objects and arrays) with personal data masked:
 * - a key names a **phone** when its last word is phone, mobile, tel(ephone) (or they + number/no: `contactPhone`,
 *   `mobileNo`), or it holds 电话/手机/联系方式, or is `sjhm`/`lxdh`;
 * - an **ID number** when it is id/identity/cert + number/no/card (`idNumber`, `idCardNo`, `certNo`), holds
 *   身份证/证件号, or is `sfzh`/`zjhm`;
 * - a **name** when its last word is `name` after a word naming a person or a name part (`userName`, `patronName`,
 *   `officerName`, `fullName`, `realName`, `surname`), or it holds 姓名/名字, or is `xm`;
 * - a **person** when its last word names one (`holder`, `patron`, `officer`, `contacts` …) or it ends in 人, 员,
 *   者 or 警 (联系人, 持证人, 巡逻员, 民警): a string there is a name, an object or list there is a person;
 * - a bare `name` is a person's name inside a person, or in an object that also holds a phone or ID number;
 *   elsewhere (`place.name`, a device's or a channel's name) it is not.
 * Every other string has ID and mobile numbers scrubbed ({@link scrubText}).
 * @example maskPersonalData({ patron: { name: '李小明', age: 15 } }) // { patron: { name: '李**', age: 15 } }
 */
export function maskPersonalData<T>(value: T): T {
  return maskDeep(value, undefined) as T;
}

/**
 * A `JSON.stringify` replacer that masks personal data by the same rules as {@link maskPersonalData}; the logger
 * uses it so that no log line carries any.
 */
export function personalDataReplacer(key: string, value: unknown): unknown {
  return maskNode(keyKind(key), value);
}
