import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app.ts';

/** cdk.json's context: the feature flags `cdk synth` runs with. */
export const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export const tmp = mkdtempSync(join(tmpdir(), 'sanwang-infra-'));

/** One desk with one SMS number, so the subscriptions are exercised (the demo desks have none). */
export const desksFile = join(tmp, 'desks.json');
writeFileSync(
  desksFile,
  JSON.stringify([
    {
      id: 'gaoping-command',
      name: '高平市公安局指挥中心',
      jurisdiction: '140581',
      minSeverity: 2,
      sms: ['+8613800138000'],
    },
  ]),
);

/** The app as `cdk synth` builds it (cdk.json's feature flags), with bundling and nag off unless asked for. */
export function testApp(context: Record<string, unknown> = {}) {
  return buildApp({
    ...cdkJson.context,
    'aws:cdk:bundling-stacks': [],
    nag: false,
    desksFile,
    ...context,
  });
}

interface PolicyStatement {
  /** Logical id of the policy's first role. */
  role: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
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
