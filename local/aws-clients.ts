import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalEndpoints } from './servers.ts';

/**
 * Region of local mode. us-east-1 because dynalite, kinesalite and fauxqs all default to it and all three put the
 * `aws` partition in their ARNs; a China region would give ARNs such as arn:aws:sns:cn-north-1:… that exist nowhere.
 */
export const LOCAL_REGION = 'us-east-1';

/** Local servers accept any credentials; these only let the SDK sign requests. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** SDK clients bound to the local servers. */
export interface LocalAwsClients {
  region: string;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  kinesis: KinesisClient;
  sns: SNSClient;
  sqs: SQSClient;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/** Builds SDK v3 clients for the local endpoints. */
export function createLocalAwsClients(endpoints: LocalEndpoints, region: string = LOCAL_REGION): LocalAwsClients {
  const common = { region, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  // kinesalite speaks HTTP/1.1 only; the Kinesis client defaults to HTTP/2 and fails with "Protocol error".
  const kinesis = new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() });
  const sns = new SNSClient({ ...common, endpoint: endpoints.sns });
  // fauxqs queue URLs name the host sqs.<region>.localhost, which does not resolve; an explicit endpoint wins over it.
  const sqs = new SQSClient({ ...common, endpoint: endpoints.sqs });
  return {
    region,
    dynamodb,
    documents,
    kinesis,
    sns,
    sqs,
    destroy: () => {
      for (const client of [documents, dynamodb, kinesis, sns, sqs]) client.destroy();
    },
  };
}

/**
 * Environment that makes default SDK clients (`new DynamoDBClient({})`) in the handlers talk to the local servers.
 * Two clients still need a line of code: a KinesisClient needs `requestHandler: new NodeHttpHandler()` (its default
 * HTTP/2 handler cannot talk to kinesalite), and an SQSClient needs `useQueueUrlAsEndpoint: false` (otherwise it
 * sends to the unresolvable host in fauxqs queue URLs instead of AWS_ENDPOINT_URL_SQS).
 */
export function localEndpointEnv(endpoints: LocalEndpoints, region: string = LOCAL_REGION): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}
