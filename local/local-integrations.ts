import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEVICE_FORMATS } from '../events/adapters/device-adapter.ts';
import { type Integration, IntegrationRegistry } from '../shared/domain/integrations.ts';

export const LOCAL_STATE_DIR = '.sanwang';
export const INTEGRATIONS_FILE = `${LOCAL_STATE_DIR}/integrations.json`;
/** Where `npm start` writes the running API's URL, so `npx sanwang post` finds it. */
export const LOCAL_API_FILE = `${LOCAL_STATE_DIR}/local-api.json`;

/** What a running `npm start` tells the CLI: its endpoints, names and process id. */
export interface LocalApiState {
  url: string;
  dynamodb: string;
  table: string;
  kinesis: string;
  stream: string;
  /** The integration registry the platform's ingest reads (absolute path). */
  integrations?: string;
  /** The SQS endpoint, the folder of failed rules batches, and the notify failure queue (for `sanwang replay`). */
  sqs?: string;
  failedBatches?: string;
  notifyFailureQueue?: string;
  /** The SMS stand-in (GET /messages lists the texts). */
  sms?: string;
  pid: number;
}

/** Whether a process with this id is running (a process of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function readState(path: string): LocalApiState | undefined {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalApiState>;
    return typeof state.pid === 'number' && typeof state.url === 'string' ? (state as LocalApiState) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The running platform's state, or undefined when there is none: no file, an unreadable one, or one left by a
 * process that is gone (killed before it could remove it).
 */
export function readLocalApiState(path = LOCAL_API_FILE): LocalApiState | undefined {
  const state = readState(path);
  return state && isAlive(state.pid) ? state : undefined;
}

/** Writes the state atomically, so a reader never sees half a file. */
export function writeLocalApiState(state: LocalApiState, path = LOCAL_API_FILE): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${state.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}

/**
 * Removes the state file when it is this process's or its process is gone; a file another running platform
 * wrote (a second `npm start` that could not get the port) is left alone. Synchronous: it runs on `exit`.
 */
export function removeLocalApiState(path = LOCAL_API_FILE, pid = process.pid): void {
  const state = readState(path);
  if (state === undefined ? existsSync(path) : state.pid === pid || !isAlive(state.pid)) rmSync(path, { force: true });
}

export const DEMO_INTEGRATION_ID = 'demo-integration';

/**
 * Local mode's integration registry (the secret's stand-in). Created on first start with one demo integration and
 * a fresh random secret; kept afterwards so a signed script keeps working. Never committed (.gitignore).
 */
export function ensureLocalIntegrations(path = INTEGRATIONS_FILE): Integration[] {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const demo: Integration = {
      id: DEMO_INTEGRATION_ID,
      name: '演示接入 demo integration',
      secrets: [`whsec_${randomBytes(32).toString('base64')}`],
      networks: ['sky', 'ground', 'internet'],
      jurisdictions: ['140581'],
      formats: [...DEVICE_FORMATS],
    };
    writeFileSync(path, `${JSON.stringify({ integrations: [demo] }, null, 2)}\n`, { mode: 0o600 });
  }
  return IntegrationRegistry.parse(JSON.parse(readFileSync(path, 'utf8'))).integrations;
}
