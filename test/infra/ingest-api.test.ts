import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { policyStatements, testApp } from './test-app.ts';

const byDefault = testApp();
const data = Template.fromStack(byDefault.data);
const functions = Template.fromStack(byDefault.functions);

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

const apiId = logicalId(functions, 'AWS::ApiGatewayV2::Api', 'IngestApi');
/** The ingest API's own resources (the duty-desk API has its own: desk-api.test.ts). */
const ofIngestApi = { ApiId: { Ref: apiId } };
const ingestFunctionId = logicalId(functions, 'AWS::Lambda::Function', 'IngestFunction');
const ingestRoleId = logicalId(functions, 'AWS::IAM::Role', 'IngestFunctionRole');
const ingestStatements = policyStatements(functions).filter((statement) => statement.role === ingestRoleId);
const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();
const importOf = (pattern: RegExp) => ({ 'Fn::ImportValue': expect.stringMatching(pattern) });

describe('SanwangData: integrations secret', () => {
  it('holds an empty registry, encrypted with the data key and retained', () => {
    data.resourceCountIs('AWS::SecretsManager::Secret', 1);
    data.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        SecretString: '{"integrations":[]}',
        GenerateSecretString: Match.absent(),
      },
    });
    data.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});

describe('SanwangFunctions: ingest API', () => {
  it('routes POST /v1/events, POST /v1/events/{format} and GET /v1/openapi.json to the ingest function', () => {
    const routes = Object.values(functions.findResources('AWS::ApiGatewayV2::Route', { Properties: ofIngestApi })).map(
      (route) => route.Properties as { RouteKey: string; ApiId: unknown; AuthorizationType: string; Target: unknown },
    );
    expect(routes.map((route) => route.RouteKey).sort()).toEqual([
      'GET /v1/openapi.json',
      'POST /v1/events',
      'POST /v1/events/{format}',
    ]);
    const integrationIds = Object.keys(
      functions.findResources('AWS::ApiGatewayV2::Integration', { Properties: ofIngestApi }),
    );
    expect(integrationIds).toHaveLength(1);
    for (const route of routes) {
      expect(route.ApiId).toEqual({ Ref: apiId });
      // Authenticated by HMAC signature in the function, not at the gateway (nag APIG4 acknowledged).
      expect(route.AuthorizationType).toBe('NONE');
      expect(route.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationIds[0] }]] });
    }
    functions.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [ingestFunctionId, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    functions.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
  });

  it('lets API Gateway invoke the function for each route only', () => {
    // The sweep's schedule may invoke the sweep; every other permission is API Gateway's, on the ingest function.
    // The duty-desk API's permissions are on its own function (desk-api.test.ts).
    const permissions = Object.values(functions.findResources('AWS::Lambda::Permission'))
      .filter((permission) => permission.Properties.Principal === 'apigateway.amazonaws.com')
      .filter((permission) => JSON.stringify(permission.Properties.SourceArn).includes(`"${apiId}"`))
      .map((permission) => permission.Properties as { FunctionName: unknown; Principal: string; SourceArn: unknown });
    expect(permissions).toHaveLength(3);
    const suffixes = permissions.map((permission) => {
      expect(permission.FunctionName).toEqual({ 'Fn::GetAtt': [ingestFunctionId, 'Arn'] });
      expect(permission.Principal).toBe('apigateway.amazonaws.com');
      const parts = (permission.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      expect(parts).toContainEqual({ Ref: apiId });
      return parts.at(-1);
    });
    expect(suffixes.sort()).toEqual(['/*/*/v1/events', '/*/*/v1/events/{format}', '/*/*/v1/openapi.json']);
  });

  it('throttles the auto-deployed $default stage at 100 requests/s with a burst of 200', () => {
    expect(Object.keys(functions.findResources('AWS::ApiGatewayV2::Stage', { Properties: ofIngestApi }))).toHaveLength(
      1,
    );
    functions.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('writes JSON access logs to a log group kept 6 months', () => {
    const [stage] = Object.values(functions.findResources('AWS::ApiGatewayV2::Stage', { Properties: ofIngestApi }));
    const { DestinationArn, Format } = stage!.Properties.AccessLogSettings as {
      DestinationArn: unknown;
      Format: string;
    };
    const logGroupId = logicalId(functions, 'AWS::Logs::LogGroup', 'IngestAccessLogs');
    expect(DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(functions.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties).toEqual({ RetentionInDays: 180 });
    expect(JSON.parse(Format)).toEqual({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      integrationError: '$context.integrationErrorMessage',
      responseLength: '$context.responseLength',
    });
  });

  it('configures the ingest function: 512 MB, 15 s, and its environment contract', () => {
    const fn = functions.findResources('AWS::Lambda::Function')[ingestFunctionId]!.Properties;
    expect(fn).toMatchObject({ MemorySize: 512, Timeout: 15, Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(fn.Environment.Variables).toEqual({
      STREAM_NAME: importOf(/AlarmStream/),
      TABLE_NAME: importOf(/IncidentTable/),
      INTEGRATIONS_SECRET_ARN: importOf(/IntegrationsSecret/),
      TIME_ZONE: 'Asia/Shanghai',
      MAX_BODY_BYTES: '1048576',
      INCIDENT_RETENTION_DAYS: '180',
      MAX_CLOCK_SKEW_SECONDS: '300',
      POWERTOOLS_SERVICE_NAME: 'sanwang-ingest',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('grants PutRecords on the stream, device and replay items of the table, the one secret and the data key, nothing else', () => {
    const byService = (service: string) =>
      ingestStatements.filter((statement) => actionsOf(statement).some((action) => action.startsWith(`${service}:`)));
    for (const statement of ingestStatements) expect(statement.Effect).toBe('Allow');

    expect(byService('kinesis')).toEqual([
      expect.objectContaining({ Action: 'kinesis:PutRecords', Resource: importOf(/AlarmStream.*Arn/) }),
    ]);
    // Only device and replay items, on the table itself (see table-grants.test.ts for the keys).
    expect(byService('dynamodb')).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'],
        Resource: importOf(/IncidentTable.*Arn/),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DEVICE#*'] } },
      }),
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Resource: importOf(/IncidentTable.*Arn/),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REPLAY#*'] } },
      }),
    ]);
    expect(byService('secretsmanager')).toEqual([
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: importOf(/IntegrationsSecret/),
      }),
    ]);
    expect(byService('kms')).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: importOf(/DataKey.*Arn/),
      }),
    ]);
    expect(byService('logs')).toHaveLength(1);
    expect(ingestStatements).toHaveLength(6);
    // No wildcard action or resource; the only `*` are the key prefixes of the conditions.
    for (const { Action, Resource } of ingestStatements)
      expect(JSON.stringify({ Action, Resource })).not.toContain('*');
  });

  it('gives no other role access to the stream writes or the secret', () => {
    const others = policyStatements(functions).filter((statement) => statement.role !== ingestRoleId);
    const actions = others.flatMap(actionsOf);
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
    expect(actions.filter((action) => /^kinesis:Put/.test(action))).toEqual([]);
  });

  it('raises alarms to the ops topic for function errors, API 5xx and throttled stream writes', () => {
    const toOps = {
      AlarmActions: [{ 'Fn::ImportValue': Match.stringLikeRegexp('OpsTopic') }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Period: 300,
      Statistic: 'Sum',
    };
    functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...toOps,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ingestFunctionId } }],
    });
    functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...toOps,
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
    });
    functions.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...toOps,
      Namespace: 'AWS/Kinesis',
      MetricName: 'WriteProvisionedThroughputExceeded',
      Dimensions: [{ Name: 'StreamName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('AlarmStream') } }],
    });
  });

  it('outputs the API URL of the $default stage', () => {
    functions.hasOutput('IngestApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', Match.anyValue(), '/'],
        ],
      },
    });
  });
});

describe('ingest API context', () => {
  it('takes the stage throttling from apiRateLimit and apiBurstLimit', () => {
    const custom = testApp({ apiRateLimit: '50', apiBurstLimit: 75 });
    Template.fromStack(custom.functions).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 },
    });
  });

  it('fails the synth on invalid throttling, naming the context key', () => {
    expect(() => testApp({ apiRateLimit: '0' })).toThrow(/invalid CDK context: apiRateLimit/);
    expect(() => testApp({ apiBurstLimit: 'lots' })).toThrow(/invalid CDK context: apiBurstLimit/);
  });
});
