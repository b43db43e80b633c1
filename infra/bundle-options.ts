/**
 * How each function is bundled, in esbuild's own terms. The stack (infra/handler-function.ts) and `npm run bench`
 * (bench/bundles.ts) both build from this, so the bench measures what is deployed.
 */
export const bundleOptions = {
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // Error classes and rule ids are matched by name in logs; keep them readable without shipping source maps.
  keepNames: true,
  // SMS text is Chinese: keep it as UTF-8 rather than \u escapes.
  charset: 'utf8',
  // The AWS SDK is bundled, not taken from the runtime: the bundle then runs the SDK version the tests ran (the
  // lock file's), and loading one file is faster than resolving hundreds under the runtime's node_modules.
  // ESM builds first: the SDK's dist-es tree-shakes where its dist-cjs does not (rules: ~740 KB -> ~520 KB).
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ESM bundle call require(); give them one.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;

/** Bytes of a bundle's output that come from files outside node_modules: our own code's share (esbuild metafile). */
export function ownCodeBytes(output: { inputs: Record<string, { bytesInOutput: number }> }): number {
  return Object.entries(output.inputs)
    .filter(([path]) => !path.split(/[\\/]/).includes('node_modules'))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
}
