import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeskDirectoryOptions, DynamoDeskDirectory } from '../adapters/desk-directory.ts';

/**
 * The desk directory of the duty-desk API: the desks in the table (pk `DESKS`), read with one consistent Query and
 * kept for a minute, a roster change written back with PutItem (shared/adapters/desk-directory.ts).
 */
export function createDeskDirectory(
  options: { client: DynamoDBDocumentClient; tableName: string } & DeskDirectoryOptions,
): DynamoDeskDirectory {
  return new DynamoDeskDirectory(options);
}
