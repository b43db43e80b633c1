// `npx sanwang post FILE` / `npx sanwang sign FILE`: for integrators, and for operators testing a desk.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_INTEGRATION_ID, INTEGRATIONS_FILE, LOCAL_API_FILE } from '../local/local-integrations.ts';
import { postSigned, signatureHeaders } from '../shared/adapters/signed-request.ts';

const HELP = `sanwang — sign and post events to the ingest API

Usage:
  npx sanwang post FILE [options]     sign FILE and POST it; prints the answer for each event
  npx sanwang sign FILE [options]     print the signed headers (for curl)

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
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const [command, file] = positionals;
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
