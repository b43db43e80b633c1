import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './dynamo-batch.ts';

/** Remembers signed request ids for the signature window, so a captured request cannot be sent twice. */
export interface ReplayGuard {
  /** True the first time an (integration, request id) is seen within the window, false after. */
  firstUse(integrationId: string, requestId: string, now: Date): Promise<boolean>;
}

export class DynamoReplayGuard implements ReplayGuard {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #windowSeconds: number;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; windowSeconds: number }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#windowSeconds = options.windowSeconds;
  }

  async firstUse(integrationId: string, requestId: string, now: Date): Promise<boolean> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            pk: `REPLAY#${integrationId}#${requestId}`,
            sk: 'REQUEST',
            seenAt: now.toISOString(),
            // Twice the window: a timestamp may be up to the window in the future as well as in the past.
            expiresAt: nowSeconds + 2 * this.#windowSeconds,
          },
          // An entry TTL has not deleted yet is expired all the same.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
