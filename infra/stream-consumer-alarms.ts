import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface StreamConsumerAlarmsProps {
  readonly fn: lambda.IFunction;
  /** Its event source mapping, which must publish the `EventCount` metrics group. */
  readonly eventSourceMappingId: string;
  readonly action: cloudwatch.IAlarmAction;
  /** The mapping's SQS on-failure destination, if it has one. */
  readonly failureQueue?: sqs.IQueue;
}

/** Alarms for a stream-consuming function: falling behind, failing, throttled, and records given up on. */
export class StreamConsumerAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: StreamConsumerAlarmsProps) {
    super(scope, id);
    const { fn } = props;
    const fiveMinutes = Duration.minutes(5);
    const mappingMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: props.eventSourceMappingId },
        statistic: cloudwatch.Stats.SUM,
        period: fiveMinutes,
      });

    const add = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // No invocations means no datapoints: a quiet stream is healthy.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(props.action);
      this.alarms.push(alarm);
    };

    add(
      'IteratorAge',
      fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      fiveMinutes.toMilliseconds(),
      'The function is more than 5 minutes behind its stream: alerts are late.',
    );
    add('Errors', fn.metricErrors({ period: fiveMinutes }), 0, 'Invocations failed as a whole.');
    add('Throttles', fn.metricThrottles({ period: fiveMinutes }), 0, 'Invocations were throttled.');
    add(
      'RecordsToFailureDestination',
      mappingMetric('OnFailureDestinationDeliveredEventCount'),
      0,
      'Records exhausted their retries or age and were sent to the on-failure destination: inspect and replay.',
    );
    add(
      'RecordsDropped',
      mappingMetric('DroppedEventCount'),
      0,
      'Records were dropped without reaching the on-failure destination: they are lost.',
    );
    if (props.failureQueue) {
      add(
        'FailureQueueNotEmpty',
        props.failureQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: fiveMinutes,
        }),
        0,
        'The on-failure queue holds metadata of failed batches: inspect and replay.',
      );
    }
  }
}
