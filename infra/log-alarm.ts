import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface LogAlarmProps {
  readonly logGroup: logs.ILogGroup;
  /** The exact `message` of the structured log line to count (the Powertools JSON logger's field). */
  readonly message: string;
  /** The metric's name under the `sanwang` namespace. */
  readonly metricName: string;
  /** Lines in five minutes that raise the alarm. */
  readonly threshold: number;
  readonly action: cloudwatch.IAlarmAction;
  readonly description: string;
}

/**
 * Counts one kind of structured log line of a function and alarms when too many appear in five minutes: for what
 * the function survives but an operator must hear of (an alert step nobody covers, texts that keep failing).
 * @example new LogAlarm(this, 'Unrouted', { logGroup, message: 'alert step has nobody to tell…', metricName, threshold: 1, action, description })
 */
export class LogAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LogAlarmProps) {
    super(scope, id);
    const filter = new logs.MetricFilter(this, 'Filter', {
      logGroup: props.logGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', props.message),
      metricNamespace: 'sanwang',
      metricName: props.metricName,
      metricValue: '1',
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: props.threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No line is the healthy case: a filter publishes nothing when nothing matches.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
    });
    this.alarm.addAlarmAction(props.action);
  }
}
