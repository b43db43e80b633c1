import { SNSClient } from '@aws-sdk/client-sns';

/** The default SNS client of the functions; local mode sets AWS_ENDPOINT_URL_SNS. */
export function createSnsClient(): SNSClient {
  return new SNSClient({});
}
