import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { ownCodeBytes } from '../../infra/bundle-options.ts';
import { cdkJson, policyStatements, testApp } from './test-app.ts';

const byDefault = testApp();
const data = Template.fromStack(byDefault.data);
const functions = Template.fromStack(byDefault.functions);

describe('SanwangData', () => {
  it('builds the incident table from tableDesign, encrypted, recoverable and retained', () => {
    data.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: Match.arrayWith(
          [
            ['pending-alerts', 'gsi1pk', 'gsi1sk'],
            ['by-county', 'gsi2pk', 'gsi2sk'],
            ['due-clocks', 'gsi3pk', 'gsi3sk'],
          ].map(([IndexName, hash, range]) => ({
            IndexName,
            KeySchema: [
              { AttributeName: hash, KeyType: 'HASH' },
              { AttributeName: range, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        ),
      },
    });
  });

  it('rotates the one data key', () => {
    data.resourceCountIs('AWS::KMS::Key', 1);
    data.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('encrypts the on-demand alarm stream with the data key', () => {
    data.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] } },
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
  });

  it('has one topic, the ops topic: encrypted, and denying publishing without TLS', () => {
    data.resourceCountIs('AWS::SNS::Topic', 1);
    expect(Object.keys(data.findResources('AWS::SNS::Topic'))[0]).toMatch(/^OpsTopic/);
    data.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() }, 1);
    data.resourcePropertiesCountIs(
      'AWS::SNS::TopicPolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      1,
    );
  });

  const dataKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };

  it('keeps failed batches in a private, TLS-only bucket under the data key; every trace expires', () => {
    data.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: dataKey },
              BucketKeyEnabled: true,
            },
          ],
        },
        LifecycleConfiguration: {
          Rules: [
            {
              ExpirationInDays: 30,
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              Status: 'Enabled',
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      },
    });
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts the notify failure queue with the data key, keeps it the quarantine days (SQS: 14 at most), TLS only', () => {
    data.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: dataKey, MessageRetentionPeriod: 14 * 86_400 });
    data.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('lets no role of the app read, delete or take a failed batch: only operators replay them', () => {
    const statements = [...policyStatements(data), ...policyStatements(functions)];
    const actions = statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => /^s3:(\*|Get|Delete|Restore)/.test(a))).toEqual([]);
    expect(actions.filter((a) => /^sqs:(\*|Receive|Delete|ChangeMessageVisibility|Purge)/.test(a))).toEqual([]);
    // What the mappings need to deliver a failed batch, and nothing more.
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
  });

  it('outputs the stream, table, ops topic and the integrations secret; no alert topic', () => {
    expect(Object.keys(data.toJSON().Outputs)).not.toContain('AlertTopicArn');
    for (const output of [
      'StreamName',
      'TableName',
      'OpsTopicArn',
      'IntegrationsSecretArn',
      'QuarantineBucketName',
      'NotifyFailureQueueUrl',
    ]) {
      data.hasOutput(output, {});
    }
  });
});

