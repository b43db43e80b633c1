import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { contentTypeParam } from './content-type.ts';
import { MalformedBodyError } from './device-adapter.ts';

/** An XML element with its namespace resolved; `scope` maps the prefixes in scope (`''` = default) to URIs. */
export interface XmlElement {
  /** Namespace URI, or `''` when the element has none. */
  ns: string;
  local: string;
  /** Attributes by local name (prefixes dropped; namespace declarations left out). */
  attrs: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** The element's own text, trimmed, CDATA included. */
  text: string;
  scope: ReadonlyMap<string, string>;
  /** Where the element starts and ends in the parsed text: `text.slice(start, end)` is its source. */
  start: number;
  end: number;
}

export const XML_NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tt: 'http://www.onvif.org/ver10/schema',
  tns1: 'http://www.onvif.org/ver10/topics',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
} as const;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  cdataPropName: false,
  captureMetaData: true,
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type OrderedNode = Record<string, unknown>;
const NO_ATTRS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Parses one XML document into a namespace-resolved tree. Throws MalformedBodyError with the line and column of the
 * first problem, in words that never quote the body. DOCTYPE is refused: no device needs it, and entity expansion
 * is an attack surface.
 */
export function parseXml(text: string): XmlElement {
  const doctype = /<!DOCTYPE/i.exec(text);
  if (doctype) throw new MalformedBodyError('XML with a DOCTYPE is not accepted', positionAt(text, doctype.index));
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, col } = valid.err;
    // The validator leaves out the column when it found no element at all: the text ended where one was expected.
    const position = col === undefined ? positionAt(text, text.length) : { line, column: col };
    throw new MalformedBodyError(`not well-formed XML: ${unquoted(valid.err.msg)}`, position);
  }
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch {
    throw guardError(text);
  }
  const roots = Array.isArray(nodes) ? nodes.filter((n): n is OrderedNode => elementName(n) !== undefined) : [];
  if (roots.length !== 1) {
    const second = roots[1] && startOf(roots[1]);
    throw new MalformedBodyError('XML must have exactly one root element', positionAt(text, second ?? text.length));
  }
  return toElement(roots[0]!, new Map());
}

// The validator's messages name the tags, attributes and characters they trip on: those are the body's own bytes.
function unquoted(message: string): string {
  return message
    .replace(/\s*'[^']*'/g, '')
    .replace(/\s*"[^"]*"/g, '')
    .slice(0, 160);
}

// The parser keeps prefixes in names, so only an unprefixed name is one of its reserved ones.
const RESERVED = '(?:__proto__|constructor|prototype)';
const RESERVED_NAME = new RegExp(`<\\/?${RESERVED}(?=[\\s/>])|\\s${RESERVED}\\s*=\\s*["']`);
const MAX_DEPTH = 100;

/**
 * The validator passed, so the parser stopped at one of its own guards: a name that could pollute prototypes, or
 * nesting deeper than it allows. Both are located here, since the parser's message names neither place.
 */
function guardError(text: string): MalformedBodyError {
  const reserved = RESERVED_NAME.exec(text);
  if (reserved) {
    return new MalformedBodyError(
      'XML names an element or attribute __proto__, constructor or prototype',
      positionAt(text, reserved.index),
    );
  }
  let depth = 0;
  for (const tag of text.matchAll(/<(\/?)[^\s>/!?][^>]*?(\/?)>/g)) {
    if (tag[1]) depth--;
    else if (!tag[2] && ++depth > MAX_DEPTH) {
      return new MalformedBodyError(`XML nested more than ${MAX_DEPTH} elements deep`, positionAt(text, tag.index));
    }
  }
  return new MalformedBodyError('unreadable XML', positionAt(text, 0));
}

function startOf(node: OrderedNode): number | undefined {
  return (node as Record<symbol, { startIndex?: number } | undefined>)[META]?.startIndex;
}

function elementName(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}

function toElement(node: OrderedNode, parentScope: ReadonlyMap<string, string>): XmlElement {
  const name = elementName(node)!;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
  let scope = parentScope;
  const attrs: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(rawAttrs)) {
    const v = String(value);
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(key === 'xmlns' ? '' : key.slice(6), v);
    } else {
      attrs[localName(key)] = v;
    }
  }
  const { prefix, local } = splitQName(name);
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[name] ?? []) as unknown[]) {
    if (child !== null && typeof child === 'object' && '#text' in child) text += String(child['#text']);
    else if (elementName(child) !== undefined) children.push(toElement(child as OrderedNode, scope));
  }
  const meta = (node as Record<symbol, { startIndex?: number; endIndex?: number } | undefined>)[META];
  return {
    ns: scope.get(prefix) ?? '',
    local,
    attrs: Object.keys(attrs).length ? attrs : NO_ATTRS,
    children,
    text: text.trim(),
    scope,
    start: meta?.startIndex ?? 0,
    end: meta?.endIndex ?? 0,
  };
}

function splitQName(qname: string): { prefix: string; local: string } {
  const colon = qname.indexOf(':');
  return colon < 0 ? { prefix: '', local: qname } : { prefix: qname.slice(0, colon), local: qname.slice(colon + 1) };
}

function localName(qname: string): string {
  return splitQName(qname).local;
}

/** Resolves a QName written in text content (an ONVIF topic) against the element's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const { prefix, local } = splitQName(qname.trim());
  return { ns: el.scope.get(prefix), local };
}

/** The first child with this namespace URI and local name. */
export function child(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && c.ns === ns);
}

/** Every child with this namespace URI and local name. */
export function childrenNamed(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.local === local && c.ns === ns) : [];
}

/** The text of the first matching child, or undefined when it is missing or empty. */
export function childText(el: XmlElement | undefined, ns: string, local: string): string | undefined {
  const text = child(el, ns, local)?.text;
  return text ? text : undefined;
}

/** Line and column (1-based) of a character offset, for error messages. */
export function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

const DECLARED_ENCODING = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']/;

/**
 * Decodes an XML body: a byte-order mark wins, then the encoding the XML declaration names, then the Content-Type
 * charset, then `fallback`. GB2312 and GBK are read with the GB18030 decoder, their superset.
 */
export function decodeXml(body: Buffer, contentType: string, fallback = 'utf-8'): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return decodeAs(body.subarray(3), 'utf-8');
  if (body[0] === 0xfe && body[1] === 0xff) return decodeAs(body.subarray(2), 'utf-16be');
  if (body[0] === 0xff && body[1] === 0xfe) return decodeAs(body.subarray(2), 'utf-16le');
  // The declaration is ASCII in every encoding we read, so the first bytes can be looked at as latin1.
  const declared = DECLARED_ENCODING.exec(body.subarray(0, 200).toString('latin1'))?.[1];
  return decodeAs(body, declared ?? contentTypeParam(contentType, 'charset') ?? fallback, declared !== undefined);
}

function decodeAs(bytes: Buffer, label: string, declared = false): string {
  const normalized = /^(gb2312|gbk|gb_2312-80|x-gbk|cp936|gb18030)$/i.test(label) ? 'gb18030' : label.toLowerCase();
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(normalized);
  } catch {
    // The declaration is the body's first line; a Content-Type charset is no place in the body.
    throw new MalformedBodyError(
      declared
        ? 'the XML declaration names an unsupported character encoding'
        : 'the Content-Type charset is an unsupported character encoding',
      declared ? { line: 1, column: 1 } : undefined,
    );
  }
  return decoder.decode(bytes);
}
