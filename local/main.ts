// `npm start`: the platform on this machine, no AWS account and no Docker. See `npm start -- --help`.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { argsError } from '../cli/errors.ts';
import { runDemo } from './demo.ts';
import { officerLogins } from './desk-api.ts';
import {
  DEMO_INTEGRATION_ID,
  INTEGRATIONS_FILE,
  removeLocalApiState,
  writeLocalApiState,
} from './local-integrations.ts';
import { startPlatform } from './platform.ts';
import { paint } from './terminal.ts';

const HELP = `sanwang local mode — the real handlers (ingest, rules, notify, sweep, desk-api) on local DynamoDB, Kinesis
and SQS servers, with a stand-in for SNS's SMS.

Usage: npm start [-- options]

  --no-demo              start the platform and wait; do not play the night-shift demo
  --exit                 stop after the demo instead of waiting for Ctrl-C (for scripts and CI)
  --dynamodb-port N      port of the DynamoDB server (dynalite)      default: a free port
  --kinesis-port N       port of the Kinesis server (kinesalite)     default: a free port
  --sns-port N           port of the SQS server (fauxqs)             default: a free port
  --api-port N           port of the ingest API                      default: 8787 (0: a free port)
  --desk-api-port N      port of the duty-desk API                   default: 8788 (0: a free port)
  --desks FILE           duty desks, officers and rosters            default: config/desks.json
  --time-zone TZ         zone for night hours and SMS times          default: Asia/Shanghai
  --verbose              show the handlers' own JSON logs (Powertools, personal data masked)
  -h, --help             this text

Everything listens on 127.0.0.1 and lives in memory: stopping forgets it all.`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        'no-demo': { type: 'boolean', default: false },
        exit: { type: 'boolean', default: false },
        'dynamodb-port': { type: 'string' },
        'kinesis-port': { type: 'string' },
        'sns-port': { type: 'string' },
        'api-port': { type: 'string' },
        'desk-api-port': { type: 'string' },
        desks: { type: 'string' },
        'time-zone': { type: 'string', default: 'Asia/Shanghai' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    const usage = argsError(error, 'npm start -- --help');
    console.error(`npm start: ${(usage as Error).message}`);
    process.exit(2);
  }
}
const { values } = parseOptions();

if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function port(
  name: 'dynamodb-port' | 'kinesis-port' | 'sns-port' | 'api-port' | 'desk-api-port',
  fallback = 0,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    console.error(`--${name} must be a port number (0–65535), got "${raw}"`);
    process.exit(2);
  }
  return n;
}

// Local mode runs on the machines' Node 20; the SDK's notice that later releases need Node 22 is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// However this process ends (Ctrl-C, SIGTERM, --exit, a failed start, a crash), the CLI must not find a platform
// that is gone; a file another running platform wrote stays. Only SIGKILL escapes this: readers check the pid.
process.on('exit', () => removeLocalApiState());
const timeZone = values['time-zone'];
console.log(paint.bold('三网 sanwang — local mode'));
const platform = await startPlatform({
  dynamodbPort: port('dynamodb-port'),
  kinesisPort: port('kinesis-port'),
  snsPort: port('sns-port'),
  apiPort: port('api-port', 8787),
  deskApiPort: port('desk-api-port', 8788),
  ...(values.desks ? { desksFile: values.desks } : {}),
  timeZone,
  logLevel: values.verbose ? 'INFO' : values['no-demo'] ? 'WARN' : 'ERROR',
}).catch((error: Error) => {
  console.error(paint.red(`could not start: ${error.message}`));
  process.exit(1);
});

let stopping = false;
async function shutdown(code: number) {
  if (stopping) process.exit(code);
  stopping = true;
  console.log(paint.dim('\nstopping: finishing the batches in flight, closing the servers …'));
  await platform.stop();
  console.log('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const { endpoints } = platform.servers;
console.log(`  DynamoDB  ${endpoints.dynamodb}   table ${platform.resources.tableName}`);
console.log(`  Kinesis   ${endpoints.kinesis}   stream ${platform.resources.streamName}`);
console.log(`  SQS       ${endpoints.sqs}   notify failure queue`);
console.log(`  SMS       ${platform.sms.endpoint}   SNS Publish to a phone number, answered by local handsets`);
console.log(`  API       ${platform.apiUrl}/v1/events   (OpenAPI: ${platform.apiUrl}/v1/openapi.json)`);
for (const line of officerLogins(platform.desks, platform.deskApi.url)) console.log(line);
writeLocalApiState({
  url: platform.apiUrl,
  dynamodb: endpoints.dynamodb,
  table: platform.resources.tableName,
  kinesis: endpoints.kinesis,
  stream: platform.resources.streamName,
  sqs: endpoints.sqs,
  failedBatches: platform.failureDestinations.rulesFolder,
  notifyFailureQueue: platform.failureDestinations.notifyQueueUrl,
  sms: platform.sms.endpoint,
  integrations: resolve(INTEGRATIONS_FILE),
  pid: process.pid,
});

if (!values['no-demo']) {
  try {
    await runDemo(platform, { now: new Date(), timeZone, write: (line) => console.log(line) });
  } catch (error) {
    console.error(paint.red(`demo failed: ${(error as Error).stack ?? error}`));
    await shutdown(1);
  }
}
if (values.exit) await shutdown(0);
console.log(`
The platform keeps running. Post events to it, signed as integration "${DEMO_INTEGRATION_ID}" (secret in ${INTEGRATIONS_FILE}):
  npx sanwang post my-events.json                       canonical JSON: one event, an array, or {"events": [...]}
  npx sanwang post alarm.xml --format hikvision         a device payload (hikvision, onvif, gb28181, dahua, frigate)
The officers' texts reach the local handsets: curl ${platform.sms.endpoint}/messages lists them. Ctrl-C stops.`);
