// `npx sanwang post FILE` / `npx sanwang sign FILE`: for integrators, and for operators testing a desk.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEMO_INTEGRATION_ID, INTEGRATIONS_FILE, LOCAL_API_FILE } from '../local/local-integrations.ts';
import { createDocumentClient } from '../shared/adapters/aws-clients.ts';
import { DeviceRegistration, DynamoDeviceRegistry } from '../shared/adapters/device-registry.ts';
import { KinesisEventStream } from '../shared/adapters/event-stream.ts';
import { postSigned, signatureHeaders } from '../shared/adapters/signed-request.ts';
import { replayHeld } from '../shared/app/replay-held.ts';

// Local servers take any credentials; these only let the SDK sign.
const LOCAL = { accessKeyId: 'local', secretAccessKey: 'local' };

const HELP = `sanwang — sign and post events to the ingest API

Usage:
  npx sanwang post FILE [options]     sign FILE and POST it; prints the answer for each event
  npx sanwang sign FILE [options]     print the signed headers (for curl)
  npx sanwang devices pending         devices that sent events but are not registered yet
  npx sanwang devices register FILE   register devices (a JSON list like config/devices.json) and send on the
                                      events they posted while unregistered

Devices commands use the running \`npm start\` by default, or --table NAME (and --stream NAME) with your AWS
credentials and region.

Options:
  --format NAME        device format: hikvision, onvif, gb28181, dahua, frigate (default: canonical JSON)
  --device ID          source id, for formats whose payload does not name the device
  --url URL            API base URL (default: the running \`npm start\`, from ${LOCAL_API_FILE})
  --integration ID     integration id (default: ${DEMO_INTEGRATION_ID}, or $SANWANG_INTEGRATION)
  --secret whsec_…     its secret (default: $SANWANG_SECRET, else ${INTEGRATIONS_FILE} for the local demo integration)
  --content-type TYPE  default: from the file's extension (.json, .xml, .txt)
  -h, --help`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    format: { type: 'string' },
    device: { type: 'string' },
    url: { type: 'string' },
    integration: { type: 'string' },
    secret: { type: 'string' },
    'content-type': { type: 'string' },
    table: { type: 'string' },
    stream: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const [command, file] = positionals;
if (command === 'devices') {
  await devices(positionals.slice(1), values.table, values.stream);
  process.exit(0);
}
if (values.help || !command || !file || !['post', 'sign'].includes(command)) {
  console.log(HELP);
  process.exit(values.help ? 0 : 2);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const integrationId = values.integration ?? process.env.SANWANG_INTEGRATION ?? DEMO_INTEGRATION_ID;
const local = readJson(INTEGRATIONS_FILE) as { integrations?: { id: string; secrets: string[] }[] } | undefined;
const secret =
  values.secret ?? process.env.SANWANG_SECRET ?? local?.integrations?.find((i) => i.id === integrationId)?.secrets[0];
if (!secret) {
  console.error(`no secret for integration ${integrationId}: pass --secret or set SANWANG_SECRET`);
  process.exit(2);
}
const base = values.url ?? (readJson(LOCAL_API_FILE) as { url?: string } | undefined)?.url;
if (!base && command === 'post') {
  console.error('no API URL: pass --url, or start the platform with `npm start`');
  process.exit(2);
}
const types: Record<string, string> = { '.json': 'application/json', '.xml': 'application/xml', '.txt': 'text/plain' };
const contentType = values['content-type'] ?? types[extname(file)] ?? 'application/octet-stream';
const body = readFileSync(file);
const path = `/v1/events${values.format ? `/${values.format}` : ''}${values.device ? `?device=${encodeURIComponent(values.device)}` : ''}`;

if (command === 'sign') {
  for (const [name, value] of Object.entries(signatureHeaders({ integrationId, secret, body, contentType }))) {
    console.log(`-H '${name}: ${value}'`);
  }
} else {
  const { status, body: answer } = await postSigned({
    url: `${base}${path}`,
    integrationId,
    secret,
    body,
    contentType,
  });
  console.log(`HTTP ${status}`);
  console.log(typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2));
  process.exit(status < 300 || status === 207 ? 0 : 1);
}

async function devices([action, path]: string[], table: string | undefined, stream: string | undefined) {
  const localState = readJson(LOCAL_API_FILE) as
    | { dynamodb?: string; table?: string; kinesis?: string; stream?: string }
    | undefined;
  const tableName = table ?? localState?.table;
  if (!tableName) {
    console.error('no table: pass --table NAME, or start the platform with `npm start`');
    process.exit(2);
  }
  // Against the running local platform unless a table was named: then the AWS credentials and region in effect.
  const client = createDocumentClient(
    new DynamoDBClient(
      table === undefined && localState?.dynamodb
        ? {
            endpoint: localState.dynamodb,
            region: 'us-east-1',
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          }
        : {},
    ),
  );
  const registry = new DynamoDeviceRegistry({ client, tableName });
  if (action === 'pending') {
    const rows = await registry.pending();
    if (rows.length === 0) console.log('no device waits for registration');
    for (const d of rows) {
      console.log(
        `${String(d.sourceId).padEnd(24)} last seen ${d.lastSeen}  ${d.lastFormat}/${d.lastEventType}  held ${d.heldEvents ?? 0}`,
      );
    }
  } else if (action === 'register' && path) {
    const list = DeviceRegistration.array().safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!list.success) {
      console.error(list.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
      process.exit(2);
    }
    const streamName = stream ?? localState?.stream;
    const kinesis =
      localState?.kinesis && stream === undefined
        ? new KinesisClient({
            endpoint: localState.kinesis,
            region: 'us-east-1',
            credentials: LOCAL,
            requestHandler: new NodeHttpHandler(),
          })
        : new KinesisClient({});
    for (const device of list.data) {
      await registry.register(device, new Date());
      if (!streamName) continue;
      const replay = await replayHeld(device, {
        registry,
        stream: new KinesisEventStream({ client: kinesis, streamName }),
        now: new Date(),
      });
      if (replay.held > 0) {
        console.log(
          `${device.sourceId}: ${replay.sent} held event(s) sent on, ${replay.invalid} invalid, ${replay.failed} failed`,
        );
      }
    }
    console.log(
      `registered ${list.data.length} device(s) in ${tableName}${streamName ? '' : ' (pass --stream to send on held events)'}`,
    );
  } else {
    console.log(HELP);
    process.exit(2);
  }
}
