import { Duration, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { functionSettings as limits } from '../shared/function-settings.ts';
import { type FunctionSettings, HandlerFunction } from './handler-function.ts';
import { throttledHttpApi } from './http-api.ts';
import { grantItems } from './table-grants.ts';

/** Largest request body the ingest function accepts (its `MAX_BODY_BYTES`): 1 MiB. */
export const INGEST_MAX_BODY_BYTES = 1_048_576;

/** The routes of the ingest API, all served by the ingest function. */
export const INGEST_ROUTES = [
  { method: apigwv2.HttpMethod.POST, path: '/v1/events' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/events/{format}' },
  { method: apigwv2.HttpMethod.GET, path: '/v1/openapi.json' },
] as const;

/** One JSON object per request; `$context.requestId` is required by CDK and ties a log line to the function's. */
const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  integrationError: '$context.integrationErrorMessage',
  responseLength: '$context.responseLength',
};

export interface IngestApiProps {
  /** Where accepted events go (kinesis:PutRecords only). */
  readonly stream: kinesis.IStream;
  /** Device registry and replay guard: `DEVICE#` and `REPLAY#` items only, no index. */
  readonly table: dynamodb.ITable;
  /** The data key under which the stream, table and secret are encrypted. */
  readonly key: kms.IKey;
  /** The integrations registry `{"integrations": [...]}` (read only). */
  readonly integrationsSecret: secretsmanager.ISecret;
  readonly timeZone: string;
  /** Steady-state requests per second of the default stage. */
  readonly rateLimit: number;
  /** Burst of the default stage. */
  readonly burstLimit: number;
  /** The rules function's incident retention and clock skew: an event the rules could not keep is refused here. */
  readonly incidentRetentionDays: number;
  readonly maxClockSkewSeconds: number;
  readonly functionSettings: FunctionSettings;
}

/**
 * The ingest API for integrations: an HTTP API whose routes all go to `functions/ingest`, which verifies each
 * request's HMAC signature, normalises the events and puts them on the alarm stream. Throttled at the stage and
 * access-logged as JSON.
 */
export class IngestApi extends Construct {
  readonly handler: HandlerFunction;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);

    this.handler = new HandlerFunction(this, 'Function', {
      name: 'ingest',
      description: 'Ingest API: signed integration requests -> alarm stream',
      memorySize: limits.ingest.memorySize,
      timeout: Duration.seconds(limits.ingest.timeoutSeconds),
      functionSettings: props.functionSettings,
      environment: {
        STREAM_NAME: props.stream.streamName,
        TABLE_NAME: props.table.tableName,
        INTEGRATIONS_SECRET_ARN: props.integrationsSecret.secretArn,
        TIME_ZONE: props.timeZone,
        MAX_BODY_BYTES: String(INGEST_MAX_BODY_BYTES),
        INCIDENT_RETENTION_DAYS: String(props.incidentRetentionDays),
        MAX_CLOCK_SKEW_SECONDS: String(props.maxClockSkewSeconds),
      },
    });
    const { fn } = this.handler;
    // Written out rather than grantWrite/grantReadWriteData/grantRead: those add actions the function never calls
    // (ListShards, DescribeStream, Scan, Query, DeleteItem, DescribeSecret, ...) and index wildcards.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [props.stream.streamArn] }),
    );
    // The device registry (find: BatchGetItem; hold: BatchWriteItem of HELD#…; noteUnregistered: UpdateItem) and
    // the replay guard (PutItem): never an incident, alert or quarantine item, and no index.
    grantItems(fn, props.table, ['BatchGetItem', 'BatchWriteItem', 'UpdateItem'], ['devices']);
    grantItems(fn, props.table, ['PutItem'], ['replay']);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.integrationsSecret.secretArn],
      }),
    );
    // GenerateDataKey/Encrypt for encrypted PutRecords and table writes, Decrypt for table reads and the secret.
    props.key.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    ({
      api: this.api,
      stage: this.stage,
      accessLogs: this.accessLogs,
    } = throttledHttpApi(this, {
      apiName: 'sanwang-ingest',
      description: 'sanwang ingest API for integrations (HMAC-signed requests)',
      rateLimit: props.rateLimit,
      burstLimit: props.burstLimit,
      logRetention: props.functionSettings.logRetention,
      accessLogFormat: ACCESS_LOG_FORMAT,
    }));

    const integration = new HttpLambdaIntegration('Ingest', fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    for (const route of INGEST_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [route.method], integration });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Integrators are devices and partner systems, not IAM principals or users of an identity provider: every ' +
        'request is authenticated inside the ingest function by its HMAC signature (per-integration secret, ' +
        'timestamp window and replay guard), and unsigned requests are rejected before any event is read. ' +
        'GET /v1/openapi.json is a public description of the API.',
    });
  }

  /** The default stage's URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
