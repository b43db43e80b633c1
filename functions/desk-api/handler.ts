import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { clock } from '../../shared/adapters/clock.ts';
import { createDocumentClient } from '../../shared/adapters/dynamodb-client.ts';
import { createLogger } from '../../shared/adapters/logger.ts';
import { createDeskApi } from '../../shared/app/desk-api.ts';
import { fromApiGateway } from '../../shared/app/desk-api-http.ts';
import { deskApiOpenApiDocument } from '../../shared/app/desk-api-openapi.ts';
import { createDeskDirectory } from '../../shared/app/desk-directory-impl.ts';
import { createIncidentService } from '../../shared/app/incident-service-impl.ts';
import { readConfig } from '../../shared/config.ts';
import { DeskApiConfig } from './config.ts';

const config = readConfig(DeskApiConfig, process.env);
const logger = createLogger('sanwang-desk-api');
const client = createDocumentClient();
const openApi = deskApiOpenApiDocument();
const now = () => clock.now();

const deskApi = createDeskApi({
  incidents: createIncidentService({ client, tableName: config.TABLE_NAME, timeZone: config.TIME_ZONE, now }),
  desks: createDeskDirectory({ client, tableName: config.TABLE_NAME }),
  openApi: () => openApi,
  timeZone: config.TIME_ZONE,
  now,
  log: logger,
});

/** HTTP API (payload v2, JWT authorizer) → the duty-desk API; one problem format for every error. */
export const handler = middy(
  async (event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> =>
    deskApi(fromApiGateway(event)),
).use(injectLambdaContext(logger, { resetKeys: true }));
