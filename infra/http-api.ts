import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface ThrottledHttpApiProps {
  readonly apiName: string;
  readonly description: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetention: logs.RetentionDays;
  /** The JSON access log line: field name → `$context` variable. */
  readonly accessLogFormat: Record<string, string>;
}

/**
 * An HTTP API whose `$default` stage is throttled and access-logged as JSON to a log group of its own. The stage is
 * added by hand: HttpApi's own default stage takes neither throttling nor access logs.
 */
export function throttledHttpApi(scope: Construct, props: ThrottledHttpApiProps) {
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', { retention: props.logRetention });
  const api = new apigwv2.HttpApi(scope, 'Api', {
    apiName: props.apiName,
    description: props.description,
    createDefaultStage: false,
  });
  const stage = api.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(JSON.stringify(props.accessLogFormat)),
    },
  });
  return { api, stage, accessLogs };
}
