import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalAwsClients, type LocalAwsClients } from '../../local/aws-clients.ts';
import type { LocalApiState } from '../../local/local-integrations.ts';
import { ensureTable } from '../../local/provision.ts';
import { startServer } from '../../local/server-worker.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/sanwang.mjs');
/** Each subprocess loads tsx and compiles TypeScript: seconds on a busy 2-core machine. */
export const CLI_TIMEOUT = 60_000;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A DynamoDB server with the table `name`, and a folder whose `.sanwang/local-api.json` points at it, as a running
 * `npm start` leaves it: `npx sanwang` run there (`run`) finds the platform the way an operator's does.
 */
export async function startCliTable(name = 'sanwang') {
  const server = await startServer('dynamodb', '127.0.0.1', 0);
  const endpoint = `http://127.0.0.1:${server.port}`;
  const clients: LocalAwsClients = createLocalAwsClients({
    dynamodb: endpoint,
    kinesis: endpoint,
    sns: endpoint,
    sqs: endpoint,
  });
  await ensureTable(clients, name);
  const cwd = mkdtempSync(join(tmpdir(), 'sanwang-cli-'));
  mkdirSync(join(cwd, '.sanwang'));
  const state: Partial<LocalApiState> = {
    url: 'http://127.0.0.1:1',
    dynamodb: endpoint,
    table: name,
    pid: process.pid,
  };
  writeFileSync(join(cwd, '.sanwang/local-api.json'), JSON.stringify(state));
  const run = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  return {
    clients,
    cwd,
    table: name,
    run,
    close: async () => {
      clients.destroy();
      await server.close();
    },
  };
}
