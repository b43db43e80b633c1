import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REQUEST_TIMEOUTS } from './request-timeouts.ts';

/**
 * The default DynamoDB document client of the functions. The endpoint comes from the SDK's standard variable
 * (AWS_ENDPOINT_URL_DYNAMODB), which is how local mode points the same handlers at its server.
 */
export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({ requestHandler: REQUEST_TIMEOUTS }),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