describe('SanwangFunctions', () => {
  it('runs the five handlers on nodejs24.x arm64 with their own log groups and no managed policies', () => {
    functions.resourceCountIs('AWS::Lambda::Function', 5);
    functions.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs24.x', Architectures: ['arm64'], LoggingConfig: { LogGroup: Match.anyValue() } },
      5,
    );
    // One per function, and both APIs' access logs: every one kept the six months the law asks for.
    expect(logRetentions(functions)).toEqual(Array(7).fill(180));
    for (const role of Object.values(functions.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('runs the sweep every minute; it queries the due-clocks and pending-alerts indexes and writes incidents', () => {
    const sweepFunction = Object.keys(functions.findResources('AWS::Lambda::Function')).find((id) =>
      id.startsWith('SweepFunction'),
    )!;
    functions.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweepFunction, 'Arn'] } })],
    });
    const sweepRole = Object.keys(functions.findResources('AWS::IAM::Role')).find((id) => id.startsWith('SweepRole'))!;
    const statements = policyStatements(functions).filter(
      (s) => s.role === sweepRole && JSON.stringify(s.Resource).includes('IncidentTable'),
    );
    expect(statements.map((s) => s.Action)).toEqual([
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'dynamodb:Query',
    ]);
    const indexes = JSON.stringify(statements[1]!.Resource);
    expect(indexes).toContain('/index/due-clocks');
    expect(indexes).toContain('/index/pending-alerts');
  });

  it('keeps stream records for 24 hours, longer than the rules mapping retries them', () => {
    data.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 24 });
  });

  it('configures the rules function from the context defaults', () => {
    functions.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 60,
      Environment: {
        Variables: {
          TABLE_NAME: { 'Fn::ImportValue': Match.stringLikeRegexp('IncidentTable') },
          TIME_ZONE: 'Asia/Shanghai',
          INCIDENT_RETENTION_DAYS: '180',
          QUARANTINE_RETENTION_DAYS: '30',
          POWERTOOLS_SERVICE_NAME: 'sanwang-rules',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
    functions.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 256,
      Timeout: 30,
      Environment: {
        Variables: {
          TABLE_NAME: Match.anyValue(),
          TIME_ZONE: 'Asia/Shanghai',
          POWERTOOLS_SERVICE_NAME: 'sanwang-notify',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
  });

  it('reads the alarm stream in order, bounded, and quarantines failed batches to S3', () => {
    functions.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('AlarmStream') },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 21_600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::ImportValue': 'SanwangData-QuarantineBucketArn' } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('wakes notify only for table writes that leave an alert pending', () => {
    const mappings = functions.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('IncidentTable.*StreamArn') } },
    });
    expect(Object.keys(mappings)).toHaveLength(1);
    const [mapping] = Object.values(mappings) as [
      { Properties: { FilterCriteria: { Filters: { Pattern: string }[] } } },
    ];
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 21_600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::ImportValue': expect.stringMatching(/NotifyFailureQueue/) } },
      },
    });
    const patterns = mapping.Properties.FilterCriteria.Filters.map((filter) => JSON.parse(filter.Pattern));
    expect(patterns).toEqual([{ dynamodb: { NewImage: { alertPending: { BOOL: [true] } } } }]);
  });

  it('lets one role publish to SNS, notify, and only to phone numbers: every SNS ARN is denied', () => {
    const publishers = policyStatements(functions).filter((s) => [s.Action].flat().includes('sns:Publish'));
    expect(publishers).toEqual([
      expect.objectContaining({
        role: expect.stringMatching(/^NotifyRole/),
        Sid: 'TextPhoneNumbers',
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } },
      }),
      expect.objectContaining({
        role: expect.stringMatching(/^NotifyRole/),
        Sid: 'NoTopicsOrEndpoints',
        Effect: 'Deny',
        Action: 'sns:Publish',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:*:*:*']] },
      }),
    ]);
  });

  it('raises alarms to the ops topic for lag, errors, throttles, given-up records, unrouted steps and failing texts', () => {
    // 12 for the two stream consumers (rules also has Stalled), 3 for the ingest path (see ingest-api.test.ts), 1
    // heartbeat of the sweep, 2 on the notifier's log lines (alarms.test.ts).
    functions.resourceCountIs('AWS::CloudWatch::Alarm', 18);
    functions.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      { AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('OpsTopic') }] },
      18,
    );
    functions.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'IteratorAge',
        Statistic: 'Maximum',
        Threshold: 300_000,
        ComparisonOperator: 'GreaterThanThreshold',
      },
      2,
    );
    functions.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 0 }, 3);
    functions.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 0 }, 2);
    functions.resourcePropertiesCountIs(
      'AWS::CloudWatch::Alarm',
      {
        MetricName: 'OnFailureDestinationDeliveredEventCount',
        Dimensions: [{ Name: 'EventSourceMappingUUID', Value: { Ref: Match.anyValue() } }],
      },
      2,
    );
    functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
    });
  });
});

