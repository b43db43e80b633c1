import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app.ts';

/** cdk.json's context: the feature flags `cdk synth` runs with. */
export const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The app as `cdk synth` builds it (cdk.json's feature flags), with bundling and nag off unless asked for. */
export function testApp(context: Record<string, unknown> = {}) {
  return buildApp({
    ...cdkJson.context,
    'aws:cdk:bundling-stacks': [],
    nag: false,
    ...context,
  });
}

interface PolicyStatement {
  /** Logical id of the policy's first role. */
  role: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every IAM policy in a template, each with the logical id of its policy's role. */
export function policyStatements(template: Template): PolicyStatement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const properties = policy.Properties as {
      PolicyDocument: { Statement: Omit<PolicyStatement, 'role'>[] };
      Roles: { Ref: string }[];
    };
    const role = properties.Roles[0]?.Ref ?? '';
    return properties.PolicyDocument.Statement.map((statement) => ({ role, ...statement }));
  });
}
