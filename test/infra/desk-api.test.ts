import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DESK_API_PUBLIC_ROUTE, DESK_API_ROUTES } from '../../infra/desk-api.ts';
import { policyStatements, testApp } from './test-app.ts';

const byDefault = testApp();
const data = Template.fromStack(byDefault.data);
const functions = Template.fromStack(byDefault.functions);

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

const apiId = logicalId(functions, 'AWS::ApiGatewayV2::Api', 'DeskApi');
const functionId = logicalId(functions, 'AWS::Lambda::Function', 'DeskApiFunction');
const roleId = logicalId(functions, 'AWS::IAM::Role', 'DeskApiFunctionRole');
const userPoolId = logicalId(data, 'AWS::Cognito::UserPool', 'Officers');
const clientId = logicalId(data, 'AWS::Cognito::UserPoolClient', 'Officers');
const ofDeskApi = { ApiId: { Ref: apiId } };
const importOf = (pattern: RegExp) => ({ 'Fn::ImportValue': expect.stringMatching(pattern) });

describe('SanwangData: the officers user pool', () => {
  it('signs officers in by user name (the officer id), created by administrators only, and is retained', () => {
    data.resourceCountIs('AWS::Cognito::UserPool', 1);
    data.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UsernameAttributes: Match.absent(),
        AliasAttributes: Match.absent(),
        UsernameConfiguration: { CaseSensitive: false },
        AutoVerifiedAttributes: [],
        DeletionProtection: 'ACTIVE',
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] },
      },
    });
  });

  it('asks for a strong password and TOTP MFA, never SMS, with threat protection enforced (Plus)', () => {
    data.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      SmsConfiguration: Match.absent(),
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
          PasswordHistorySize: 5,
        },
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    const roles = Object.values(data.findResources('AWS::IAM::Role')).map((role) => JSON.stringify(role));
    expect(roles.filter((role) => role.includes('cognito-idp'))).toEqual([]);
  });

  it('has one app client: SRP sign-in, no secret, no OAuth, short tokens', () => {
    data.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    data.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: { Ref: userPoolId },
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      GenerateSecret: false,
      AllowedOAuthFlows: Match.absent(),
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 720,
    });
  });

  it('outputs the user pool id and the client id', () => {
    data.hasOutput('OfficersUserPoolId', { Value: { Ref: userPoolId } });
    data.hasOutput('OfficersUserPoolClientId', { Value: { Ref: clientId } });
  });
});

describe('SanwangFunctions: duty-desk API', () => {
  const routes = Object.values(functions.findResources('AWS::ApiGatewayV2::Route', { Properties: ofDeskApi })).map(
    (route) => route.Properties as { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown },
  );

  it('checks a JWT of the officers pool (issuer the pool, audience its client) on every route but the document', () => {
    const authorizerId = logicalId(functions, 'AWS::ApiGatewayV2::Authorizer', 'DeskApi');
    functions.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: apiId },
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ 'Fn::ImportValue': Match.stringLikeRegexp('OfficersUserPoolDeskConsole') }],
        Issuer: {
          'Fn::Join': [
            '',
            ['https://', { 'Fn::ImportValue': Match.stringLikeRegexp('OfficersUserPool.*ProviderURL') }],
          ],
        },
      },
    });
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      [...DESK_API_ROUTES, DESK_API_PUBLIC_ROUTE].map((r) => `${r.method} ${r.path}`).sort(),
    );
    for (const route of routes) {
      if (route.RouteKey === 'GET /v1/openapi.json') expect(route.AuthorizationType).toBe('NONE');
      else
        expect(route, route.RouteKey).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    }
  });

  it('sends every route to the desk-api function, which API Gateway alone may invoke', () => {
    functions.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    const permissions = Object.values(functions.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    );
    expect(permissions).toHaveLength(routes.length);
    for (const p of permissions) expect(p.Properties.Principal).toBe('apigateway.amazonaws.com');
  });

  it('throttles its stage (20/s, burst 40 by default) and writes JSON access logs naming the officer, kept 6 months', () => {
    const [stage] = Object.values(functions.findResources('AWS::ApiGatewayV2::Stage', { Properties: ofDeskApi }));
    expect(stage!.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
    const logGroupId = logicalId(functions, 'AWS::Logs::LogGroup', 'DeskApiAccessLogs');
    expect(stage!.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    expect(functions.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties).toEqual({ RetentionInDays: 180 });
    expect(JSON.parse(stage!.Properties.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      officer: '$context.authorizer.claims.username',
      authorizerError: '$context.authorizer.error',
    });
  });

  it('configures the function: nodejs24.x arm64, 512 MB, 10 s, the table and time zone', () => {
    const fn = functions.findResources('AWS::Lambda::Function')[functionId]!.Properties;
    expect(fn).toMatchObject({ MemorySize: 512, Timeout: 10, Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(fn.Environment.Variables).toEqual({
      TABLE_NAME: importOf(/IncidentTable/),
      TIME_ZONE: 'Asia/Shanghai',
      POWERTOOLS_SERVICE_NAME: 'sanwang-desk-api',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
  });

  it('grants incident and desk items by leading key, Query on the by-county index, the data key; no Scan, no UpdateItem', () => {
    const statements = policyStatements(functions).filter((s) => s.role === roleId);
    const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      expect.objectContaining({
        // CDK sorts a statement's actions.
        Action: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Resource: importOf(/IncidentTable.*Arn/),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INC#*'] } },
      }),
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Resource: importOf(/IncidentTable.*Arn/),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['DESKS'] } },
      }),
      expect.objectContaining({
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [importOf(/IncidentTable.*Arn/), '/index/by-county']] },
      }),
    ]);
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')))).toEqual([
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] }),
    ]);
    // Its own log group and nothing else.
    expect(statements).toHaveLength(5);
    expect(JSON.stringify(policyStatements(functions))).not.toContain('dynamodb:Scan');
  });

  it('outputs the API URL of its $default stage', () => {
    functions.hasOutput('DeskApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', Match.anyValue(), '/'],
        ],
      },
    });
  });

  it('takes its throttling from deskApiRateLimit and deskApiBurstLimit', () => {
    const custom = Template.fromStack(testApp({ deskApiRateLimit: '5', deskApiBurstLimit: 10 }).functions);
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    expect(() => testApp({ deskApiRateLimit: '0' })).toThrow(/invalid CDK context: deskApiRateLimit/);
  });
});

describe('templates: no phone number', () => {
  // Mainland mobiles in any spelling a template could hold them: 138…, +86138…, 86-138….
  const PHONE = /(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)/;

  it('holds none in the functions stack, nor in the user pool or its client', () => {
    expect(JSON.stringify(functions.toJSON())).not.toMatch(PHONE);
    for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient']) {
      expect(JSON.stringify(data.findResources(type))).not.toMatch(PHONE);
    }
  });

  it('holds none in the data stack either: the desks and their numbers live in the table, not the template', () => {
    expect(JSON.stringify(data.toJSON())).not.toMatch(PHONE);
  });
});
