import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/aws-clients.ts';

/** Calls by command, counted where the SDK sends them (`calls`: command name without `Command` → count). */
export function counted<C extends { middlewareStack: unknown }>(client: C, calls: Map<string, number>): C {
  (client.middlewareStack as { add(m: unknown, o: { step: 'initialize'; name: string }): void }).add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const name = (context.commandName ?? '?').replace(/Command$/, '');
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'benchCount' },
  );
  return client;
}

/** A document client of the local DynamoDB, as the functions build theirs; counted into `calls` when given. */
export function localDocumentClient(endpoint: string, calls?: Map<string, number>): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return calls ? counted(client, calls) : client;
}
