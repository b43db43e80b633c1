import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type {
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
} from 'aws-lambda';
import { installClock } from '../shared/adapters/clock.ts';
import { DynamoDeskDirectory } from '../shared/adapters/desk-directory.ts';
import { DeviceRegistration, DynamoDeviceRegistry } from '../shared/adapters/device-registry.ts';
import { KinesisEventStream } from '../shared/adapters/event-stream.ts';
import type { NotifySummary } from '../shared/app/alert-notifier.ts';
import type { SweepSummary } from '../shared/app/alert-sweeper.ts';
import type { BatchSummary } from '../shared/app/rules-processor.ts';
import { type DutyDesk, DutyDeskList } from '../shared/domain/duty-desks.ts';
import type { Integration } from '../shared/domain/integrations.ts';
import { notifyEventSource, rulesEventSource } from '../shared/event-source-settings.ts';
import { type FunctionName, functionSettings } from '../shared/function-settings.ts';
import { createLocalAwsClients, type LocalAwsClients, localEndpointEnv } from './aws-clients.ts';
import { type LocalDeskApi, startDeskApi } from './desk-api.ts';
import { type FunctionInvoker, inProcessModule, type LocalFunctionRunner } from './function-invoker.ts';
import { startIngestServer } from './ingest-server.ts';
import { type KinesisBatchFailure, KinesisEventSource } from './kinesis-event-source.ts';
import { LambdaFunction, SharedEnvironment } from './lambda-function.ts';
import { ensureLocalIntegrations, INTEGRATIONS_FILE, LOCAL_STATE_DIR } from './local-integrations.ts';
import { type LocalResources, provisionLocal } from './provision.ts';
import { type LocalServerOptions, type LocalServers, startLocalServers } from './servers.ts';
import { SharedClock } from './shared-clock.ts';
import { type SmsGateway, startSmsGateway } from './sms-gateway.ts';
import { type TableStreamFailure, TableStreamSource } from './table-stream-source.ts';

/** Local name of the notify mapping's on-failure queue (the stack's NotifyFailureQueue). */
export const NOTIFY_FAILURE_QUEUE = 'sanwang-notify-failures';

export interface PlatformOptions extends LocalServerOptions {
  desksFile?: string;
  /** Devices registered at start (config/devices.json). */
  devicesFile?: string;
  /** The local integration registry, created with a demo integration when missing. */
  integrationsFile?: string;
  /** Port of the ingest API; 0 picks a free one. Default 8787. */
  apiPort?: number;
  /** Port of the duty-desk API; 0 picks a free one. Default 8788. */
  deskApiPort?: number;
  /** The development issuer's key file (default .sanwang/dev-issuer.json). */
  issuerFile?: string;
  timeZone?: string;
  shardCount?: number;
  /** Powertools log level of the handlers: the demo keeps them quiet, `--verbose` shows their JSON logs. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /**
   * Where the handlers run. `shared` (default): all three in one execution environment (a worker thread), an
   * invocation that overruns stopped with everything else it was running. `environments`: each function in
   * environments of its own, one invocation at a time each, as in Lambda, for about a third more CPU per event.
   * `in-process`: imported into this thread, as local mode did before: an overrun fails but cannot be stopped.
   */
  functions?: 'shared' | 'environments' | 'in-process';
  /** Execution environments each function may run at most (default: ingest 2, rules one per shard, notify 1). */
  maxEnvironments?: Partial<Record<FunctionName, number>>;
  /** Shorter than in AWS so the demo answers quickly; batches still fill during a storm. */
  batchingWindowMs?: number;
  /** The platform's clock, shared with every function's environment. Default: one on the system time. */
  clock?: SharedClock;
  /**
   * Where the rules mapping's failure destination writes the batches it gives up on, as Lambda writes them to S3
   * (`npx sanwang replay rules` reads them). Default `.sanwang/failed-batches`.
   */
  failedBatchesDir?: string;
  /** How often the sweep runs (EventBridge runs it every minute in AWS). Default 15 s, so alerts retry promptly. */
  sweepIntervalMs?: number;
  onRulesBatch?: (summary: BatchSummary, event: KinesisStreamEvent) => void;
  onNotifyBatch?: (summary: NotifySummary, event: DynamoDBStreamEvent) => void;
}

