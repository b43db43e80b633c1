import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataStack } from './data-stack.ts';
import { FunctionsStack } from './functions-stack.ts';
import { readSettings } from './settings.ts';

/**
 * Builds the sanwang app: `SanwangData` (stateful) and `SanwangFunctions` (stateless), with cdk-nag unless the
 * `nag` context is false. `context` adds to what the CDK CLI passes; see infra/settings.ts for the keys.
 */
export function buildApp(context: Record<string, unknown> = {}) {
  const app = new App({ context });
  const settings = readSettings((key) => app.node.tryGetContext(key));

  const data = new DataStack(app, 'SanwangData', {
    description:
      'sanwang stateful resources: alarm stream, incident table (incidents and duty desks), ops topic, ' +
      'integrations secret, failure destinations, officers user pool',
    quarantineRetentionDays: settings.quarantineRetentionDays,
    opsContacts: { email: settings.opsEmail, https: settings.opsHttps, sms: settings.opsSms },
    shardCount: settings.shardCount,
  });
  const functions = new FunctionsStack(app, 'SanwangFunctions', {
    description:
      'sanwang functions: ingest API (integrations -> stream), rules (stream -> incidents), notify ' +
      '(table stream -> SMS to the officers on duty), sweep (every minute: due clocks, pending alerts) and the ' +
      'duty-desk API (officers -> incidents), with alarms',
    data,
    timeZone: settings.timeZone,
    smsSenderId: settings.smsSenderId,
    incidentRetentionDays: settings.incidentRetentionDays,
    quarantineRetentionDays: settings.quarantineRetentionDays,
    apiRateLimit: settings.apiRateLimit,
    apiBurstLimit: settings.apiBurstLimit,
    deskApiRateLimit: settings.deskApiRateLimit,
    deskApiBurstLimit: settings.deskApiBurstLimit,
    maxEventAgeMinutes: settings.maxEventAgeMinutes,
    maxClockSkewSeconds: settings.maxClockSkewSeconds,
    functionSettings: { bundleMetafile: settings.bundleMetafile, logRetention: settings.logRetentionDays },
  });

  if (settings.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, functions, settings };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildApp().app.synth();
}
