import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, ownCodeBytes } from '../infra/bundle-options.ts';

const OUT = resolve('.tmp/bench');

/** The SDK client each bundled package stands for, as a handler builds it. */
const SDK_CLIENTS: Record<string, { className: string; build: string }> = {
  'client-dynamodb': {
    className: 'DynamoDBClient',
    build: 'DynamoDBDocumentClient.from(new DynamoDBClient({}))',
  },
  'client-kinesis': { className: 'KinesisClient', build: 'new KinesisClient({})' },
  'client-secrets-manager': { className: 'SecretsManagerClient', build: 'new SecretsManagerClient({})' },
  'client-sns': { className: 'SNSClient', build: 'new SNSClient({})' },
};

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  /** Bytes from files outside node_modules. */
  ownBytes: number;
  /** The `@aws-sdk/client-*` packages inside the bundle. */
  clients: string[];
}

/** A handler bundled as the stack bundles it, beside the two bundles its init is compared with. */
export interface FunctionBundles {
  deployed: Bundle;
  /** The same handler with the SDK left out, loaded from node_modules as the runtime's own SDK would be. */
  sdkExternal: Bundle;
  /** The SDK clients the handler bundles, built the same way, and none of our code. */
  sdkOnly: Bundle;
}

/** Bundles each functions/<name>/handler.ts as the stack does, and its two comparison bundles. */
export async function bundleFunctions(): Promise<FunctionBundles[]> {
  mkdirSync(OUT, { recursive: true });
  const names = readdirSync('functions', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const out: FunctionBundles[] = [];
  for (const name of names) {
    const entry = join('functions', name, 'handler.ts');
    const deployed = await bundle(name, entry, 'bundled');
    const sdkExternal = await bundle(`${name}-sdk-external`, entry, 'external');
    const sdkOnly = await bundle(`${name}-sdk-only`, sdkOnlyEntry(name, deployed.clients), 'bundled');
    out.push({ deployed, sdkExternal, sdkOnly });
  }
  return out;
}

function sdkOnlyEntry(name: string, clients: readonly string[]): string {
  const lines = clients.map((client) => {
    const known = SDK_CLIENTS[client];
    if (!known) throw new Error(`bench: ${name} bundles @aws-sdk/${client}; add it to SDK_CLIENTS in bench/bundles.ts`);
    return { imports: `import { ${known.className} } from '@aws-sdk/${client}';`, build: known.build };
  });
  const documentClient = clients.includes('client-dynamodb')
    ? ["import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';"]
    : [];
  const entry = join(OUT, `${name}-sdk-only.ts`);
  writeFileSync(
    entry,
    [
      ...lines.map((l) => l.imports),
      ...documentClient,
      `export const clients = [${lines.map((l) => l.build).join(', ')}];`,
      'export const handler = async () => ({});',
      '',
    ].join('\n'),
  );
  return entry;
}

async function bundle(name: string, entry: string, sdk: 'bundled' | 'external'): Promise<Bundle> {
  const file = join(OUT, `${name}.mjs`);
  const result = await build({
    ...bundleOptions,
    mainFields: [...bundleOptions.mainFields],
    banner: { js: bundleOptions.banner },
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    external: sdk === 'external' ? ['@aws-sdk/*'] : [],
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const clients = new Set<string>();
  for (const path of Object.keys(output.inputs)) {
    const client = /node_modules\/@aws-sdk\/(client-[^/]+)\//.exec(path)?.[1];
    if (client) clients.add(client);
  }
  return { name, file, bytes: output.bytes, ownBytes: ownCodeBytes(output), clients: [...clients].sort() };
}

const ENV = {
  TABLE_NAME: 'bench',
  TOPIC_ARN: 'arn:aws:sns:cn-north-1:000000000000:bench',
  STREAM_NAME: 'bench',
  INTEGRATIONS_SECRET_ARN: 'arn:aws:secretsmanager:cn-north-1:000000000000:secret:bench',
  AWS_REGION: 'cn-north-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

/**
 * Milliseconds to import each file in a fresh Node process (the module-init part of a cold start), median of `runs`.
 * The files take turns run by run, so a machine that slows down or speeds up meanwhile affects them alike.
 */
export function initTimesMs(files: readonly string[], runs = 7): number[] {
  const times = files.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    files.forEach((file, n) => {
      const script = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});console.log(performance.now()-t)`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...ENV },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`init of ${file} failed: ${r.stderr.split('\n').slice(-8).join('\n')}`);
      times[n]!.push(Number(r.stdout.trim()));
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(runs / 2)]!);
}
