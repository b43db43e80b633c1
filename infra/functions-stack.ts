import { Aws, CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { NOTIFY_LOG_LINES } from '../shared/app/alert-notifier.ts';
import { alertSweep, notifyEventSource, rulesEventSource } from '../shared/event-source-settings.ts';
import { functionSettings as limits } from '../shared/function-settings.ts';
import { tableDesign } from '../shared/table-design.ts';
import type { DataStack } from './data-stack.ts';
import { DeskApi } from './desk-api.ts';
import { type FunctionSettings, HandlerFunction } from './handler-function.ts';
import { HeartbeatAlarm } from './heartbeat-alarm.ts';
import { IngestAlarms } from './ingest-alarms.ts';
import { IngestApi } from './ingest-api.ts';
import { LogAlarm } from './log-alarm.ts';
import { QuarantineDestination } from './quarantine-destination.ts';
import { StreamConsumerAlarms } from './stream-consumer-alarms.ts';
import { grantIndexQuery, grantItems } from './table-grants.ts';

export interface FunctionsStackProps extends StackProps {
  readonly data: DataStack;
  readonly timeZone: string;
  /** The sender id the notify function's SMS carry where the destination country supports one; absent: none. */
  readonly smsSenderId?: string;
  readonly incidentRetentionDays: number;
  readonly quarantineRetentionDays: number;
  /** Ingest API default-stage throttling: steady requests per second and burst. */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Duty-desk API default-stage throttling. */
  readonly deskApiRateLimit: number;
  readonly deskApiBurstLimit: number;
  /** Events older than this when received are late (迟报); further ahead than the skew, refused. */
  readonly maxEventAgeMinutes: number;
  readonly maxClockSkewSeconds: number;
  /** What every function shares (bundling, log retention); also the API access logs' retention. */
  readonly functionSettings: FunctionSettings;
}

/**
 * The stateless half: the ingest API, the rules, notify and sweep functions, the duty-desk API, their event source
 * mappings, schedule and alarms.
 */
export class FunctionsStack extends Stack {
  readonly ingest: IngestApi;
  readonly rules: HandlerFunction;
  readonly notify: HandlerFunction;
  readonly sweep: HandlerFunction;
  readonly deskApi: DeskApi;

  constructor(scope: Construct, id: string, props: FunctionsStackProps) {
    super(scope, id, props);
    const { data } = props;
    this.addStackDependency(data, 'imports the quarantine bucket by export name');
    const alarmAction = new SnsAction(data.opsTopic);
    // The table key also encrypts the stream, ops topic, bucket and queue; data-plane calls need no more than this.
    const keyUse = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

    this.ingest = new IngestApi(this, 'Ingest', {
      incidentRetentionDays: props.incidentRetentionDays,
      maxClockSkewSeconds: props.maxClockSkewSeconds,
      stream: data.stream,
      table: data.table,
      key: data.key,
      integrationsSecret: data.integrationsSecret,
      timeZone: props.timeZone,
      rateLimit: props.apiRateLimit,
      burstLimit: props.apiBurstLimit,
      functionSettings: props.functionSettings,
    });
    new IngestAlarms(this, 'IngestAlarms', {
      fn: this.ingest.handler.fn,
      api: this.ingest.api,
      stream: data.stream,
      action: alarmAction,
    });
    new CfnOutput(this, 'IngestApiUrl', {
      value: this.ingest.url,
      description: 'Base URL of the ingest API (POST v1/events, POST v1/events/{format}, GET v1/openapi.json)',
    });

    this.deskApi = new DeskApi(this, 'DeskApi', {
      table: data.table,
      key: data.key,
      signIn: { issuer: data.officers.issuer, clientId: data.officers.client.userPoolClientId },
      timeZone: props.timeZone,
      rateLimit: props.deskApiRateLimit,
      burstLimit: props.deskApiBurstLimit,
      functionSettings: props.functionSettings,
    });
    new CfnOutput(this, 'DeskApiUrl', {
      value: this.deskApi.url,
      description: 'Base URL of the duty-desk API (Authorization: Bearer <officer token>; GET v1/openapi.json)',
    });

    this.rules = new HandlerFunction(this, 'Rules', {
      name: 'rules',
      description: 'Alarm stream -> rules -> incidents',
      memorySize: limits.rules.memorySize,
      timeout: Duration.seconds(limits.rules.timeoutSeconds),
      functionSettings: props.functionSettings,
      environment: {
        TABLE_NAME: data.table.tableName,
        TIME_ZONE: props.timeZone,
        INCIDENT_RETENTION_DAYS: String(props.incidentRetentionDays),
        QUARANTINE_RETENTION_DAYS: String(props.quarantineRetentionDays),
        MAX_EVENT_AGE_MINUTES: String(props.maxEventAgeMinutes),
        MAX_CLOCK_SKEW_SECONDS: String(props.maxClockSkewSeconds),
      },
    });
    // Incidents and their pages read in batches; log entries and pages put in batches, then each incident item
    // put whole on its version, window claims once; poison records quarantined in batches.
    grantItems(this.rules.fn, data.table, ['BatchGetItem', 'BatchWriteItem', 'PutItem'], ['incidents']);
    grantItems(this.rules.fn, data.table, ['BatchWriteItem'], ['quarantine']);
    data.key.grant(this.rules.fn, ...keyUse);
    const quarantineBucket = s3.Bucket.fromBucketAttributes(this, 'QuarantineBucket', {
      bucketArn: Fn.importValue(data.quarantineBucketArnExport),
      encryptionKey: data.key,
    });
    Validations.of(this.rules.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${data.quarantineBucketArnExport}/*]`,
      reason:
        'Lambda names each failed-batch object itself (aws/lambda/<mapping>/<shard>/<date>/...), so s3:PutObject ' +
        'needs every key of the quarantine bucket; the role can neither read nor delete them.',
    });
    const alarmSource = new KinesisEventSource(data.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: rulesEventSource.batchSize,
      // Fills batches during alarm storms; costs at most a second on a quiet stream.
      maxBatchingWindow: Duration.seconds(rulesEventSource.maxBatchingWindowSeconds),
      // One batch per shard at a time: the partition key is the device, and its events must stay in order.
      parallelizationFactor: rulesEventSource.parallelizationFactor,
      reportBatchItemFailures: true,
      // The handler quarantines poison events itself, so what fails here is transient (throttling, KMS, a bug).
      // Bisecting isolates a bad record without using retries; retries go on until the oldest record is six hours
      // old (shared/event-source-settings.ts), outliving a throttling burst or an outage; only then does the batch
      // go to S3, from which `npx sanwang replay` puts it back. Every retry is safe: incidents count exactly.
      bisectBatchOnError: rulesEventSource.bisectBatchOnError,
      retryAttempts: rulesEventSource.retryAttempts,
      maxRecordAge: Duration.seconds(rulesEventSource.maxRecordAgeSeconds),
      onFailure: new QuarantineDestination(quarantineBucket),
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    this.rules.fn.addEventSource(alarmSource);

    this.notify = new HandlerFunction(this, 'Notify', {
      name: 'notify',
      description: 'Incident table stream -> SMS to the officers on duty at the desks that cover the place',
      memorySize: limits.notify.memorySize,
      timeout: Duration.seconds(limits.notify.timeoutSeconds),
      functionSettings: props.functionSettings,
      environment: {
        TABLE_NAME: data.table.tableName,
        TIME_ZONE: props.timeZone,
        ...(props.smsSenderId === undefined ? {} : { SMS_SENDER_ID: props.smsSenderId }),
      },
    });
    // Reads an incident with its deliveries (one consistent Query of the partition), writes the delivery records
    // and the log entry (BatchWriteItem) and commits the incident on its version (PutItem); on a conflict it reads
    // the incident again (GetItem) and decides again. Who is on duty comes from the desk directory (one Query).
    grantItems(this.notify.fn, data.table, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ['incidents']);
    grantItems(this.notify.fn, data.table, ['Query'], ['desks']);
    new SmsPublish(this.notify, 'SmsPublish', this.notify);
    data.key.grant(this.notify.fn, ...keyUse);
    const incidentSource = new DynamoEventSource(data.table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      // Up to 10 incidents a batch, their recipients texted concurrently: well inside the function's timeout.
      batchSize: notifyEventSource.batchSize,
      reportBatchItemFailures: true,
      // Same bounds as the rules mapping. A failed publish fails no record (the sweep re-drives it), so what retries
      // here is DynamoDB trouble. The queue gets only the batch's shard and sequence range; the incidents themselves
      // stay in the table, pending, and the sweep keeps re-driving them.
      bisectBatchOnError: notifyEventSource.bisectBatchOnError,
      retryAttempts: notifyEventSource.retryAttempts,
      maxRecordAge: Duration.seconds(notifyEventSource.maxRecordAgeSeconds),
      onFailure: new SqsDlq(data.notifyFailureQueue),
      // Only writes that leave an alert due wake the function; the rest of the incident churn is filtered for free.
      filters: [
        lambda.FilterCriteria.filter({
          dynamodb: { NewImage: { alertPending: { BOOL: lambda.FilterRule.isEqual(true) } } },
        }),
      ],
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    this.notify.fn.addEventSource(incidentSource);
    acknowledgeStreamGrants(this.notify.role);

    this.sweep = new HandlerFunction(this, 'Sweep', {
      name: 'sweep',
      description:
        'Every minute: due clocks ticked (reminders, escalations, breaches); alerts pending for more than a minute go before the notifier again',
      memorySize: limits.sweep.memorySize,
      timeout: Duration.seconds(limits.sweep.timeoutSeconds),
      functionSettings: props.functionSettings,
      environment: { TABLE_NAME: data.table.tableName },
    });
    // Due clocks: found on the due-clocks index, each incident ticked through the state machine and committed on its
    // version (BatchWriteItem of the log entry, PutItem of the incident; GetItem to read it again on a conflict).
    // Pending alerts: found on the pending-alerts index, each re-driven with one conditional UpdateItem.
    grantItems(this.sweep.fn, data.table, ['GetItem', 'PutItem', 'BatchWriteItem', 'UpdateItem'], ['incidents']);
    grantIndexQuery(this.sweep.fn, data.table, [
      tableDesign.indexes.dueClocks.name,
      tableDesign.indexes.pendingAlerts.name,
    ]);
    data.key.grant(this.sweep.fn, ...keyUse);
    new events.Rule(this, 'SweepSchedule', {
      description: 'sanwang: tick due clocks and re-drive alerts pending for more than a minute',
      schedule: events.Schedule.rate(Duration.minutes(alertSweep.everyMinutes)),
      targets: [new targets.LambdaFunction(this.sweep.fn, { retryAttempts: 2 })],
    });
    new HeartbeatAlarm(this, 'SweepHeartbeat', {
      fn: this.sweep.fn,
      window: Duration.minutes(5),
      action: alarmAction,
      description:
        'The sweep has not run for 5 minutes: its schedule is broken, so no reminder, escalation or breach is recorded and alerts whose first try failed are not retried.',
    });

    new StreamConsumerAlarms(this, 'RulesAlarms', {
      fn: this.rules.fn,
      eventSourceMappingId: alarmSource.eventSourceMappingId,
      action: alarmAction,
      sourceRecords: data.stream.metricIncomingRecords({ statistic: 'Sum', period: Duration.minutes(5) }),
    });
    new StreamConsumerAlarms(this, 'NotifyAlarms', {
      fn: this.notify.fn,
      eventSourceMappingId: incidentSource.eventSourceMappingId,
      action: alarmAction,
      failureQueue: data.notifyFailureQueue,
    });
    // What the notifier survives but an operator must hear of.
    new LogAlarm(this, 'UnroutedAlertSteps', {
      logGroup: this.notify.logGroup,
      message: NOTIFY_LOG_LINES.unrouted,
      metricName: 'UnroutedAlertSteps',
      threshold: 1,
      action: alarmAction,
      description:
        'An alert step reached nobody: no desk covers its place at that level (desks not imported after a deploy, or a place outside every jurisdiction). Import the desks: npx sanwang desks import FILE --table NAME.',
    });
    new LogAlarm(this, 'SmsSendFailures', {
      logGroup: this.notify.logGroup,
      message: NOTIFY_LOG_LINES.sendFailed,
      metricName: 'SmsSendFailures',
      threshold: 10,
      action: alarmAction,
      description:
        'Ten or more texts failed in 5 minutes (SMS spending limit, sandbox, throttling, an outage): the steps stay pending and the sweep retries them every minute; check the SNS SMS delivery logs and limits.',
    });
  }
}

/** The wildcards that DynamoEventSource and SqsDlq grant and the notify role cannot do without. */
function acknowledgeStreamGrants(role: iam.IRole): void {
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, granted by DynamoEventSource for the table stream, has no resource-level ' +
        'permissions; it lists stream ARNs only.',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Granted by SqsDlq (grantSendMessages) on the data key so Lambda can send failure records to the ' +
        'encrypted queue; the key is scoped to this one key ARN.',
    },
    {
      id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      reason:
        'Granted by SqsDlq (grantSendMessages) together with GenerateDataKey* on the one data key; re-encryption ' +
        'under the same key exposes nothing the role cannot already decrypt.',
    },
  );
}

/**
 * `sns:Publish` for SMS to phone numbers, in a policy of its own so that its cdk-nag acknowledgement covers this
 * statement alone. A publish to a phone number has no ARN to name (IAM sees the number as the resource), so the
 * Allow must be on `*`; it is narrowed to this stack's region, and a Deny on every SNS ARN (topics, platform
 * endpoints) leaves the role nothing but texting a number.
 */
class SmsPublish extends Construct {
  constructor(scope: Construct, id: string, target: HandlerFunction) {
    super(scope, id);
    const policy = new iam.Policy(this, 'Policy', {
      roles: [target.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'TextPhoneNumbers',
          actions: ['sns:Publish'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': Aws.REGION } },
        }),
        new iam.PolicyStatement({
          sid: 'NoTopicsOrEndpoints',
          effect: iam.Effect.DENY,
          actions: ['sns:Publish'],
          resources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
        }),
      ],
    });
    // The function may run only once it can text.
    target.fn.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sns:Publish with PhoneNumber (direct SMS) has no resource ARN to scope to: IAM evaluates the phone number ' +
        'itself. The statement allows only sns:Publish, only in this region (aws:RequestedRegion), and an explicit ' +
        'Deny on arn:<partition>:sns:*:*:* removes every topic and platform endpoint, so the role can text a number ' +
        'and nothing else.',
    });
  }
}
