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
  /**
   * Records arriving at the source (Sum), when the source publishes them: then an alarm also fires when records
   * arrive and the function is not invoked at all (a disabled or broken mapping, which no other metric shows).
   */
  readonly sourceRecords?: cloudwatch.IMetric;
}

/** Alarms for a stream-consuming function: falling behind, failing, throttled, stalled, and records given up on. */
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

    const add = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      treatMissingData: cloudwatch.TreatMissingData,
      description: string,
      evaluationPeriods = 1,
    ) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData,
        alarmDescription: description,
      });
      alarm.addAlarmAction(props.action);
      this.alarms.push(alarm);
    };

    // Lambda publishes IteratorAge, Errors, Throttles and the mapping's counts only when it invokes the function or
    // handles a record, so for these no data is a quiet stream: healthy. A consumer that stops being invoked is the
    // Stalled alarm's to see, where the source's own metric is available.
    const quiet = cloudwatch.TreatMissingData.NOT_BREACHING;
    add(
      'IteratorAge',
      fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      fiveMinutes.toMilliseconds(),
      quiet,
      'The function is more than 5 minutes behind its stream: alerts are late.',
    );
    add('Errors', fn.metricErrors({ period: fiveMinutes }), 0, quiet, 'Invocations failed as a whole.');
    add('Throttles', fn.metricThrottles({ period: fiveMinutes }), 0, quiet, 'Invocations were throttled.');
    add(
      'RecordsToFailureDestination',
      mappingMetric('OnFailureDestinationDeliveredEventCount'),
      0,
      quiet,
      'Records exhausted their retries or age and were sent to the on-failure destination: inspect and replay.',
    );
    add(
      'RecordsDropped',
      mappingMetric('DroppedEventCount'),
      0,
      quiet,
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
        // SQS stops publishing for a queue that has been empty and untouched for hours: no data is an empty queue.
        quiet,
        'The on-failure queue holds metadata of failed batches: inspect and replay.',
      );
    }
    if (props.sourceRecords) {
      // Silence of the function is the failure here, so it is filled with 0 rather than left missing; a period in
      // which the source published nothing either is a quiet stream (missing: healthy).
      const stalled = new cloudwatch.MathExpression({
        expression: 'IF(FILL(records, 0) > 0 AND FILL(invocations, 0) == 0, 1, 0)',
        usingMetrics: { records: props.sourceRecords, invocations: fn.metricInvocations() },
        period: fiveMinutes,
        label: 'records arrived, function not invoked',
      });
      add(
        'Stalled',
        stalled,
        0,
        quiet,
        'Records arrived on the stream for 10 minutes and the function was not invoked once: the event source ' +
          'mapping is disabled or failing, and no incident is being opened.',
        2,
      );
    }
  }
}
