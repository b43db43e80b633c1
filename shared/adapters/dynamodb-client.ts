import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The default DynamoDB document client of the functions. The endpoint comes from the SDK's standard variable
 * (AWS_ENDPOINT_URL_DYNAMODB), which is how local mode points the same handlers at its server.
 */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
