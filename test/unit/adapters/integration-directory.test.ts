import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FileIntegrationDirectory,
  SecretsManagerIntegrationDirectory,
} from '../../../shared/adapters/integration-directory.ts';
import type { Integration } from '../../../shared/domain/integrations.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = newSecret();
const ROTATED = newSecret();

const camPlatform: Integration = {
  id: 'cam-platform',
  name: '高平市视频平台',
  secrets: [SECRET],
  networks: ['sky'],
  jurisdictions: ['140581'],
  formats: ['hikvision', 'gb28181'],
};
const cafePlatform: Integration = {
  id: 'cafe-platform',
  name: '网吧实名系统',
  secrets: [SECRET, ROTATED],
  networks: ['internet'],
  jurisdictions: ['140581100'],
  formats: [],
};
const registry = (...integrations: unknown[]) => JSON.stringify({ integrations });

/** Every run of 8 characters of a secret's key: an error message must hold none of them. */
function fragments(secret: string): string[] {
  const key = secret.slice('whsec_'.length);
  return Array.from({ length: key.length - 7 }, (_, i) => key.slice(i, i + 8));
}

/** The message of the error a call rejects with. */
async function rejection(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe('FileIntegrationDirectory', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sanwang-integrations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async (context) => {
    file = join(dir, `${context.task.id}.json`);
  });

  it('finds an integration by id and answers undefined for an unknown one', async () => {
    await writeFile(file, registry(camPlatform, cafePlatform));
    const directory = new FileIntegrationDirectory(file);

    expect(await directory.get('cam-platform')).toEqual(camPlatform);
    expect(await directory.get('cafe-platform')).toEqual(cafePlatform);
    expect(await directory.get('nobody')).toBeUndefined();
  });

  it('defaults formats to none', async () => {
    const { formats: _f, ...withoutFormats } = cafePlatform;
    await writeFile(file, registry(withoutFormats));

    expect((await new FileIntegrationDirectory(file).get('cafe-platform'))?.formats).toEqual([]);
  });

  it('keeps the parsed registry while the file is unchanged', async () => {
    await writeFile(file, registry(camPlatform));
    const directory = new FileIntegrationDirectory(file);

    const first = await directory.get('cam-platform');
    const second = await directory.get('cam-platform');

    expect(second).toBe(first);
  });

  it('reads the file again when it changes: a rotated secret and a new integration take effect', async () => {
    await writeFile(file, registry(camPlatform));
    const directory = new FileIntegrationDirectory(file);
    expect((await directory.get('cam-platform'))?.secrets).toEqual([SECRET]);
    expect(await directory.get('cafe-platform')).toBeUndefined();

    await writeFile(file, registry({ ...camPlatform, secrets: [ROTATED] }, cafePlatform));

    expect((await directory.get('cam-platform'))?.secrets).toEqual([ROTATED]);
    expect(await directory.get('cafe-platform')).toEqual(cafePlatform);
  });

  it('refuses an invalid registry naming the file and the fields, never the secret', async () => {
    const shortSecret = `whsec_${randomBytes(12).toString('base64')}`;
    await writeFile(
      file,
      registry(
        { ...camPlatform, id: 'Cam_Platform' },
        { ...cafePlatform, secrets: [shortSecret], networks: ['sky', 'air'] },
      ),
    );

    const message = await rejection(new FileIntegrationDirectory(file).get('cam-platform'));

    expect(message).toContain(`integration registry in ${file} is invalid`);
    expect(message).toContain('integrations.0.id: must be 3–40 lower-case letters, digits and dashes');
    expect(message).toContain('integrations.1.secrets.0: must be whsec_ followed by at least 24 bytes of base64');
    expect(message).toContain('integrations.1.networks.1');
    for (const secret of [SECRET, ROTATED, shortSecret]) {
      expect(message).not.toContain(secret);
      expect(message).not.toContain(secret.slice('whsec_'.length));
    }
  });

  it('names each bad field without its value (ids, codes, networks, the priority ceiling)', async () => {
    await writeFile(
      file,
      registry({
        ...camPlatform,
        id: 'Cam ⟦id⟧',
        networks: ['⟦net⟧'],
        jurisdictions: ['⟦code⟧'],
        formats: ['⟦format⟧'],
        maxDevicePriority: '⟦1⟧',
      }),
    );

    const message = await rejection(new FileIntegrationDirectory(file).get('cam-platform'));

    expect(message).toMatch(
      /integrations\.0\.id: .*integrations\.0\.networks\.0: .*maxDevicePriority: must be 1, 2, 3 or 4/,
    );
    expect(message).not.toMatch(/⟦|⟧/);
  });

  it('refuses a registry without the integrations list', async () => {
    await writeFile(file, JSON.stringify({ integration: [camPlatform] }));

    expect(await rejection(new FileIntegrationDirectory(file).get('cam-platform'))).toMatch(
      /is invalid: integrations: Invalid input: expected array/,
    );
  });

  it('refuses a file that is not JSON without echoing the whole secret', async () => {
    await writeFile(file, `{"integrations": [{"id": "cam-platform", "secrets": ["${SECRET}",]}]}`);

    const message = await rejection(new FileIntegrationDirectory(file).get('cam-platform'));

    expect(message).not.toContain(SECRET);
  });

  it('refuses a file that is not JSON without quoting any part of a secret', async () => {
    await writeFile(file, `{"integrations": [{"id": "cam-platform", "secrets": ["${SECRET}",]}]}`);

    const message = await rejection(new FileIntegrationDirectory(file).get('cam-platform'));

    for (const fragment of fragments(SECRET)) expect(message).not.toContain(fragment);
  });

  it('fails with the file system error when the file is missing', async () => {
    await expect(new FileIntegrationDirectory(join(dir, 'missing.json')).get('cam-platform')).rejects.toThrow(/ENOENT/);
  });
});

