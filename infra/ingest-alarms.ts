import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface IngestAlarmsProps {
  readonly fn: lambda.IFunction;
  readonly api: apigwv2.IHttpApi;
  /** The stream the function writes to. */
  readonly stream: kinesis.IStream;
  readonly action: cloudwatch.IAlarmAction;
}

/** Alarms for the ingest path: the function failing, the API answering 5xx, and writes to the stream throttled. */
export class IngestAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: IngestAlarmsProps) {
    super(scope, id);
    const period = Duration.minutes(5);

    const add = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // No requests means no datapoints, for all three: a quiet API is healthy. (An API that stops being called is
        // not visible here; a deployment whose devices post heartbeats could add Count < 1 with missing breaching.)
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(props.action);
      this.alarms.push(alarm);
    };

    add(
      'FunctionErrors',
      props.fn.metricErrors({ period }),
      'The ingest function failed as a whole: integrations got 5xx and must resend.',
    );
    add(
      'Api5xx',
      props.api.metricServerError({ period }),
      'The ingest API answered 5xx (function errors, timeouts or throttling): integrations must resend.',
    );
    add(
      'StreamWriteThrottled',
      props.stream.metricWriteProvisionedThroughputExceeded({ statistic: cloudwatch.Stats.SUM, period }),
      'Writes to the alarm stream were throttled (PutRecords): events may have been refused; sustained throttling ' +
        'needs more shards, or an on-demand stream.',
    );
  }
}
