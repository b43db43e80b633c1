// `npx sanwang devices pending|register`: loaded only for these commands, so post and sign start without the SDK.
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describeJsonError } from '../events/json-error.ts';
import { formatIssues } from '../events/validation.ts';
import { INTEGRATIONS_FILE, readLocalApiState } from '../local/local-integrations.ts';
import { createDocumentClient } from '../shared/adapters/aws-clients.ts';
import { DeviceRegistration, DynamoDeviceRegistry } from '../shared/adapters/device-registry.ts';
import { KinesisEventStream } from '../shared/adapters/event-stream.ts';
import {
  FileIntegrationDirectory,
  type IntegrationDirectory,
  SecretsManagerIntegrationDirectory,
} from '../shared/adapters/integration-directory.ts';
import { replayHeld } from '../shared/app/replay-held.ts';
import { EventTimeConfig, eventTimeLimits, readConfig } from '../shared/config.ts';
import { FailureError, fileFailure, UsageError, unreachable } from './errors.ts';
import type { CliOptions, CliOutput } from './main.ts';

// Local servers take any credentials; these only let the SDK sign.
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const SEE_HELP = 'see npx sanwang --help';

/** `devices pending` and `devices register FILE`, on the running `npm start` or on AWS with --table. */
export async function devices(
  [action, file, ...extra]: string[],
  values: CliOptions,
  env: Readonly<Record<string, string | undefined>>,
  io: CliOutput,
): Promise<void> {
  if (action !== 'pending' && action !== 'register') {
    throw new UsageError(`devices needs pending or register FILE (${SEE_HELP})`);
  }
  if (action === 'register' && file === undefined) {
    throw new UsageError(`devices register needs a FILE of devices, like config/devices.json (${SEE_HELP})`);
  }
  if ((action === 'pending' && file !== undefined) || extra.length > 0) {
    throw new UsageError(`too many arguments for devices ${action} (${SEE_HELP})`);
  }
  const local = values.table === undefined ? readLocalApiState() : undefined;
  const tableName = values.table ?? local?.table;
  if (!tableName) throw new UsageError('no table: pass --table NAME, or start the platform with npm start');
  const onAws = values.table !== undefined;
  const client = createDocumentClient(new DynamoDBClient(local ? { ...LOCAL, endpoint: local.dynamodb } : {}));
  const registry = new DynamoDeviceRegistry({ client, tableName });
  const where = local ? `the local platform at ${local.dynamodb}` : `table ${tableName}`;
  try {
    if (action === 'pending') await pending(registry, io);
    else await register(file!, registry, { values, env, io, local, tableName, onAws });
  } catch (error) {
    throw unreachable(error, where, onAws) ?? error;
  } finally {
    client.destroy();
  }
}

async function pending(registry: DynamoDeviceRegistry, io: CliOutput): Promise<void> {
  const rows = await registry.pending();
  if (rows.length === 0) io.out('no device waits for registration');
  for (const d of rows) {
    io.out(
      `${String(d.sourceId).padEnd(24)} last seen ${d.lastSeen}  ${d.lastFormat}/${d.lastEventType}  held ${d.heldEvents ?? 0}`,
    );
  }
}

function readDevices(path: string): DeviceRegistration[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fileFailure(path, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message would quote the file; the scanner names the place.
    throw new FailureError(`${path} is not JSON: ${describeJsonError(text)}`);
  }
  const list = DeviceRegistration.array().safeParse(json);
  if (!list.success) {
    const issues = list.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new FailureError(`${path} holds no valid device list: ${formatIssues(issues)}`);
  }
  return list.data;
}

async function register(
  file: string,
  registry: DynamoDeviceRegistry,
  ctx: {
    values: CliOptions;
    env: Readonly<Record<string, string | undefined>>;
    io: CliOutput;
    local: ReturnType<typeof readLocalApiState>;
    tableName: string;
    onAws: boolean;
  },
): Promise<void> {
  const { values, io, local } = ctx;
  const list = readDevices(file);
  const streamName = ctx.onAws ? values.stream : local?.stream;
  let integrations: IntegrationDirectory | undefined;
  if (streamName !== undefined) {
    const secretArn = values['integrations-secret'];
    if (ctx.onAws && secretArn === undefined) {
      throw new UsageError(
        `--stream needs --integrations-secret ARN: held events are checked against the integration that sent them (${SEE_HELP})`,
      );
    }
    integrations = secretArn
      ? new SecretsManagerIntegrationDirectory({ secretId: secretArn })
      : new FileIntegrationDirectory(local?.integrations ?? INTEGRATIONS_FILE);
  }
  let policy: ReturnType<typeof eventTimeLimits>;
  try {
    policy = eventTimeLimits(readConfig(EventTimeConfig, ctx.env));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const kinesis = local
    ? new KinesisClient({ ...LOCAL, endpoint: local.kinesis, requestHandler: new NodeHttpHandler() })
    : new KinesisClient({});
  try {
    for (const device of list) {
      await registry.register(device, new Date());
      if (streamName === undefined || integrations === undefined) continue;
      const replay = await replayHeld(device, {
        registry,
        stream: new KinesisEventStream({ client: kinesis, streamName }),
        integrations,
        policy,
        now: new Date(),
      });
      if (replay.held === 0) continue;
      io.out(
        `${device.sourceId}: ${replay.sent} held event(s) sent on, ${replay.rejected.length} refused, ` +
          `${replay.unchecked.length} not checkable, ${replay.failed} not taken by the stream (kept; register again)`,
      );
      for (const refused of [...replay.rejected, ...replay.unchecked]) {
        io.out(`  ${refused.id}: ${formatIssues(refused.issues)}`);
      }
    }
  } finally {
    kinesis.destroy();
  }
  io.out(
    `registered ${list.length} device(s) in ${ctx.tableName}${streamName ? '' : ' (pass --stream and --integrations-secret to send on held events)'}`,
  );
}
