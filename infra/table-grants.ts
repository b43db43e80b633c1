import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The item families of the one table, by partition-key prefix (the keys are built in shared/adapters/*). A role is
 * granted the families it owns, never the table as a whole.
 */
export const ITEM_FAMILIES = {
  /**
   * `INC#<id>`: an incident (sk `INCIDENT`), its log (`LOG#…`), its deliveries (`ALERT#nnnnnn#<recipient>`), its
   * applied-event pages (`PAGE#…`), and window claims (`INC#<window id>`). The rules, notify, sweep and duty-desk
   * API functions.
   */
  incidents: 'INC#',
  /** `QUARANTINE#<date>`: poison records, one partition per day. The rules function. */
  quarantine: 'QUARANTINE#',
  /** `DEVICE#<source id>`: the device registry (sk `DEVICE`) and held events (`HELD#…`). Ingest and the CLI. */
  devices: 'DEVICE#',
  /** `REPLAY#<integration>#<request id>`: signed request ids already seen. The ingest function. */
  replay: 'REPLAY#',
  /**
   * `DESKS`: the desk directory, one partition (sk `DESK#<id>`) read with one Query. A whole key, not a prefix: the
   * grant names exactly this partition. Read by the notify function (who is on duty), read and written by the
   * duty-desk API (rosters); imported by operators (`npx sanwang desks import`) with their own credentials.
   */
  desks: 'DESKS',
} as const;
export type ItemFamily = keyof typeof ITEM_FAMILIES;

/** The item-level actions a function may be granted (each carries the partition keys it touches). */
export type ItemAction =
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  /** On the table itself: the partition key of the key condition is the one leading key. */
  | 'Query';

/** The `dynamodb:LeadingKeys` pattern of a family: a prefix (`INC#`) matches what follows it, a whole key itself. */
export function leadingKeyPattern(family: ItemFamily): string {
  const key = ITEM_FAMILIES[family];
  return key.endsWith('#') ? `${key}*` : key;
}

/**
 * Allows `actions` on the table's items of `families` only: every partition key a request names
 * (`dynamodb:LeadingKeys`) must start with one of the families' prefixes (or be the family's whole key). Example:
 * `grantItems(fn, table, ['BatchGetItem', 'UpdateItem'], ['incidents'])`.
 */
export function grantItems(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  actions: readonly ItemAction[],
  families: readonly ItemFamily[],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      // The table alone: item actions name no index.
      resources: [table.tableArn],
      // ForAllValues: a batch is allowed only if every key in it is in the families, not just one of them.
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': families.map(leadingKeyPattern) },
      },
    }),
  );
}

/**
 * Allows `dynamodb:Query` on the named indexes of the table, and nothing else on them (an index is read-only, and
 * holds only incident items). No `dynamodb:LeadingKeys` condition: an index's partitions (`ALERT#PENDING`,
 * `COUNTY#…`, `CLOCK#DUE`) are not item families. Example:
 * `grantIndexQuery(fn, table, [tableDesign.indexes.byCounty.name])`.
 */
export function grantIndexQuery(grantee: iam.IGrantable, table: dynamodb.ITable, indexNames: readonly string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: indexNames.map((name) => `${table.tableArn}/index/${name}`),
    }),
  );
}
