#!/usr/bin/env node
// The `sanwang` command: runs the TypeScript CLI through tsx, as `npm start` does.
import { register } from 'tsx/esm/api';

// The machines run Node 20; the SDK's notice that later releases need Node 22 is known.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/main.ts');
