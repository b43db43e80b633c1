import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { STREAM_RETENTION_HOURS } from '../shared/event-source-settings.ts';
import { tableDesign } from '../shared/table-design.ts';
import { OfficerSignIn } from './desk-api.ts';
import { type OpsContacts, OpsSubscriptions } from './ops-subscriptions.ts';

const MAX_QUEUE_RETENTION_DAYS = 14;

export interface DataStackProps extends StackProps {
  readonly quarantineRetentionDays: number;
  /** Who is subscribed to the ops topic, where the alarms go. */
  readonly opsContacts: OpsContacts;
  /** Provisioned shards; on-demand when absent. */
  readonly shardCount?: number;
}

/**
 * The stateful half: key, alarm stream, incident table, ops topic, failure destinations. Alerts go to no topic: the
 * notify function texts each officer on duty itself, from the duty desks kept in the table (pk `DESKS`, imported
 * with `npx sanwang desks import` after the first deploy), so no phone number is part of a template.
 */
export class DataStack extends Stack {
  readonly key: kms.Key;
  readonly stream: kinesis.Stream;
  readonly table: dynamodb.Table;
  readonly opsTopic: sns.Topic;
  /**
   * Where the rules event source mapping writes batches it gives up on: the records themselves, unmasked, so that
   * operators can replay them. Encrypted with the data key and expiring after the quarantine days; no role of the
   * app can read them.
   */
  readonly quarantineBucket: s3.Bucket;
  /**
   * Export name of the quarantine bucket ARN. Imported by name (not by an automatic reference) so the wildcard
   * `<arn>/*` grant has a stable id for its cdk-nag acknowledgement.
   */
  readonly quarantineBucketArnExport: string;
  /** Where the notify event source mapping sends metadata of batches it gives up on. */
  readonly notifyFailureQueue: sqs.Queue;
  /**
   * The integrations registry the ingest API verifies signatures against: `{"integrations": [...]}`. Deployed
   * with an empty list; operators put the integrations and their HMAC secrets in after deploy.
   */
  readonly integrationsSecret: secretsmanager.Secret;
  /** The officers' user pool and the duty-desk console's app client; accounts are state, so they live here. */
  readonly officers: OfficerSignIn;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);

    // One key for the whole data plane: alarms and incidents carry personal data (PIPL Art. 51 asks for encryption).
    this.key = new kms.Key(this, 'DataKey', {
      description: 'sanwang: alarm stream, incident table, ops topic and failure destinations',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarm actions publish to the encrypted ops topic as the CloudWatch service, not as a role, and SNS
    // needs this key for that. Without conditions, as the SNS guide gives it: the topic policy below holds the
    // alarm-account conditions, and this grant opens no data (reading the stream, table or logs needs more).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    // On-demand unless a shard count is given: alarm storms are bursts, and on-demand absorbs them without resharding.
    this.stream = new kinesis.Stream(this, 'AlarmStream', {
      // Longer than the rules mapping retries a batch (six hours): nothing expires while it can still be applied.
      retentionPeriod: Duration.hours(STREAM_RETENTION_HOURS),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      ...(props.shardCount === undefined
        ? { streamMode: kinesis.StreamMode.ON_DEMAND }
        : { streamMode: kinesis.StreamMode.PROVISIONED, shardCount: props.shardCount }),
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key on purpose: alarm records carry personal data, and the key policy and rotation must ' +
        'be ours (the aws/kinesis key policy cannot be changed).',
    });

    this.table = new dynamodb.Table(this, 'IncidentTable', {
      partitionKey: { name: tableDesign.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableDesign.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableDesign.ttlAttribute,
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Every index of tableDesign: pending-alerts (the sweep's re-drive), by-county (the duty-desk lists) and
    // due-clocks (the sweep's ticks). CloudFormation adds or removes one index per table update: an index added
    // later gets a deploy of its own.
    for (const index of Object.values(tableDesign.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    this.opsTopic = new sns.Topic(this, 'OpsTopic', { masterKey: this.key, enforceSSL: true });
    // CloudWatch publishes as a service, which only the topic policy can allow (it held just the TLS deny, so no
    // alarm reached anyone). Only alarms of this account and region: the confused-deputy conditions.
    this.opsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.opsTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    new OpsSubscriptions(this, 'OpsSubscriptions', { topic: this.opsTopic, contacts: props.opsContacts });

    this.quarantineBucket = new s3.Bucket(this, 'QuarantineBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The batches hold raw records, personal data unmasked: nothing of them may outlive the quarantine days, not an
      // overwritten version (should versioning ever be turned on) and not the parts of an upload that never finished.
      lifecycleRules: [
        {
          expiration: Duration.days(props.quarantineRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.quarantineBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the rules event source mapping writes here and operators read it to replay; object-level auditing ' +
        "belongs to the account's CloudTrail data events, and a separate access-log bucket would raise S1 itself.",
    });

    this.notifyFailureQueue = new sqs.Queue(this, 'NotifyFailureQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      // The quarantine days, at most the 14 SQS allows.
      retentionPeriod: Duration.days(Math.min(props.quarantineRetentionDays, MAX_QUEUE_RETENTION_DAYS)),
    });
    Validations.of(this.notifyFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the notify event source mapping; nothing consumes it ' +
        'automatically, so a dead-letter queue behind it would never receive anything.',
    });

    // A fixed initial value, not generateSecretString: the value is a JSON document, not a password. CloudFormation
    // writes SecretString only when the template's value changes, so the registry operators put in later survives
    // every deploy as long as this initial value is left alone.
    this.integrationsSecret = new secretsmanager.Secret(this, 'IntegrationsSecret', {
      description: 'sanwang ingest API: integrations registry {"integrations": [...]} with their HMAC secrets',
      encryptionKey: this.key,
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ integrations: [] })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.integrationsSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds HMAC keys shared with external integrators, which automatic rotation cannot reach. ' +
        'Keys are rotated by adding a second secret to the integration, moving the integrator over, then removing ' +
        'the old one; operators edit the secret by hand for both.',
    });

    this.officers = new OfficerSignIn(this, 'Officers');

    new CfnOutput(this, 'StreamName', { value: this.stream.streamName });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'OpsTopicArn', { value: this.opsTopic.topicArn });
    new CfnOutput(this, 'IntegrationsSecretArn', { value: this.integrationsSecret.secretArn });
    new CfnOutput(this, 'QuarantineBucketName', {
      value: this.quarantineBucket.bucketName,
      description: 'npx sanwang replay rules --bucket <this> --stream <StreamName>',
    });
    new CfnOutput(this, 'NotifyFailureQueueUrl', {
      value: this.notifyFailureQueue.queueUrl,
      description: 'npx sanwang replay notify --queue <this> --table <TableName>',
    });
    new CfnOutput(this, 'OfficersUserPoolId', {
      value: this.officers.userPool.userPoolId,
      description: 'aws cognito-idp admin-create-user --user-pool-id <this> --username <officer id>',
    });
    new CfnOutput(this, 'OfficersUserPoolClientId', {
      value: this.officers.client.userPoolClientId,
      description: 'The app client the duty-desk console signs in with (SRP); the audience of its tokens',
    });
    this.quarantineBucketArnExport = `${this.stackName}-QuarantineBucketArn`;
    new CfnOutput(this, 'QuarantineBucketArn', {
      value: this.quarantineBucket.bucketArn,
      exportName: this.quarantineBucketArnExport,
    });
  }
}
