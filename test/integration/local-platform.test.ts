import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exampleEvent } from '../../events/examples.ts';
import { type Platform, type PlatformOptions, startPlatform } from '../../local/platform.ts';
import { postSigned } from '../../shared/adapters/signed-request.ts';
import { incidentsOf } from './incidents.ts';

// The whole local platform in both ways of running its functions: a signed batch through the HTTP API, the rules
// and the notifier, and what each function's runner counted.
let platform: Platform | undefined;

afterEach(async () => {
  await platform?.stop();
  platform = undefined;
});

async function run(options: PlatformOptions, camera: string) {
  vi.stubEnv('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
  platform = await startPlatform({
    deskApiPort: 0,
    apiPort: 0,
    logLevel: 'SILENT',
    integrationsFile: join(mkdtempSync(join(tmpdir(), 'sanwang-')), 'integrations.json'),
    ...options,
  });
  const integration = platform.integrations[0]!;
  const events = Array.from({ length: 20 }, (_, i) =>
    exampleEvent('camera.intrusion', {
      id: `${camera}-${i}`,
      occurredAt: new Date(Date.now() - (20 - i) * 1000).toISOString(),
      source: { id: camera, kind: 'camera' },
    }),
  );
  const answers = [];
  // Two requests: the second is a new invocation with a context of its own, as every one is.
  for (const part of [events.slice(0, 10), events.slice(10)]) {
    answers.push(
      await postSigned({
        url: `${platform.apiUrl}/v1/events`,
        integrationId: integration.id,
        secret: integration.secrets[0]!,
        body: Buffer.from(JSON.stringify({ events: part })),
        contentType: 'application/json',
      }),
    );
  }
  await platform.settle();
  const incidents = await incidentsOf(platform, camera);
  return { statuses: answers.map((a) => a.status), incidents, functions: platform.functions };
}

describe('the local platform', () => {
  it('runs its functions in one shared execution environment by default', async () => {
    const { statuses, incidents, functions } = await run({}, 'platform-shared-cam');
    expect(statuses).toEqual([202, 202]);
    expect(incidents).toEqual([expect.objectContaining({ eventCount: 20, alertSentSeq: 1 })]);
    expect(functions.ingest.stats).toMatchObject({ invocations: 2, errors: 0, coldStarts: 1, environments: 1 });
    expect(functions.rules.stats.errors).toBe(0);
    expect(functions.notify.stats.invocations).toBeGreaterThan(0);
  });

  it('runs each function in execution environments of its own when asked to', async () => {
    const { statuses, incidents, functions } = await run({ functions: 'environments' }, 'platform-env-cam');
    expect(statuses).toEqual([202, 202]);
    expect(incidents).toEqual([expect.objectContaining({ eventCount: 20, alertSentSeq: 1 })]);
    expect(functions.ingest.stats).toMatchObject({ invocations: 2, errors: 0, coldStarts: 1 });
    expect(functions.notify.stats.invocations).toBeGreaterThan(0);
  });

  it('runs its handlers in its own thread when asked to, with the same outcome', async () => {
    const { statuses, incidents, functions } = await run(
      { functions: 'in-process', serverThreads: 'main' },
      'platform-inproc-cam',
    );
    expect(statuses).toEqual([202, 202]);
    expect(incidents).toEqual([expect.objectContaining({ eventCount: 20, alertSentSeq: 1 })]);
    expect(functions.ingest.stats).toMatchObject({ invocations: 2, errors: 0, environments: 1 });
  });
});
