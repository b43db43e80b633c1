#!/usr/bin/env node
// The `sanwang` command: runs the TypeScript CLI through tsx, as `npm start` does.
import { register } from 'tsx/esm/api';

// The machines run Node 20; the SDK's notice that later releases need Node 22 is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
try {
  register();
  const { runCli } = await import('../cli/main.ts');
  process.exitCode = await runCli(process.argv.slice(2));
} catch (error) {
  // Only a broken installation gets here (tsx or a module missing): still one line, not a stack.
  console.error(`sanwang: could not start: ${error?.message ?? error} (run npm ci)`);
  process.exitCode = 1;
}
