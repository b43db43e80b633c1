import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { HeartbeatAlarm } from '../../infra/heartbeat-alarm.ts';
import { NOTIFY_LOG_LINES } from '../../shared/app/alert-notifier.ts';
import { testApp } from './test-app.ts';

const byDefault = testApp();
const data = Template.fromStack(byDefault.data);
const functions = Template.fromStack(byDefault.functions);

interface Statement {
  Effect: string;
  Principal?: { Service?: string | string[] };
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const actionsOf = (statement: Statement) => [statement.Action].flat();
const servicesOf = (statement: Statement) => [statement.Principal?.Service ?? []].flat();

/** The data stack's logical id behind an alarm action: `Fn::ImportValue` of an export, or a `Ref` in the same stack. */
function topicOf(action: unknown): string {
  const imported = (action as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (imported === undefined) return (action as { Ref: string }).Ref;
  const output = Object.values(data.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>)
    .filter((o) => o.Export?.Name === imported)
    .map((o) => o.Value as { Ref?: string });
  expect(output, `export ${imported}`).toHaveLength(1);
  return output[0]!.Ref!;
}

function alarmsOf(template: Template) {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
    id,
    properties: alarm.Properties as {
      AlarmActions?: unknown[];
      TreatMissingData?: string;
      Metrics?: { Expression?: string }[];
    },
  }));
}

describe('alarms reach someone', () => {
  const alarms = [...alarmsOf(data), ...alarmsOf(functions)];

  it('gives every alarm an action on a topic that lets CloudWatch publish, under a key CloudWatch may use', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(15);
    const topics = data.findResources('AWS::SNS::Topic');
    const policies = Object.values(data.findResources('AWS::SNS::TopicPolicy'));
    const keys = data.findResources('AWS::KMS::Key');

    for (const { id, properties } of alarms) {
      expect(properties.AlarmActions?.length, id).toBeGreaterThan(0);
      for (const action of properties.AlarmActions!) {
        const topicId = topicOf(action);
        expect(topics[topicId], `${id} → ${topicId}`).toBeDefined();

        // The topic policy allows the CloudWatch service to publish, for this account's alarms only.
        const statements = policies
          .filter((p) => JSON.stringify(p.Properties.Topics).includes(`"${topicId}"`))
          .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
        const publish = statements.filter(
          (s) =>
            s.Effect === 'Allow' &&
            servicesOf(s).includes('cloudwatch.amazonaws.com') &&
            actionsOf(s).includes('sns:Publish') &&
            JSON.stringify(s.Resource) === JSON.stringify({ Ref: topicId }),
        );
        expect(publish, `${id}: topic policy of ${topicId}`).toHaveLength(1);
        expect(publish[0]!.Condition).toEqual({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        });
        expect(JSON.stringify(publish[0]!.Condition!.ArnLike)).toMatch(/:cloudwatch:.*:alarm:\*/);

        // The topic's key lets CloudWatch make and read the message's data key.
        const keyRef = topics[topicId]!.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] };
        const key = keys[keyRef['Fn::GetAtt'][0]]!;
        const keyStatements = key.Properties.KeyPolicy.Statement as Statement[];
        const cloudwatch = keyStatements.filter(
          (s) => s.Effect === 'Allow' && servicesOf(s).includes('cloudwatch.amazonaws.com'),
        );
        expect(cloudwatch.flatMap(actionsOf), `${id}: key of ${topicId}`).toEqual(
          expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
        );
      }
    }
  });

  it('takes no data as healthy where Lambda, SQS or the API publish nothing in quiet times', () => {
    for (const { id, properties } of alarms.filter((a) => !a.id.startsWith('SweepHeartbeat'))) {
      expect(properties.TreatMissingData, id).toBe('notBreaching');
    }
  });

  it('takes silence of the every-minute sweep as the failure it is', () => {
    const [heartbeat] = alarms.filter((a) => a.id.startsWith('SweepHeartbeat'));
    expect(heartbeat?.properties).toMatchObject({
      TreatMissingData: 'breaching',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      MetricName: 'Invocations',
    });
  });

  it('raises an alarm when records arrive on the alarm stream and the rules function is not invoked', () => {
    functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(FILL(records, 0) > 0 AND FILL(invocations, 0) == 0, 1, 0)' }),
        Match.objectLike({
          Id: 'records',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/Kinesis', MetricName: 'IncomingRecords' }),
            Stat: 'Sum',
          }),
        }),
        Match.objectLike({
          Id: 'invocations',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^RulesFunction') } }],
            }),
          }),
        }),
      ]),
    });
  });
});

describe('HeartbeatAlarm', () => {
  it('alarms on fewer than one invocation in the window, and counts no data as the failure', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Scheduled', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    });
    const topic = new sns.Topic(stack, 'Ops');
    new HeartbeatAlarm(stack, 'Heartbeat', {
      fn,
      window: Duration.minutes(5),
      action: new SnsAction(topic),
      description: 'The sweep did not run for 5 minutes.',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Ops') }],
    });
  });
});

describe('ops topic subscriptions', () => {
  it('subscribes the e-mail addresses, HTTPS endpoints and phone numbers of the context', () => {
    const app = testApp({
      opsEmail: 'oncall@example.cn, duty@example.cn',
      opsHttps: ['https://pager.example.cn/sns'],
      opsSms: '+8613800138001',
    });
    const template = Template.fromStack(app.data);
    const opsTopic = { Ref: Match.stringLikeRegexp('^OpsTopic') };
    for (const [Protocol, Endpoint] of [
      ['email', 'oncall@example.cn'],
      ['email', 'duty@example.cn'],
      ['https', 'https://pager.example.cn/sns'],
      ['sms', '+8613800138001'],
    ]) {
      template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: opsTopic, Protocol, Endpoint });
    }
    Annotations.fromStack(app.data).hasNoWarning('*', Match.stringLikeRegexp('ops topic'));
  });

  it('warns, without failing the synth, when nobody is subscribed', () => {
    Template.fromStack(byDefault.data).resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { TopicArn: { Ref: Match.stringLikeRegexp('^OpsTopic') } },
      0,
    );
    Annotations.fromStack(byDefault.data).hasWarning('*', Match.stringLikeRegexp('opsEmail.*opsHttps'));
  });

  it('fails the synth on an invalid address, naming the context key', () => {
    expect(() => testApp({ opsEmail: 'oncall' })).toThrow(/invalid CDK context: opsEmail\.0: must be an e-mail/);
    expect(() => testApp({ opsHttps: 'http://pager.example.cn' })).toThrow(/opsHttps\.0: must be an https:/);
    expect(() => testApp({ opsSms: '13800138001' })).toThrow(/opsSms\.0: must be a phone number/);
  });
});

describe('alarms on what the notifier survives', () => {
  const notifyLogGroup = () => {
    const groups = Object.entries(functions.findResources('AWS::Logs::LogGroup')).filter(([id]) =>
      id.startsWith('Notify'),
    );
    expect(groups).toHaveLength(1);
    return groups[0]![0];
  };

  it.each([
    ['UnroutedAlertSteps', NOTIFY_LOG_LINES.unrouted, 1],
    ['SmsSendFailures', NOTIFY_LOG_LINES.sendFailed, 10],
  ])(
    'counts the %s log lines of the notify function and alarms at %s in five minutes',
    (metric, message, threshold) => {
      functions.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: notifyLogGroup() },
        FilterPattern: `{ $.message = "${message}" }`,
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'sanwang', MetricName: metric, MetricValue: '1' })],
      });
      functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'sanwang',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 300,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    },
  );
});