describe('context', () => {
  it('applies the context values to the stream, bucket and rules environment', () => {
    const custom = testApp({
      shardCount: '2',
      quarantineRetentionDays: '7',
      incidentRetentionDays: 90,
      timeZone: 'Asia/Urumqi',
    });
    const customData = Template.fromStack(custom.data);
    customData.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 2,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    customData.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
    customData.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 7 * 86_400 });
    Template.fromStack(custom.functions).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TIME_ZONE: 'Asia/Urumqi',
          INCIDENT_RETENTION_DAYS: '90',
          QUARANTINE_RETENTION_DAYS: '7',
        }),
      },
    });
  });

  it('keeps every log group of the functions stack for logRetentionDays, rounded up to a retention Logs offers', () => {
    expect(logRetentions(Template.fromStack(testApp({ logRetentionDays: '400' }).functions))).toEqual(
      Array(7).fill(400),
    );
    expect(logRetentions(Template.fromStack(testApp({ logRetentionDays: 200 }).functions))).toEqual(Array(7).fill(365));
  });

  it('refuses a log retention below six months or beyond ten years, naming the context key', () => {
    expect(() => testApp({ logRetentionDays: '90' })).toThrow(
      /invalid CDK context: logRetentionDays: must be at least 180 days: the Cybersecurity Law/,
    );
    expect(() => testApp({ logRetentionDays: 4000 })).toThrow(/invalid CDK context: logRetentionDays/);
  });

  it('gives notify the SMS sender id of smsSenderId, and refuses one SNS would refuse', () => {
    Template.fromStack(testApp({ smsSenderId: 'SANWANG110' }).functions).hasResourceProperties(
      'AWS::Lambda::Function',
      {
        Environment: {
          Variables: Match.objectLike({ SMS_SENDER_ID: 'SANWANG110', POWERTOOLS_SERVICE_NAME: 'sanwang-notify' }),
        },
      },
    );
    expect(() => testApp({ smsSenderId: 'sanwang-alerts' })).toThrow(/invalid CDK context: smsSenderId/);
  });

  it('ignores a desksFile in the context: desks are imported into the table, never synthesized', () => {
    const withDesks = testApp({ desksFile: 'config/desks.json' });
    Template.fromStack(withDesks.data).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('fails the synth on an invalid time zone, naming the context key', () => {
    expect(() => testApp({ timeZone: 'Mars/Olympus' })).toThrow(/invalid CDK context: timeZone/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes with every finding fixed or acknowledged with a reason', { timeout: 30_000 }, () => {
    const { app } = testApp({ nag: true });
    expect(() => app.synth()).not.toThrow();

    const acknowledgements = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
      );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(reason.trim().length, id).toBeGreaterThan(30);
    }
    // The ingest API's two: no authorizer at the gateway (HMAC in the function), no rotation of shared secrets.
    expect(acknowledgements.map(([id]) => id.replace(/^Annotation::/, ''))).toEqual(
      expect.arrayContaining(['AwsSolutions-APIG4', 'AwsSolutions-SMG4']),
    );
  });

  it('fails the synth on an unacknowledged finding', { timeout: 30_000 }, () => {
    const { app } = testApp({ nag: true });
    new sns.Topic(new Stack(app, 'Probe'), 'PlainTopic');
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});

describe('bundling', () => {
  // The SDK clients each handler builds, and only those: a client a function never calls costs init time.
  const clients = ['client-dynamodb', 'client-kinesis', 'client-secrets-manager', 'client-sns'];
  const expectedClients: Record<string, string[]> = {
    'sanwang-desk-api': ['client-dynamodb'],
    'sanwang-ingest': ['client-dynamodb', 'client-kinesis', 'client-secrets-manager'],
    'sanwang-notify': ['client-dynamodb', 'client-sns'],
    'sanwang-rules': ['client-dynamodb'],
    'sanwang-sweep': ['client-dynamodb'],
  };

  it('bundles each handler with the local esbuild into one ESM file holding the SDK clients it uses and at most 300 KB of our code', {
    timeout: 120_000,
  }, () => {
    const { app } = buildApp({ ...cdkJson.context, nag: false, bundleMetafile: true });
    const assembly = app.synth();
    const template = assembly.getStackByName('SanwangFunctions').template as {
      Resources: Record<
        string,
        {
          Type: string;
          Properties: { Code: { S3Key: string }; Environment: { Variables: { POWERTOOLS_SERVICE_NAME: string } } };
        }
      >;
    };
    const functionsCode = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const services = functionsCode.map((r) => r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME);
    expect(services.sort()).toEqual(Object.keys(expectedClients));
    for (const { Properties } of functionsCode) {
      const service = Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;
      const dir = join(assembly.directory, `asset.${Properties.Code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(bundle).toContain('createRequire(import.meta.url)');
      const meta = JSON.parse(readFileSync(join(dir, 'index.meta.json'), 'utf8')) as Metafile;
      const output = meta.outputs[Object.keys(meta.outputs).find((path) => path.endsWith('index.mjs'))!]!;
      expect(ownCodeBytes(output), service).toBeLessThanOrEqual(300 * 1024);
      // Bundled, not left to the runtime: no import of @aws-sdk is left in the file.
      expect(bundle, service).not.toMatch(/from\s*["']@aws-sdk\//);
      const bundled = clients.filter((client) =>
        Object.keys(output.inputs).some((path) => path.includes(`node_modules/@aws-sdk/${client}/`)),
      );
      expect(bundled, service).toEqual(expectedClients[service]);
    }
  });
});

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
}

/** RetentionInDays of every log group of a template. */
function logRetentions(template: Template): number[] {
  return Object.values(template.findResources('AWS::Logs::LogGroup')).map(
    (group) => group.Properties.RetentionInDays as number,
  );
}
