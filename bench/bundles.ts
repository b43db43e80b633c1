import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const OUT = resolve('.tmp/bench');

// The same AWS SDK clients the handlers build, and nothing of ours: what any such function pays at init.
const SDK_ONLY = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new SNSClient({})];
export const handler = async () => ({});
`;

/** Bundles each functions/<name>/handler.ts as the CDK stack does (minified ESM for node24, SDK external). */
export async function bundleFunctions(): Promise<{ name: string; file: string; bytes: number }[]> {
  mkdirSync(OUT, { recursive: true });
  const names = readdirSync('functions', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const out = [];
  for (const name of names) out.push(await bundle(name, join('functions', name, 'handler.ts')));
  return out;
}

/** The SDK-only baseline, bundled the same way. */
export async function bundleSdkBaseline(): Promise<{ name: string; file: string; bytes: number }> {
  mkdirSync(OUT, { recursive: true });
  const entry = join(OUT, 'sdk-only.ts');
  writeFileSync(entry, SDK_ONLY);
  return bundle('sdk-only', entry);
}

async function bundle(name: string, entry: string): Promise<{ name: string; file: string; bytes: number }> {
  {
    const file = join(OUT, `${name}.mjs`);
    const result = await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      keepNames: true,
      charset: 'utf8',
      external: ['@aws-sdk/*'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      metafile: true,
      logLevel: 'error',
    });
    const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
    return { name, file, bytes };
  }
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

/** Milliseconds to import `file` in a fresh Node process (the module-init part of a cold start), median of `runs`. */
export function initTimeMs(file: string, runs = 7): number {
  const script = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});console.log(performance.now()-t)`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...ENV },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`init of ${file} failed: ${r.stderr.split('\n').slice(-8).join('\n')}`);
    times.push(Number(r.stdout.trim()));
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}