/**
 * Ingest environments at most. Each is a V8 isolate that compiles the SDK and the handler afresh (about half a core
 * for its first 20 s under load) on a 2-core machine, and one handles 50 requests/s in about a quarter of a core;
 * two ride out a burst. Lambda would scale out further.
 */
const INGEST_ENVIRONMENTS = 2;

/** `fn`, telling `seen` about each successful response and the event it answered. */
function observed<R>(fn: FunctionInvoker, seen: (response: R, event: unknown) => void): FunctionInvoker {
  return {
    functionName: fn.functionName,
    timeoutMs: fn.timeoutMs,
    invoke: async (event) => {
      const response = (await fn.invoke(event)) as R;
      seen(response, event);
      return response;
    },
  };
}

/** Names as in the stack, so a reader can map local output onto the deployed resources. */
export const LOCAL_NAMES = { table: 'sanwang', stream: 'sanwang-events' } as const;

/** The platform running on loopback: servers, resources, the two real handlers behind Lambda-like event sources. */
export interface Platform {
  servers: LocalServers;
  clients: LocalAwsClients;
  resources: LocalResources;
  desks: DutyDesk[];
  integrations: Integration[];
  /** Base URL of the local ingest API (the HTTP API in AWS). */
  apiUrl: string;
  /** The duty-desk API with its development issuer. */
  deskApi: LocalDeskApi;
  /** The stand-in for SNS's SMS: the handsets of the desks' officers. */
  sms: SmsGateway;
  stream: KinesisEventStream;
  rules: KinesisEventSource;
  notify: TableStreamSource;
  /** The functions as the event sources, the schedule and the HTTP APIs invoke them. */
  functions: Record<FunctionName, LocalFunctionRunner>;
  /** CPU milliseconds of the functions' environments (Linux), by function, or `functions` when they share one. */
  functionsCpuMs(): Promise<Record<string, number>>;
  failures: { rules: KinesisBatchFailure[]; notify: TableStreamFailure[] };
  /** The platform's clock; the demo moves it. */
  clock: SharedClock;
  /** Where failed rules batches are written, and the notify failure queue (for `sanwang replay`). */
  failureDestinations: { rulesFolder: string; notifyQueueUrl: string };
  /** Runs the sweep now, as its schedule would. */
  sweep(): Promise<SweepSummary>;
  /** Holds the sweep's schedule (the demo runs the sweep itself, at the moments it narrates), or lets it run. */
  scheduleSweeps(on: boolean): void;
  /** Resolves when every record put so far has gone through rules and every due alert through notify. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the local servers and the SMS stand-in, creates the table and stream, writes the duty desks into the table,
 * and runs the real handlers (functions/*\/handler.ts, imported as Lambda would) against them.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const desks = DutyDeskList.parse(JSON.parse(readFileSync(options.desksFile ?? 'config/desks.json', 'utf8')));
  const servers = await startLocalServers(options);
  const sms = await startSmsGateway(options.host ? { host: options.host } : {}).catch(async (error: unknown) => {
    await servers.stop();
    throw error;
  });
  try {
    const clients = createLocalAwsClients(servers.endpoints);
    const resources = await provisionLocal(clients, {
      tableName: LOCAL_NAMES.table,
      streamName: LOCAL_NAMES.stream,
      shardCount: options.shardCount ?? 2,
    });
    // The desks are data: the notifier and the API read them from the table, as in AWS after `desks import`.
    await new DynamoDeskDirectory({ client: clients.documents, tableName: resources.tableName }).replace(desks);

    const clock = options.clock ?? new SharedClock();
    // Code in this thread (in-process handlers, the event sources) reads the same clock as the environments.
    installClock(clock);
    const rulesFolder = resolve(options.failedBatchesDir ?? join(LOCAL_STATE_DIR, 'failed-batches'));
    const { QueueUrl: notifyQueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: NOTIFY_FAILURE_QUEUE }),
    );

    const integrationsFile = options.integrationsFile ?? INTEGRATIONS_FILE;
    const integrations = ensureLocalIntegrations(integrationsFile);
    const registry = new DynamoDeviceRegistry({ client: clients.documents, tableName: resources.tableName });
    const devices = DeviceRegistration.array().parse(
      JSON.parse(readFileSync(options.devicesFile ?? 'config/devices.json', 'utf8')),
    );
    for (const device of devices) await registry.register(device, new Date());

    // The handlers read their configuration from the environment at Init, exactly as in Lambda; each function sees
    // only its own variables (the stack's), the endpoints of the local servers and Lambda's own.
    const shared = {
      ...localEndpointEnv(servers.endpoints),
      AWS_ENDPOINT_URL_KINESIS: servers.kinesisHttp2Endpoint,
      // SNS is SMS to phone numbers now (the notifier's only use of it), answered by the local stand-in.
      AWS_ENDPOINT_URL_SNS: sms.endpoint,
      TABLE_NAME: resources.tableName,
      TIME_ZONE: options.timeZone ?? 'Asia/Shanghai',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
      POWERTOOLS_DEV: 'true',
    };
    const only: Record<FunctionName, Record<string, string>> = {
      ingest: { STREAM_NAME: resources.streamName, INTEGRATIONS_FILE: resolve(integrationsFile) },
      rules: {},
      notify: {},
      sweep: {},
      'desk-api': {},
    };
    // Code in this process that imports a handler itself (tests) finds the same configuration.
    Object.assign(process.env, shared, ...Object.values(only));
    const settings = (name: FunctionName) => ({
      functionName: `sanwang-${name}`,
      module: new URL(`../functions/${name}/handler.ts`, import.meta.url),
      timeoutMs: functionSettings[name].timeoutSeconds * 1000,
      memoryMB: functionSettings[name].memorySize,
      region: clients.region,
      environment: { ...shared, POWERTOOLS_SERVICE_NAME: `sanwang-${name}`, ...only[name] },
      clock: clock.buffer,
    });
    const mode = options.functions ?? 'shared';
    const host =
      mode === 'shared'
        ? new SharedEnvironment(
            (['ingest', 'rules', 'notify', 'sweep', 'desk-api'] as const).map((name) => settings(name)),
          )
        : undefined;
    const lambda = (name: FunctionName, defaultEnvironments: number): LocalFunctionRunner => {
      const fn = settings(name);
      if (host) return host.function(fn.functionName);
      if (mode === 'in-process') return inProcessModule({ ...fn, memoryLimitInMB: fn.memoryMB });
      return new LambdaFunction({ ...fn, maxEnvironments: options.maxEnvironments?.[name] ?? defaultEnvironments });
    };
    const functions: Record<FunctionName, LocalFunctionRunner> = {
      ingest: lambda('ingest', INGEST_ENVIRONMENTS),
      // One batch per shard at a time (parallelization factor 1), and one table stream shard locally.
      rules: lambda('rules', (options.shardCount ?? 2) * rulesEventSource.parallelizationFactor),
      notify: lambda('notify', 1),
      sweep: lambda('sweep', 1),
      'desk-api': lambda('desk-api', 1),
    };
    const stopFunctions = () => Promise.all(Object.values(functions).map((fn) => fn.stop()));
    try {
      await Promise.all(Object.values(functions).map((fn) => fn.start()));
    } catch (error) {
      await stopFunctions();
      throw error;
    }
    const api = await startIngestServer({
      port: options.apiPort ?? 8787,
      ...(options.host ? { host: options.host } : {}),
      function: functions.ingest,
    }).catch(async (error: unknown) => {
      await stopFunctions();
      throw error;
    });
    const deskApi = await startDeskApi({
      function: functions['desk-api'],
      port: options.deskApiPort ?? 8788,
      ...(options.host ? { host: options.host } : {}),
      ...(options.issuerFile ? { issuerFile: options.issuerFile } : {}),
    }).catch(async (error: unknown) => {
      await api.close();
      await stopFunctions();
      throw error;
    });

    const failures: Platform['failures'] = { rules: [], notify: [] };
    const rules = new KinesisEventSource({
      kinesis: clients.kinesis,
      streamName: resources.streamName,
      function: observed(
        functions.rules,
        (response: KinesisStreamBatchResponse & { summary?: BatchSummary }, event) => {
          if (response.summary) options.onRulesBatch?.(response.summary, event as KinesisStreamEvent);
        },
      ),
      batchSize: rulesEventSource.batchSize,
      maxBatchingWindowMs: options.batchingWindowMs ?? 200,
      bisectBatchOnError: rulesEventSource.bisectBatchOnError,
      maxRetryAttempts: rulesEventSource.retryAttempts,
      maxRecordAgeSeconds: rulesEventSource.maxRecordAgeSeconds,
      onFailure: async (failure) => {
        failures.rules.push(failure);
        await writeFailedBatch(rulesFolder, failure);
      },
    });
    const notify = new TableStreamSource({
      dynamodb: clients.dynamodb,
      tableName: resources.tableName,
      function: observed(functions.notify, (response: DynamoDBBatchResponse & { summary?: NotifySummary }, event) => {
        if (response.summary) options.onNotifyBatch?.(response.summary, event as DynamoDBStreamEvent);
      }),
      batchSize: notifyEventSource.batchSize,
      bisectBatchOnError: notifyEventSource.bisectBatchOnError,
      maxRetryAttempts: notifyEventSource.retryAttempts,
      maxRecordAgeSeconds: notifyEventSource.maxRecordAgeSeconds,
      onFailure: async (failure) => {
        failures.notify.push(failure);
        // As Lambda's SQS destination: the batch's metadata, not its records (the incidents stay in the table).
        const { records: _records, ...metadata } = failure;
        await clients.sqs.send(
          new SendMessageCommand({ QueueUrl: notifyQueueUrl, MessageBody: JSON.stringify(metadata) }),
        );
      },
    });
    await rules.start();
    await notify.start();
    // The sweep's schedule: one run at a time, as the scheduled rule with its function's concurrency would.
    let sweeping: Promise<SweepSummary> | undefined;
    const sweep = () => {
      sweeping ??= (functions.sweep.invoke(scheduledEvent(clock.now())) as Promise<SweepSummary>).finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    };
    let scheduled = true;
    const schedule = setInterval(() => {
      if (!scheduled) return;
      sweep().catch((error: unknown) => console.warn(`local sweep failed: ${String(error)}`));
    }, options.sweepIntervalMs ?? 15_000);
    schedule.unref();

    let stopped: Promise<void> | undefined;
    return {
      servers,
      clients,
      resources,
      desks,
      integrations,
      apiUrl: api.url,
      deskApi,
      sms,
      stream: new KinesisEventStream({ client: clients.kinesis, streamName: resources.streamName }),
      rules,
      notify,
      functions,
      functionsCpuMs: async () => {
        if (host) return { functions: (await host.usage()).cpuMs };
        const cpu = await Promise.all(Object.entries(functions).map(async ([k, f]) => [k, await f.cpuMs()] as const));
        return Object.fromEntries(cpu);
      },
      failures,
      clock,
      failureDestinations: { rulesFolder, notifyQueueUrl: notifyQueueUrl! },
      sweep,
      scheduleSweeps: (on) => {
        scheduled = on;
      },
      settle: async () => {
        await rules.drain({ timeoutMs: 30_000 });
        await notify.drain({ timeoutMs: 30_000 });
      },
      stop: () => {
        stopped ??= (async () => {
          clearInterval(schedule);
          await sweeping?.catch(() => undefined);
          await Promise.allSettled([api.close(), deskApi.close()]);
          await Promise.allSettled([rules.stop(), notify.stop()]);
          await stopFunctions();
          clients.destroy();
          await Promise.allSettled([servers.stop(), sms.stop()]);
        })();
        return stopped;
      },
    };
  } catch (error) {
    await Promise.allSettled([servers.stop(), sms.stop()]);
    throw error;
  }
}

/** Writes a failed batch as Lambda's S3 destination does: the metadata, and the invocation's event as `payload`. */
async function writeFailedBatch(folder: string, failure: KinesisBatchFailure): Promise<void> {
  const { records, ...info } = failure;
  const document = {
    requestContext: { condition: failure.reason, approximateInvokeCount: failure.approximateInvokeCount },
    KinesisBatchInfo: info,
    payload: JSON.stringify({ Records: records }),
  };
  await mkdir(folder, { recursive: true });
  const name = `${failure.shardId}-${failure.startSequenceNumber}-${failure.endSequenceNumber}.json`;
  await writeFile(join(folder, name), `${JSON.stringify(document)}\n`, { mode: 0o600 });
}

/** The event EventBridge hands a scheduled function. */
function scheduledEvent(now: Date) {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/sanwang-sweep'],
    detail: {},
  };
}
