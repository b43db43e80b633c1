import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Inside node_modules, so that the packages a bundle leaves out resolve from the project's node_modules.
const CACHE_DIR = new URL('../node_modules/.cache/sanwang-local/', import.meta.url);

const bundles = new Map<string, Promise<URL>>();

/**
 * The module at `entry` (TypeScript) as one ESM file, built by esbuild as the stack builds the functions: our code
 * inlined, packages (the AWS SDK, zod, middy …) imported from node_modules as they are. Worker threads load it as
 * plain JavaScript, so an execution environment's Init is what Lambda's is — importing a bundle — and not a
 * TypeScript transpile per thread. Files are named by their content and kept, so concurrent platforms share them.
 * @example const url = await bundleModule(new URL('../functions/rules/handler.ts', import.meta.url));
 */
export function bundleModule(entry: URL): Promise<URL> {
  const key = entry.href;
  let bundled = bundles.get(key);
  if (!bundled) {
    bundled = buildBundle(entry);
    bundles.set(key, bundled);
    // A failed build (a syntax error being fixed) is tried again next time.
    bundled.catch(() => bundles.delete(key));
  }
  return bundled;
}

async function buildBundle(entry: URL): Promise<URL> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Error classes are matched by name in logs and answers; keep names as the stack's bundles do.
    keepNames: true,
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const name = fileURLToPath(entry).split(/[\\/]/).slice(-2).join('-').replace(/\.ts$/, '');
  const file = new URL(`${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`, CACHE_DIR);
  if (!existsSync(file)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written whole under a temporary name first: a concurrent platform never imports half a file.
    const partial = `${fileURLToPath(file)}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  return file;
}
