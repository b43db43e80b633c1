// STUB — replaced at merge by the desk directory of shared/adapters/desk-directory.ts (the desks engineer's), which
// must satisfy the DeskDirectory port of desk-directory-port.ts. Every call fails until then; the API answers 503.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeskDirectory } from './desk-directory-port.ts';

/** STUB: a DeskDirectory whose every call throws until the real adapter is wired in. */
export function createDeskDirectory(_options: { client: DynamoDBDocumentClient; tableName: string }): DeskDirectory {
  const notYet = async (): Promise<never> => {
    throw new Error('DeskDirectory is not wired yet (shared/app/desk-directory-impl.ts is a stub)');
  };
  return { list: notYet, put: notYet };
}
