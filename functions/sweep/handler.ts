import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '../../shared/adapters/aws-clients.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { DynamoPendingAlerts } from '../../shared/adapters/pending-alerts.ts';
import { createAlertSweeper } from '../../shared/app/alert-sweeper.ts';
import { readConfig, SweepConfig } from '../../shared/config.ts';

const config = readConfig(SweepConfig, process.env);
const logger = createLogger('sanwang-sweep');

const sweep = createAlertSweeper({
  pending: new DynamoPendingAlerts({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  now: () => clock.now(),
  log: logger,
});

/** EventBridge, every minute: alerts pending for more than a minute go before the notifier again. */
export const handler = middy(async () => sweep()).use(injectLambdaContext(logger, { resetKeys: true }));
