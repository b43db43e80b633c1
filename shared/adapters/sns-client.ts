import { SNSClient } from '@aws-sdk/client-sns';
import { REQUEST_TIMEOUTS } from './request-timeouts.ts';

/** The default SNS client of the functions; local mode sets AWS_ENDPOINT_URL_SNS. */
export function createSnsClient(): SNSClient {
  return new SNSClient({ requestHandler: REQUEST_TIMEOUTS });
}
