import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEVICE_FORMATS } from '../events/adapters/device-adapter.ts';
import { type Integration, IntegrationRegistry } from '../shared/domain/integrations.ts';

export const LOCAL_STATE_DIR = '.sanwang';
export const INTEGRATIONS_FILE = `${LOCAL_STATE_DIR}/integrations.json`;
/** Where `npm start` writes the running API's URL, so `npx sanwang post` finds it. */
export const LOCAL_API_FILE = `${LOCAL_STATE_DIR}/local-api.json`;

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
