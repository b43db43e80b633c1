import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { clock } from '../../shared/adapters/clock.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { DynamoQuarantineStore } from '../../shared/adapters/quarantine-store.ts';
import { createRulesProcessor } from '../../shared/app/rules-processor.ts';
import { RulesConfig, readConfig } from '../../shared/config.ts';
import { ALARM_RULES } from '../../shared/domain/rule-registry.ts';

const config = readConfig(RulesConfig, process.env);
const logger = createLogger('sanwang-rules');
const client = createDocumentClient();

const processBatch = createRulesProcessor({
  incidents: new DynamoIncidentStore({ client, tableName: config.TABLE_NAME }),
  quarantine: new DynamoQuarantineStore({
    client,
    tableName: config.TABLE_NAME,
    retentionDays: config.QUARANTINE_RETENTION_DAYS,
  }),
  rules: ALARM_RULES,
  timeZone: config.TIME_ZONE,
  incidentRetentionDays: config.INCIDENT_RETENTION_DAYS,
  now: () => clock.now(),
  log: logger,
});

/** Kinesis → incidents. Answers with the first record to retry, if any (ReportBatchItemFailures). */
export const handler = middy(processBatch).use(injectLambdaContext(logger, { resetKeys: true }));
