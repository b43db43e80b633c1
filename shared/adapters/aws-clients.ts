// One module per SDK client, so that a function's bundle holds only the clients it builds: a handler imports the
// module it needs (dynamodb-client.ts, sns-client.ts, kinesis-client.ts). This file gathers them for callers that
// are never bundled into a function (the CLI, local mode).
export { createDocumentClient } from './dynamodb-client.ts';
export { createKinesisClient } from './kinesis-client.ts';
export { createSnsClient } from './sns-client.ts';
