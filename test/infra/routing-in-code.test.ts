import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { tableDesign } from '../../shared/table-design.ts';
import { policyStatements, testApp } from './test-app.ts';

// Routing in code: the duty desks are data in the table (pk `DESKS`, imported with `npx sanwang desks import`),
// and the notify function texts each officer on duty with SNS Publish to a phone number. No alert topic, no SMS
// subscription, no phone number in a template.

/** Mainland mobiles in any spelling a template could hold them (138…, +86138…, 86-138…), and any E.164 number. */
const PHONE = [/(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)/, /\+[1-9]\d{7,14}(?!\d)/];

const templatesOf = (app: ReturnType<typeof testApp>) => [
  Template.fromStack(app.data),
  Template.fromStack(app.functions),
];

function expectNoPhoneNumber(json: unknown, what: string) {
  const text = JSON.stringify(json);
  for (const pattern of PHONE) expect(text, `${what} ${pattern}`).not.toMatch(pattern);
}

const byDefault = testApp();
const [data, functions] = templatesOf(byDefault) as [Template, Template];

describe('no phone number in any template', () => {
  it('holds none in either stack by default', () => {
    expectNoPhoneNumber(data.toJSON(), 'SanwangData');
    expectNoPhoneNumber(functions.toJSON(), 'SanwangFunctions');
  });

  it('holds none with every context but opsSms set, a desks file among them (which the app no longer reads)', () => {
    const app = testApp({
      desksFile: 'config/desks.json',
      smsSenderId: 'SANWANG',
      opsEmail: 'oncall@example.cn',
      opsHttps: 'https://pager.example.cn/sns',
    });
    for (const [i, template] of templatesOf(app).entries()) expectNoPhoneNumber(template.toJSON(), `stack ${i}`);
  });

  it('holds an ops number only where the operator put it: the ops topic subscription of opsSms', () => {
    const app = testApp({ opsSms: '+8613800138001' });
    const template = Template.fromStack(app.data).toJSON() as { Resources: Record<string, { Type: string }> };
    const withNumber = Object.entries(template.Resources).filter(([, r]) =>
      PHONE.some((p) => p.test(JSON.stringify(r))),
    );
    expect(withNumber.map(([id, r]) => [r.Type, id.replace(/[0-9A-F]{8}$/, '')])).toEqual([
      ['AWS::SNS::Subscription', 'OpsSubscriptionssms1'],
    ]);
    expectNoPhoneNumber(Template.fromStack(app.functions).toJSON(), 'SanwangFunctions');
  });
});

describe('no alert topic, no SMS subscription', () => {
  it('has no SNS subscription by default, and an SMS subscription only on the ops topic', () => {
    data.resourceCountIs('AWS::SNS::Subscription', 0);
    const app = testApp({ opsSms: '+8613800138001', opsEmail: 'oncall@example.cn' });
    const subscriptions = Object.values(Template.fromStack(app.data).findResources('AWS::SNS::Subscription'));
    const sms = subscriptions.filter((s) => s.Properties.Protocol === 'sms');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.Properties.TopicArn).toEqual({ Ref: expect.stringMatching(/^OpsTopic/) });
  });

  it('names no topic in the functions stack but the ops topic of the alarms', () => {
    const text = JSON.stringify(functions.toJSON());
    expect(text).not.toMatch(/AlertTopic|TOPIC_ARN/);
    const imports = [...text.matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]!);
    expect(imports.filter((name) => /Topic/.test(name)).every((name) => /OpsTopic/.test(name))).toBe(true);
  });

  it('gives notify the table and the time zone, and no topic', () => {
    const notify = Object.values(functions.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'sanwang-notify',
    )!;
    expect(notify.Properties.Environment.Variables).toEqual({
      TABLE_NAME: { 'Fn::ImportValue': expect.stringMatching(/IncidentTable/) },
      TIME_ZONE: 'Asia/Shanghai',
      POWERTOOLS_SERVICE_NAME: 'sanwang-notify',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('acknowledges the SMS publish on * on its own policy, with the reason', () => {
    const { app } = testApp();
    const policy = app.node.findAll().find((c) => c.node.path === 'SanwangFunctions/Notify/SmsPublish/Policy');
    expect(policy).toBeDefined();
    const acknowledged = Object.assign(
      {},
      ...policy!.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .map((entry) => entry.data as Record<string, string>),
    ) as Record<string, string>;
    const reason = Object.entries(acknowledged).find(([id]) => id.endsWith('AwsSolutions-IAM5[Resource::*]'))?.[1];
    expect(reason).toMatch(/PhoneNumber/);
    expect(reason).toMatch(/Deny/);
    // The policy holds the SMS statements and nothing else.
    const statements = policyStatements(functions).filter((s) => [s.Action].flat().includes('sns:Publish'));
    expect(statements.map((s) => s.Effect)).toEqual(['Allow', 'Deny']);
  });
});

describe('the due-clocks index and the sweep', () => {
  it('creates the due-clocks index from tableDesign, sparse keys, every attribute projected', () => {
    const { dueClocks } = tableDesign.indexes;
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: dueClocks.name,
          KeySchema: [
            { AttributeName: dueClocks.partitionKey, KeyType: 'HASH' },
            { AttributeName: dueClocks.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ]),
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: dueClocks.partitionKey, AttributeType: 'S' },
        { AttributeName: dueClocks.sortKey, AttributeType: 'S' },
      ]),
    });
  });

  it('creates every index of tableDesign, and no other', () => {
    const [table] = Object.values(data.findResources('AWS::DynamoDB::Table'));
    const names = (table!.Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName);
    expect(names.sort()).toEqual(
      Object.values(tableDesign.indexes)
        .map((i) => i.name)
        .sort(),
    );
  });

  it('schedules the sweep every minute, and its role may Query the due-clocks index', () => {
    const sweepFunction = Object.keys(functions.findResources('AWS::Lambda::Function')).find((id) =>
      id.startsWith('SweepFunction'),
    )!;
    const rules = Object.values(functions.findResources('AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(sweepFunction),
    );
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);
    const sweepRole = Object.keys(functions.findResources('AWS::IAM::Role')).find((id) => id.startsWith('SweepRole'))!;
    const onDueClocks = policyStatements(functions).filter(
      (s) =>
        s.role === sweepRole && JSON.stringify(s.Resource).includes(`/index/${tableDesign.indexes.dueClocks.name}"`),
    );
    expect(onDueClocks.map((s) => [s.Effect, s.Action])).toEqual([['Allow', 'dynamodb:Query']]);
  });
});
