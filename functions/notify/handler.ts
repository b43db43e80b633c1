import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDeliveryRecords } from '../../shared/adapters/delivery-records.ts';
import { DynamoDeskDirectory } from '../../shared/adapters/desk-directory.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { DynamoIncidentStore } from '../../shared/adapters/incident-store.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { SnsSmsChannel } from '../../shared/adapters/sms-channel.ts';
import { createSnsClient } from '../../shared/adapters/sns-client.ts';
import { createAlertNotifier } from '../../shared/app/alert-notifier.ts';
import { NotifyConfig, readConfig } from '../../shared/config.ts';
import { DEFAULT_LIFECYCLE_POLICY } from '../../shared/domain/lifecycle-policy.ts';

const config = readConfig(NotifyConfig, process.env);
const logger = createLogger('sanwang-notify');
const client = createDocumentClient();
const table = { client, tableName: config.TABLE_NAME };

const notify = createAlertNotifier({
  deliveries: new DynamoDeliveryRecords(table),
  incidents: new DynamoIncidentStore({ ...table, now: () => clock.now() }),
  desks: new DynamoDeskDirectory(table),
  channel: new SnsSmsChannel({
    client: createSnsClient(),
    ...(config.SMS_SENDER_ID ? { senderId: config.SMS_SENDER_ID } : {}),
  }),
  policy: DEFAULT_LIFECYCLE_POLICY,
  timeZone: config.TIME_ZONE,
  now: () => clock.now(),
  log: logger,
});

/** Table stream → the people on duty: each alert step's recipients, each sent once. */
export const handler = middy(notify).use(injectLambdaContext(logger, { resetKeys: true }));
