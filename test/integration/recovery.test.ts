import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exampleEvent } from '../../events/examples.ts';
import { type Platform, startPlatform } from '../../local/platform.ts';
import { FolderFailedBatches } from '../../shared/adapters/failed-batches.ts';
import { replayRulesFailures } from '../../shared/app/replay-failures.ts';
import { incidentsOf } from './incidents.ts';

// What brings work back after the stream mappings or the SMS channel gave up on it, on the running local platform: the sweep
// (its schedule runs the real sweep function) and the replay of failed rules batches.
let platform: Platform;
let folder: string;

beforeAll(async () => {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  const dir = mkdtempSync(join(tmpdir(), 'sanwang-'));
  folder = join(dir, 'failed-batches');
  platform = await startPlatform({
    deskApiPort: 0,
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
  it('re-drives an alert whose texts failed, a minute later, and each recipient gets it once', async () => {
    // The SMS channel is down: every send fails, the step stays pending.
    platform.sms.fail({ count: 1000 });
    await platform.stream.put([sos('sweep-sos', 0)]);
    await platform.settle();
    const [incident] = await incidentsIn('sweep-sos');
    expect(incident).toMatchObject({ alertSeq: 1, alertPending: true });
    expect(platform.sms.take()).toEqual([]);
    // Too young to re-drive: the notifier is still the one to try.
    expect(await platform.sweep()).toMatchObject({ overdue: 0 });

    platform.sms.fail({ count: 0 });
    platform.clock.set(new Date(Date.now() + 90_000));
    try {
      const swept = await platform.sweep();
      await platform.settle();
      expect(swept).toMatchObject({ redriven: 1, failed: 0 });
    } finally {
      platform.clock.real();
    }

    const [after] = await incidentsIn('sweep-sos');
    expect(after).toMatchObject({ alertSentSeq: 1, alertPending: false });
    const { Items = [] } = await platform.clients.documents.send(
      new QueryCommand({
        TableName: platform.resources.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :alert)',
        ExpressionAttributeValues: { ':pk': `INC#${incident!.id}`, ':alert': 'ALERT#000001#' },
      }),
    );
    // 特急: its village desk and the township above, whoever is on duty at each; one failed try, then sent.
    expect([...new Set(Items.map((d) => d.deskId))].sort()).toEqual(['midong-post', 'mishan-station']);
    for (const d of Items) expect(d).toMatchObject({ status: 'sent', attempts: 2 });
    const got = platform.sms.take();
    expect(got).toHaveLength(Items.length);
    expect(new Set(got.map((t) => t.to)).size).toBe(Items.length);
    for (const t of got) expect(t.text).toContain(`码${incident!.code}`);
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
