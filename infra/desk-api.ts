import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionSettings } from '../shared/function-settings.ts';
import { tableDesign } from '../shared/table-design.ts';
import { type FunctionSettings, HandlerFunction } from './handler-function.ts';
import { throttledHttpApi } from './http-api.ts';
import { grantIndexQuery, grantItems } from './table-grants.ts';

/**
 * The routes of the duty-desk API. The incident routes are greedy: an incident id holds `/` (percent-encoded by
 * the client), and a greedy variable matches it whether or not the gateway decodes it first; the function parses
 * the path. GET /v1/openapi.json is the one route without the authorizer.
 */
export const DESK_API_ROUTES = [
  { method: apigwv2.HttpMethod.GET, path: '/v1/incidents' },
  { method: apigwv2.HttpMethod.GET, path: '/v1/incidents/{proxy+}' },
  { method: apigwv2.HttpMethod.POST, path: '/v1/incidents/{proxy+}' },
  { method: apigwv2.HttpMethod.GET, path: '/v1/desks' },
  { method: apigwv2.HttpMethod.GET, path: '/v1/desks/{id}' },
  { method: apigwv2.HttpMethod.PUT, path: '/v1/desks/{id}/roster' },
] as const;
export const DESK_API_PUBLIC_ROUTE = { method: apigwv2.HttpMethod.GET, path: '/v1/openapi.json' } as const;

/**
 * One JSON object per request, as the ingest API's, plus who asked: the officer id (the user pool's user name, no
 * personal data) and why the authorizer refused, if it did.
 */
const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  officer: '$context.authorizer.claims.username',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
  responseLength: '$context.responseLength',
};

/**
 * The officers' sign-in: a Cognito user pool whose user names are officer ids, created by administrators only (no
 * self sign-up), strong passwords and TOTP MFA (never SMS: no phone number is kept), threat protection enforced,
 * and the app client the duty-desk console signs in with (SRP, no secret, no OAuth redirects). Stateful: it lives in
 * the data stack and is retained.
 */
export class OfficerSignIn extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: false, phone: false, preferredUsername: false },
      signInCaseSensitive: false,
      autoVerify: { email: false, phone: false },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      // No e-mail or phone on an account to recover it by: an administrator resets the password.
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.userPool.addClient('DeskConsole', {
      authFlows: { userSrp: true },
      generateSecret: false,
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // One duty shift: an officer signs in again at the next.
      refreshTokenValidity: Duration.hours(12),
    });
  }

  /** The issuer of the pool's tokens, as the JWT authorizer checks it (partition-correct, from ProviderURL). */
  get issuer(): string {
    return `https://${this.userPool.userPoolProviderUrl}`;
  }
}

export interface DeskApiProps {
  /** Incidents (`INC#…`) and the desk directory (`DESKS`), and the by-county index. */
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  /** Whose tokens the authorizer accepts: issuer the pool, audience its client. */
  readonly signIn: { issuer: string; clientId: string };
  readonly timeZone: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly functionSettings: FunctionSettings;
}

/**
 * The duty-desk API: an HTTP API whose routes all go to `functions/desk-api`, each behind a JWT authorizer of the
 * officers' user pool (but the OpenAPI document), throttled at the stage and access-logged as JSON.
 */
export class DeskApi extends Construct {
  readonly handler: HandlerFunction;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DeskApiProps) {
    super(scope, id);

    const limits = functionSettings['desk-api'];
    this.handler = new HandlerFunction(this, 'Function', {
      name: 'desk-api',
      description: 'Duty-desk API: officers list, read and act on incidents; desks and rosters',
      memorySize: limits.memorySize,
      timeout: Duration.seconds(limits.timeoutSeconds),
      functionSettings: props.functionSettings,
      environment: { TABLE_NAME: props.table.tableName, TIME_ZONE: props.timeZone },
    });
    const { fn } = this.handler;
    // What the IncidentService needs: read an incident and its log (GetItem, Query of the partition), and apply a
    // command through the state machine: the log entry written (BatchWriteItem), then the incident item put whole on
    // the version read (PutItem). The desk directory is one partition, read with a Query and a roster written back
    // with PutItem.
    grantItems(fn, props.table, ['Query', 'GetItem', 'PutItem', 'BatchWriteItem'], ['incidents']);
    grantItems(fn, props.table, ['Query', 'PutItem'], ['desks']);
    // Lists come from the by-county index, never a Scan.
    grantIndexQuery(fn, props.table, [tableDesign.indexes.byCounty.name]);
    props.key.grant(fn, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    ({
      api: this.api,
      stage: this.stage,
      accessLogs: this.accessLogs,
    } = throttledHttpApi(this, {
      apiName: 'sanwang-desk-api',
      description: 'sanwang duty-desk API for officers (JWT from the officers user pool)',
      rateLimit: props.rateLimit,
      burstLimit: props.burstLimit,
      logRetention: props.functionSettings.logRetention,
      accessLogFormat: ACCESS_LOG_FORMAT,
    }));

    const integration = new HttpLambdaIntegration('DeskApi', fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    const authorizer = new HttpJwtAuthorizer('Officers', props.signIn.issuer, {
      jwtAudience: [props.signIn.clientId],
      identitySource: ['$request.header.Authorization'],
    });
    for (const route of DESK_API_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [route.method], integration, authorizer });
    }
    const [document] = this.api.addRoutes({
      path: DESK_API_PUBLIC_ROUTE.path,
      methods: [DESK_API_PUBLIC_ROUTE.method],
      integration,
    });
    Validations.of(document!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /v1/openapi.json is the public description of the duty-desk API, served without sign-in so a console ' +
        'or a client generator can read it; it holds no data. Every other route has the JWT authorizer.',
    });
  }

  /** The default stage's URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