describe('SecretsManagerIntegrationDirectory', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  // Powertools caches secrets per process by id: every test reads its own secret.
  const secretArn = (name: string) => `arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:sanwang/${name}-AbCdEf`;

  beforeEach(() => {
    secretsManager.reset();
  });

  it('reads the integrations from the secret', async () => {
    const secretId = secretArn('reads');
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: registry(camPlatform, cafePlatform) });
    const directory = new SecretsManagerIntegrationDirectory({ secretId });

    expect(await directory.get('cafe-platform')).toEqual(cafePlatform);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretId });
  });

  it('answers undefined for an unknown id', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: registry(camPlatform) });
    const directory = new SecretsManagerIntegrationDirectory({ secretId: secretArn('unknown') });

    expect(await directory.get('nobody')).toBeUndefined();
  });

  it('calls Secrets Manager once for lookups within the cache age', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: registry(camPlatform, cafePlatform) });
    const directory = new SecretsManagerIntegrationDirectory({ secretId: secretArn('cached'), maxAgeSeconds: 300 });

    expect(await directory.get('cam-platform')).toEqual(camPlatform);
    expect(await directory.get('cafe-platform')).toEqual(cafePlatform);

    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('reads the secret again on every lookup with a cache age of 0, so a rotation takes effect', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: registry(camPlatform) })
      .resolvesOnce({ SecretString: registry({ ...camPlatform, secrets: [ROTATED] }) });
    const directory = new SecretsManagerIntegrationDirectory({ secretId: secretArn('uncached'), maxAgeSeconds: 0 });

    expect((await directory.get('cam-platform'))?.secrets).toEqual([SECRET]);
    expect((await directory.get('cam-platform'))?.secrets).toEqual([ROTATED]);
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('refuses an invalid registry naming the fields, never the secret', async () => {
    const shortSecret = `whsec_${randomBytes(12).toString('base64')}`;
    secretsManager.on(GetSecretValueCommand).resolves({
      SecretString: registry(camPlatform, { ...cafePlatform, secrets: [shortSecret, SECRET], jurisdictions: [] }),
    });
    const directory = new SecretsManagerIntegrationDirectory({ secretId: secretArn('invalid') });

    const message = await rejection(directory.get('cam-platform'));

    expect(message).toContain('integration registry in the integrations secret is invalid');
    expect(message).toContain('integrations.1.secrets.0: must be whsec_ followed by at least 24 bytes of base64');
    expect(message).toContain('integrations.1.jurisdictions');
    for (const secret of [SECRET, shortSecret]) {
      expect(message).not.toContain(secret);
      expect(message).not.toContain(secret.slice('whsec_'.length));
    }
  });

  it('refuses a secret that is not JSON without quoting any part of a secret', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: `{"integrations": [{"id": "cam-platform", "secrets": ["${SECRET}",]}]}` });
    const directory = new SecretsManagerIntegrationDirectory({ secretId: secretArn('not-json') });

    const message = await rejection(directory.get('cam-platform'));

    for (const fragment of fragments(SECRET)) expect(message).not.toContain(fragment);
  });
});
