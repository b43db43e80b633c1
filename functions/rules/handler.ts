import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { clock } from '../../shared/adapters/clock.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { DynamoQuarantineStore } from '../../shared/adapters/quarantine-store.ts';
import { createRulesProcessor } from '../../shared/app/rules-processor.ts';
import { RulesConfig, readConfig } from '../../shared/config.ts';
import { eventTimePolicy } from '../../shared/domain/event-time.ts';
import { ALARM_RULES } from '../../shared/domain/rule-registry.ts';

const config = readConfig(RulesConfig, process.env);
const logger = createLogger('sanwang-rules');
const client = createDocumentClient();
const now = () => clock.now();

const processBatch = createRulesProcessor({
  incidents: new DynamoIncidentStore({ client, tableName: config.TABLE_NAME, now }),
  quarantine: new DynamoQuarantineStore({
    client,
    tableName: config.TABLE_NAME,
    retentionDays: config.QUARANTINE_RETENTION_DAYS,
    now,
  }),
  rules: ALARM_RULES,
  timeZone: config.TIME_ZONE,
  incidentRetentionDays: config.INCIDENT_RETENTION_DAYS,
  eventTime: eventTimePolicy({
    rules: ALARM_RULES,
    maxAgeMinutes: config.MAX_EVENT_AGE_MINUTES,
    ruleMaxAgeMinutes: config.RULE_MAX_AGE_MINUTES,
    maxSkewSeconds: config.MAX_CLOCK_SKEW_SECONDS,
    retentionDays: config.INCIDENT_RETENTION_DAYS,
  }),
  now,
  log: logger,
});

/** Kinesis → incidents. Answers with the first record to retry, if any (ReportBatchItemFailures). */
export const handler = middy(processBatch).use(injectLambdaContext(logger, { resetKeys: true }));
