import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEVICE_ADAPTERS } from '../../events/adapters/registry.ts';
import { openApiDocument } from '../../events/openapi.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDeviceRegistry } from '../../shared/adapters/device-registry.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { KinesisEventStream } from '../../shared/adapters/event-stream.ts';
import {
  FileIntegrationDirectory,
  SecretsManagerIntegrationDirectory,
} from '../../shared/adapters/integration-directory.ts';
import { createKinesisClient } from '../../shared/adapters/kinesis-client.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { DynamoReplayGuard } from '../../shared/adapters/replay-guard.ts';
import { createIngest } from '../../shared/app/ingest.ts';
import { fromApiGateway } from '../../shared/app/ingest-http.ts';
import { eventTimeLimits, IngestConfig, readConfig } from '../../shared/config.ts';
import { SIGNATURE_TOLERANCE_SECONDS } from '../../shared/domain/request-signature.ts';

const config = readConfig(IngestConfig, process.env);
const logger = createLogger('sanwang-ingest');
const client = createDocumentClient();
const openApi = openApiDocument();

const ingest = createIngest({
  integrations: config.INTEGRATIONS_FILE
    ? new FileIntegrationDirectory(config.INTEGRATIONS_FILE)
    : new SecretsManagerIntegrationDirectory({ secretId: config.INTEGRATIONS_SECRET_ARN! }),
  replay: new DynamoReplayGuard({ client, tableName: config.TABLE_NAME, windowSeconds: SIGNATURE_TOLERANCE_SECONDS }),
  devices: new DynamoDeviceRegistry({ client, tableName: config.TABLE_NAME }),
  stream: new KinesisEventStream({ client: createKinesisClient(), streamName: config.STREAM_NAME }),
  adapters: DEVICE_ADAPTERS,
  openApi: () => openApi,
  timeZone: config.TIME_ZONE,
  maxBodyBytes: config.MAX_BODY_BYTES,
  eventTime: eventTimeLimits(config),
  log: logger,
});

/** HTTP API (payload v2) → signed, validated events on the stream; one answer per event. */
export const handler = middy(
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    ingest(fromApiGateway(event, clock.now())),
).use(injectLambdaContext(logger, { resetKeys: true }));
