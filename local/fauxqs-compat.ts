import { randomUUID } from 'node:crypto';
import type { buildApp } from 'fauxqs';

/*
 * fauxqs 1.9 diverges from Amazon SNS in two ways that matter for duty-desk routing (pinned by
 * test/integration/local-servers.test.ts):
 *  - a filter policy compares a String.Array attribute as one raw string ('["a","b"]' never equals "a"), where SNS
 *    matches when any element matches;
 *  - Publish ignores MessageStructure 'json' and delivers the whole JSON document instead of the `sqs`/`default`
 *    variant.
 * It also accepts PublishBatch with more than 10 entries or repeated ids, which SNS rejects.
 * The shim below rewrites SNS requests before fauxqs sees them; `localFilterPolicy` rewrites subscription policies to
 * match the extra attributes the shim adds. Anything the shim cannot express fails loudly instead of mis-routing.
 */

/** Separates an attribute name from an array member in the attributes the shim adds: `jurisdiction#140581`. */
export const ARRAY_MEMBER_SEPARATOR = '#';

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const SAFE_MEMBER = /^[A-Za-z0-9_.:-]{1,200}$/;
const MAX_BATCH_ENTRIES = 10;

type FormParams = Record<string, string>;

class SnsRequestError extends Error {
  override name = 'SnsRequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Installs the SNS request shim on a fauxqs app; call before `listen`. */
export function installSnsCompat(app: ReturnType<typeof buildApp>): void {
  app.addHook('preHandler', async (request, reply) => {
    if (!String(request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return;
    const params = request.body as FormParams | undefined;
    if (!params || (params.Action !== 'Publish' && params.Action !== 'PublishBatch')) return;
    try {
      if (params.Action === 'Publish') adaptEntry(params, '');
      else for (const prefix of batchEntryPrefixes(params)) adaptEntry(params, prefix);
    } catch (error) {
      if (!(error instanceof SnsRequestError)) throw error;
      return reply.code(400).header('content-type', 'text/xml').send(errorXml(error));
    }
  });
}

/**
 * The filter policy to give fauxqs so that it routes like SNS would with `policy`, given the shim's extra
 * attributes: an exact-string condition also matches a String.Array attribute that contains the string.
 * Throws when the policy needs more than fauxqs's single top-level `$or` can express.
 * @example localFilterPolicy({ jurisdiction: ['140581'] }) // { $or: [{ jurisdiction: ['140581'] }, { 'jurisdiction#140581': [{ exists: true }] }] }
 */
export function localFilterPolicy(policy: Record<string, unknown>): Record<string, unknown> {
  const arrayKeys = Object.entries(policy).filter(
    ([key, conditions]) => key !== '$or' && Array.isArray(conditions) && conditions.some((c) => typeof c === 'string'),
  );
  if (arrayKeys.length === 0) return policy;
  if (arrayKeys.length > 1 || '$or' in policy) {
    throw new Error(
      `local SNS cannot express this filter policy (String.Array matching on ${arrayKeys.map(([k]) => k).join(', ')}` +
        `${'$or' in policy ? ' with $or' : ''}): ${JSON.stringify(policy)}`,
    );
  }
  const [key, conditions] = arrayKeys[0] as [string, unknown[]];
  const members = conditions.filter((c): c is string => typeof c === 'string');
  const unsafe = members.filter((m) => !SAFE_MEMBER.test(m));
  if (unsafe.length > 0) throw new Error(`local SNS cannot match String.Array members ${JSON.stringify(unsafe)}`);
  const { [key]: _replaced, ...rest } = policy;
  return {
    ...rest,
    $or: [{ [key]: conditions }, ...members.map((m) => ({ [memberAttribute(key, m)]: [{ exists: true }] }))],
  };
}

/** Drops the attributes the shim added, e.g. before showing a received desk message. */
export function withoutShimAttributes<T>(attributes: Record<string, T> | undefined): Record<string, T> {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).filter(([name]) => !name.includes(ARRAY_MEMBER_SEPARATOR)),
  );
}

function memberAttribute(name: string, member: string): string {
  return `${name}${ARRAY_MEMBER_SEPARATOR}${member}`;
}

function batchEntryPrefixes(params: FormParams): string[] {
  const ids = new Map<string, string>();
  for (const [key, value] of Object.entries(params)) {
    const match = /^PublishBatchRequestEntries\.member\.(\d+)\.Id$/.exec(key);
    if (match) ids.set(`PublishBatchRequestEntries.member.${match[1]}.`, value);
  }
  if (ids.size === 0) throw new SnsRequestError('EmptyBatchRequest', 'The batch request does not contain any entries.');
  if (ids.size > MAX_BATCH_ENTRIES) {
    throw new SnsRequestError(
      'TooManyEntriesInBatchRequest',
      'The batch request contains more entries than permissible.',
    );
  }
  if (new Set(ids.values()).size !== ids.size) {
    throw new SnsRequestError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
  }
  return [...ids.keys()];
}

/** Applies MessageStructure and String.Array expansion to one Publish (prefix '') or PublishBatch entry. */
function adaptEntry(params: FormParams, prefix: string): void {
  if (params[`${prefix}MessageStructure`] === 'json') {
    params[`${prefix}Message`] = sqsVariant(params[`${prefix}Message`]);
    delete params[`${prefix}MessageStructure`];
  }
  const attributePrefix = `${prefix}MessageAttributes.entry.`;
  const indices = new Set<number>();
  for (const key of Object.keys(params)) {
    const match = key.startsWith(attributePrefix) ? /^(\d+)\.Name$/.exec(key.slice(attributePrefix.length)) : null;
    if (match) indices.add(Number(match[1]));
  }
  let next = Math.max(0, ...indices) + 1;
  for (const index of indices) {
    const entry = `${attributePrefix}${index}.`;
    if (params[`${entry}Value.DataType`] !== 'String.Array') continue;
    const name = params[`${entry}Name`] ?? '';
    for (const member of arrayMembers(name, params[`${entry}Value.StringValue`])) {
      params[`${attributePrefix}${next}.Name`] = memberAttribute(name, member);
      params[`${attributePrefix}${next}.Value.DataType`] = 'String';
      params[`${attributePrefix}${next}.Value.StringValue`] = member;
      next += 1;
    }
  }
}

/** SNS delivers the `sqs` variant to SQS endpoints, else `default`, and rejects a document without `default`. */
function sqsVariant(message: string | undefined): string {
  let document: unknown;
  try {
    document = JSON.parse(message ?? '');
  } catch {
    throw new SnsRequestError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - JSON message body failed to parse',
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new SnsRequestError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - JSON message body must be an object',
    );
  }
  const variants = document as Record<string, unknown>;
  if (typeof variants.default !== 'string') {
    throw new SnsRequestError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
  return typeof variants.sqs === 'string' ? variants.sqs : variants.default;
}

function arrayMembers(name: string, value: string | undefined): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value ?? '');
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    throw new SnsRequestError(
      'ParameterValueInvalid',
      `The message attribute '${name}' has an invalid String.Array value.`,
    );
  }
  // Members that cannot form an attribute name cannot be named by a policy either (see localFilterPolicy).
  return [...new Set(parsed.filter((m) => typeof m === 'string' || typeof m === 'number').map(String))].filter((m) =>
    SAFE_MEMBER.test(m),
  );
}

function errorXml(error: SnsRequestError): string {
  const escaped = error.message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return (
    `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>Sender</Type><Code>${error.code}</Code>` +
    `<Message>${escaped}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}
