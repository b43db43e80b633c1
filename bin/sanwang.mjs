#!/usr/bin/env node
// The `sanwang` command: runs the TypeScript CLI through tsx, as `npm start` does.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
