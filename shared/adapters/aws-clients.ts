import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Default clients for the functions. Endpoints come from the SDK's standard variables
 * (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SNS), which is how local mode points the same handlers at its servers.
 */
export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSnsClient(): SNSClient {
  return new SNSClient({});
}

/** The default Kinesis client (HTTP/2); local mode fronts kinesalite with an HTTP/2 proxy rather than change it. */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient({});
}
