import { contentTypeParam } from './content-type.ts';
import { MalformedBodyError } from './device-adapter.ts';

export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const HEADER_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:/;

/** The boundary of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const boundary = contentTypeParam(contentType, 'boundary');
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

/**
 * Splits a multipart body (RFC 2046) into parts, on buffers only. Tolerant where devices are sloppy: LF line ends,
 * a missing close delimiter (the last part runs to the end), parts without headers (Dahua). A body with more than
 * `maxParts` parts is refused whole (MalformedBodyError) as soon as the limit is passed.
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts: number): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = findDelimiter(body, delimiter, 0);
  if (at < 0) throw new MalformedBodyError('multipart body without its boundary delimiter');
  const parts: MultipartPart[] = [];
  while (at >= 0) {
    const after = at + delimiter.length;
    if (body[after] === DASH && body[after + 1] === DASH) break;
    const lineEnd = body.indexOf(LF, after);
    if (lineEnd < 0) break;
    const next = findDelimiter(body, delimiter, lineEnd + 1);
    const end = next < 0 ? body.length : next;
    if (parts.length === maxParts) throw new MalformedBodyError(`multipart body with more than ${maxParts} parts`);
    parts.push(splitPart(body.subarray(lineEnd + 1, trimLineBreak(body, end, lineEnd + 1))));
    at = next;
  }
  return parts;
}

function findDelimiter(body: Buffer, delimiter: Buffer, from: number): number {
  for (let i = body.indexOf(delimiter, from); i >= 0; i = body.indexOf(delimiter, i + 1)) {
    if (i === 0 || body[i - 1] === LF) return i;
  }
  return -1;
}

// The line break before a delimiter belongs to the delimiter, not to the part.
function trimLineBreak(body: Buffer, end: number, start: number): number {
  let e = end;
  if (e > start && body[e - 1] === LF) e--;
  if (e > start && body[e - 1] === CR) e--;
  return e;
}

function splitPart(part: Buffer): MultipartPart {
  const headers: Record<string, string> = Object.create(null);
  let offset = 0;
  for (;;) {
    const lf = part.indexOf(LF, offset);
    const line = part
      .subarray(offset, lf < 0 ? part.length : lf)
      .toString('latin1')
      .replace(/\r$/, '');
    if (line === '') return { headers, body: part.subarray(lf < 0 ? part.length : lf + 1) };
    // No blank line before the content: a part without headers.
    if (!HEADER_LINE.test(line)) return { headers, body: part.subarray(offset) };
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    if (lf < 0) return { headers, body: part.subarray(part.length) };
    offset = lf + 1;
  }
}
