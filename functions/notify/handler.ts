import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DynamoAlertOutbox } from '../../shared/adapters/alert-outbox.ts';
import { SnsAlertPublisher } from '../../shared/adapters/alert-publisher.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { createSnsClient } from '../../shared/adapters/sns-client.ts';
import { createAlertNotifier } from '../../shared/app/alert-notifier.ts';
import { NotifyConfig, readConfig } from '../../shared/config.ts';

const config = readConfig(NotifyConfig, process.env);
const logger = createLogger('sanwang-notify');

const notify = createAlertNotifier({
  outbox: new DynamoAlertOutbox({ client: createDocumentClient(), tableName: config.TABLE_NAME }),
  publisher: new SnsAlertPublisher({ client: createSnsClient(), topicArn: config.TOPIC_ARN }),
  timeZone: config.TIME_ZONE,
  now: () => clock.now(),
  log: logger,
});

/** Table stream → SNS: sends each due alert once. */
export const handler = middy(notify).use(injectLambdaContext(logger, { resetKeys: true }));
