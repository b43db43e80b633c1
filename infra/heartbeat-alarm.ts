import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface HeartbeatAlarmProps {
  /** A function that runs on a schedule. */
  readonly fn: lambda.IFunction;
  /** A window that holds several scheduled runs (5 minutes for a run every minute): no run in it raises the alarm. */
  readonly window: Duration;
  readonly action: cloudwatch.IAlarmAction;
  readonly description: string;
}

/**
 * Alarms when a scheduled function stops running: fewer than one invocation in `window`. Lambda publishes no
 * Invocations datapoint for a function that did not run, so missing data is the failure itself and counts as
 * breaching. Example: `new HeartbeatAlarm(this, 'SweepHeartbeat', { fn, window: Duration.minutes(5), action, description })`.
 */
export class HeartbeatAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HeartbeatAlarmProps) {
    super(scope, id);
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      metric: props.fn.metricInvocations({ statistic: cloudwatch.Stats.SUM, period: props.window }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      alarmDescription: props.description,
    });
    this.alarm.addAlarmAction(props.action);
  }
}
