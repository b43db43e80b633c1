import { maskIdNumber, maskPersonalData, maskPhone, scrubText } from './personal-data-masking.ts';

/** A stream record that can never become an event: kept for an operator to read, never retried. */
export interface PoisonRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  arrivedAt: string;
  /** One line naming the field(s) and what is wrong, masked. */
  reason: string;
  /** The record as it came, personal data masked; binary data is kept as base64. */
  raw: string;
  rawEncoding: 'utf8' | 'base64';
  rawBytes: number;
}

export const MAX_RAW_CHARS = 16_384;

/**
 * The stored form of a record's bytes: JSON with personal fields masked, or text with ID and phone numbers
 * scrubbed, or base64 when the bytes are not text.
 */
export function maskedRaw(bytes: Uint8Array): Pick<PoisonRecord, 'raw' | 'rawEncoding' | 'rawBytes'> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      raw: scrubBytes(bytes).toString('base64').slice(0, MAX_RAW_CHARS),
      rawEncoding: 'base64',
      rawBytes: bytes.length,
    };
  }
  let masked: string;
  try {
    masked = JSON.stringify(maskPersonalData(JSON.parse(text)));
  } catch {
    masked = scrubText(text);
  }
  return { raw: masked.slice(0, MAX_RAW_CHARS), rawEncoding: 'utf8', rawBytes: bytes.length };
}

// In GBK/GB2312 (café systems, GB/T 28181 devices) digits are single ASCII bytes and never a trail byte, so ID and
// mobile numbers can be found byte-wise even when the text is not UTF-8. Letters can be trail bytes: match on
// digit boundaries only.
const ID_BYTES = /(?<!\d)\d{17}[\dXx](?!\d)/g;
const PHONE_BYTES = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/** The same bytes with ID and mobile numbers masked; other bytes untouched (latin1 maps bytes 1:1). */
export function scrubBytes(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('latin1');
  const plain = text.replace(ID_BYTES, maskIdNumber).replace(PHONE_BYTES, maskPhone);
  return Buffer.from(
    plain.replace(WIDE_ID_BYTES, wide(maskIdNumber)).replace(WIDE_PHONE_BYTES, wide(maskPhone)),
    'latin1',
  );
}

// Full-width digits (０–９, GBK A3 B0–A3 B9), X (A3 D8) and x (A3 F8): café software often types numbers this way.
const W = '\\xA3[\\xB0-\\xB9]';
const WIDE_ID_BYTES = new RegExp(
  `(?<!\\xA3[\\xB0-\\xB9])(?:${W}){17}\\xA3[\\xB0-\\xB9\\xD8\\xF8](?!\\xA3[\\xB0-\\xB9])`,
  'g',
);
const WIDE_PHONE_BYTES = new RegExp(
  `(?<!\\xA3[\\xB0-\\xB9])\\xA3\\xB1\\xA3[\\xB3-\\xB9](?:${W}){9}(?!\\xA3[\\xB0-\\xB9])`,
  'g',
);

/** Masks a number spelled in GBK full-width digits, two bytes a character, keeping its length. */
function wide(mask: (plain: string) => string) {
  return (bytes: string): string => {
    let plain = '';
    for (let i = 1; i < bytes.length; i += 2) {
      const b = bytes.charCodeAt(i);
      plain += b === 0xd8 || b === 0xf8 ? 'X' : String(b - 0xb0);
    }
    return [...mask(plain)]
      .map((c) => `\xA3${c === '*' ? '\xAA' : c === 'X' ? '\xD8' : String.fromCharCode(0xb0 + Number(c))}`)
      .join('');
  };
}
