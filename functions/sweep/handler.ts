import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '../../shared/adapters/aws-clients.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDueClocks } from '../../shared/adapters/due-clocks.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { DynamoPendingAlerts } from '../../shared/adapters/pending-alerts.ts';
import { createSweeper } from '../../shared/app/alert-sweeper.ts';
import { readConfig, SweepConfig } from '../../shared/config.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../shared/domain/lifecycle-policy.ts';

const config = readConfig(SweepConfig, process.env);
const logger = createLogger('sanwang-sweep');
const table = { client: createDocumentClient(), tableName: config.TABLE_NAME };

const sweep = createSweeper({
  pending: new DynamoPendingAlerts(table),
  clocks: {
    dueClocks: new DynamoDueClocks(table),
    incidents: new DynamoIncidentStore({ ...table, now: () => clock.now() }),
    policy: DEFAULT_LIFECYCLE_POLICY,
  },
  now: () => clock.now(),
  log: logger,
});

/** EventBridge, every minute: due clocks ticked (reminders, escalations, breaches), stuck alerts re-driven. */
export const handler = middy(async () => sweep()).use(injectLambdaContext(logger, { resetKeys: true }));
