import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exampleEvent } from '../../events/examples.ts';
import { takeAlerts } from '../../local/desk-inbox.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';
import { FolderFailedBatches } from '../../shared/adapters/failed-batches.ts';
import { replayRulesFailures } from '../../shared/app/replay-failures.ts';
import { incidentsOf } from './incidents.ts';

// What brings work back after the stream mappings or SNS gave up on it, on the running local platform: the sweep
// (its schedule runs the real sweep function) and the replay of failed rules batches.
let platform: Platform;
let folder: string;

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  const dir = mkdtempSync(join(tmpdir(), 'sanwang-'));
  folder = join(dir, 'failed-batches');
  platform = await startPlatform({
    apiPort: 0,
    logLevel: 'SILENT',
    integrationsFile: join(dir, 'integrations.json'),
    failedBatchesDir: folder,
  });
});

afterAll(async () => {
  await platform?.stop();
});

const sos = (camera: string, i: number) =>
  exampleEvent('patrol.sos', {
    id: `${camera}-${i}`,
    occurredAt: new Date(Date.now() - 5000 + i).toISOString(),
    receivedAt: new Date(Date.now() - 4000 + i).toISOString(),
    source: { id: camera, kind: 'patrol_app' },
    payload: { kind: 'sos', officer: { badge: camera } },
  });

const incidentsIn = (source: string) => incidentsOf(platform, source);

describe('recovery on the local platform', () => {
  it('re-drives an alert left pending for more than a minute, and the notifier sends it once', async () => {
    await platform.stream.put([sos('sweep-sos', 0)]);
    await platform.settle();
    const [incident] = await incidentsIn('sweep-sos');
    await takeAlerts(platform.clients.sqs, platform.resources.deskQueues['gaoping-command']!.queueUrl);
    // As if its publish had failed two minutes ago: still due, and waiting since then.
    await platform.clients.documents.send(
      new UpdateCommand({
        TableName: platform.resources.tableName,
        Key: { pk: `INC#${incident!.id}`, sk: 'INCIDENT' },
        UpdateExpression: 'SET alertPending = :t, gsi1pk = :p, gsi1sk = :sk, alertSeq = :two',
        ExpressionAttributeValues: {
          ':t': true,
          ':p': 'ALERT#PENDING',
          ':sk': `${new Date(Date.now() - 120_000).toISOString()}#${incident!.id}`,
          ':two': 2,
        },
      }),
    );

    const swept = await platform.sweep();
    await platform.settle();

    expect(swept).toMatchObject({ redriven: 1, failed: 0 });
    const [after] = await incidentsIn('sweep-sos');
    expect(after).toMatchObject({ alertSentSeq: 2, alertPending: false });
    const sms = await takeAlerts(platform.clients.sqs, platform.resources.deskQueues['gaoping-command']!.queueUrl);
    expect(sms.map((a) => a.alertSeq)).toEqual([2]);
    expect((await platform.sweep()).overdue).toBe(0);
  });

  it('puts a failed rules batch back on the stream, and counts its events once however often it is replayed', async () => {
    const { KinesisEventStream } = await import('../../shared/adapters/event-stream.ts');
    const events = [sos('replay-sos', 0), sos('replay-sos', 1), sos('replay-sos', 2)];
    await platform.stream.put(events.slice(0, 2));
    await platform.settle();
    // The batch the rules mapping gave up on, as Lambda's S3 destination keeps it (here: its whole shard so far).
    const records = events.map((e, i) => ({
      kinesis: {
        partitionKey: e.source.id,
        sequenceNumber: String(i + 1),
        data: Buffer.from(JSON.stringify(e)).toString('base64'),
      },
    }));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(folder, { recursive: true });
    const doc = JSON.stringify({ KinesisBatchInfo: { batchSize: 3 }, payload: JSON.stringify({ Records: records }) });
    await writeFile(join(folder, 'a.json'), doc);
    await writeFile(join(folder, 'b.json'), doc);
    const stream = new KinesisEventStream({
      client: platform.clients.kinesis,
      streamName: platform.resources.streamName,
    });

    const summary = await replayRulesFailures({ batches: new FolderFailedBatches(folder), stream });
    await platform.settle();

    expect(summary).toMatchObject({ batches: 2, records: 6, replayed: 6, failed: 0, unreadable: [] });
    expect(await new FolderFailedBatches(folder).list()).toEqual([]);
    const [incident] = await incidentsIn('replay-sos');
    expect(incident?.eventCount).toBe(3);
  });
});
