// `npx sanwang replay rules|notify`: put what the stream mappings gave up on back where it is applied exactly once.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { readLocalApiState } from '../local/local-integrations.ts';
import { createDocumentClient } from '../shared/adapters/dynamodb-client.ts';
import { KinesisEventStream } from '../shared/adapters/event-stream.ts';
import {
  type FailedBatchStore,
  FolderFailedBatches,
  S3FailedBatches,
  SqsFailureQueue,
} from '../shared/adapters/failed-batches.ts';
import { DynamoPendingAlerts } from '../shared/adapters/pending-alerts.ts';
import { createSweeper } from '../shared/app/alert-sweeper.ts';
import { replayNotifyFailures, replayRulesFailures } from '../shared/app/replay-failures.ts';
import { UsageError, unreachable } from './errors.ts';
import type { CliOptions, CliOutput } from './main.ts';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const SEE_HELP = 'see npx sanwang --help';
const quiet = { info() {}, warn() {} };

/**
 * `replay rules`: the failed batches of the rules mapping (`--bucket`, or the running `npm start`'s folder) back on
 * the stream. `replay notify`: every pending alert before the notifier now, and the notify failure queue emptied.
 */
export async function replay([what, ...extra]: string[], values: CliOptions, io: CliOutput): Promise<void> {
  if ((what !== 'rules' && what !== 'notify') || extra.length > 0) {
    throw new UsageError(`replay needs rules or notify (${SEE_HELP})`);
  }
  const local = readLocalApiState();
  const onAws = what === 'rules' ? values.bucket !== undefined : values.queue !== undefined;
  if (!onAws && !local) {
    throw new UsageError(
      what === 'rules'
        ? 'no failed batches: pass --bucket NAME --stream NAME, or start the platform with npm start'
        : 'no failure queue: pass --queue URL --table NAME, or start the platform with npm start',
    );
  }
  if (what === 'rules') {
    const streamName = onAws ? values.stream : local!.stream;
    if (!streamName) throw new UsageError(`replay rules --bucket needs --stream NAME, the alarm stream (${SEE_HELP})`);
    const kinesis = onAws
      ? new KinesisClient({})
      : new KinesisClient({ ...LOCAL, endpoint: local!.kinesis, requestHandler: new NodeHttpHandler() });
    const s3 = onAws ? new S3Client({}) : undefined;
    const batches: FailedBatchStore = s3
      ? new S3FailedBatches({ client: s3, bucket: values.bucket!, ...(values.prefix ? { prefix: values.prefix } : {}) })
      : new FolderFailedBatches(local!.failedBatches ?? '.sanwang/failed-batches');
    try {
      const summary = await replayRulesFailures({
        batches,
        stream: new KinesisEventStream({ client: kinesis, streamName }),
        keep: values.keep === true,
      });
      io.out(
        `${summary.batches} failed batches in ${batches.label}: ${summary.replayed} of ${summary.records} records back on ${streamName}` +
          (summary.failed ? `, ${summary.failed} not taken (run again)` : '') +
          (values.keep ? '; documents kept' : '; documents of batches put back whole removed'),
      );
      for (const u of summary.unreadable) io.out(`  ${u.key}: ${u.reason}`);
    } catch (error) {
      throw (
        unreachable(error, onAws ? `stream ${streamName}` : `the local platform at ${local!.kinesis}`, onAws) ?? error
      );
    } finally {
      kinesis.destroy();
      s3?.destroy();
    }
    return;
  }

  const tableName = onAws ? values.table : local!.table;
  if (!tableName) throw new UsageError(`replay notify --queue needs --table NAME, the incident table (${SEE_HELP})`);
  const queueUrl = onAws ? values.queue! : local!.notifyFailureQueue;
  if (!queueUrl) throw new UsageError('the running platform names no notify failure queue: restart it with npm start');
  const sqs = onAws ? new SQSClient({}) : new SQSClient({ ...LOCAL, endpoint: local!.sqs });
  const client = createDocumentClient(new DynamoDBClient(onAws ? {} : { ...LOCAL, endpoint: local!.dynamodb }));
  const sweepNow = createSweeper({
    pending: new DynamoPendingAlerts({ client, tableName }),
    now: () => new Date(),
    log: quiet,
    minAgeMs: 0,
    limit: 100_000,
  });
  try {
    const summary = await replayNotifyFailures({ queue: new SqsFailureQueue({ client: sqs, queueUrl }), sweepNow });
    io.out(
      `${summary.notices} notices of failed notify batches; ${summary.sweep.redriven} pending alerts sent before the notifier again` +
        (summary.sweep.settled ? `, ${summary.sweep.settled} sent meanwhile` : '') +
        (summary.sweep.failed ? `, ${summary.sweep.failed} could not be re-driven (run again; notices kept)` : ''),
    );
  } catch (error) {
    throw unreachable(error, onAws ? `table ${tableName}` : `the local platform at ${local!.dynamodb}`, onAws) ?? error;
  } finally {
    sqs.destroy();
    client.destroy();
  }
}
