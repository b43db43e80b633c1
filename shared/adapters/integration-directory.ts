import { readFile, stat } from 'node:fs/promises';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { describeJsonError } from '../../events/json-error.ts';
import { type Integration, IntegrationRegistry } from '../domain/integrations.ts';

/** What the ingest needs to know about integrations: look one up by id. */
export interface IntegrationDirectory {
  get(id: string): Promise<Integration | undefined>;
}

function index(text: string, source: string): Map<string, Integration> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, which here is a secret.
    throw new Error(`integration registry in ${source} is not JSON: ${describeJsonError(text)}`);
  }
  const parsed = IntegrationRegistry.safeParse(json);
  if (!parsed.success) {
    // Name the fields but never the values: they are secrets.
    const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`integration registry in ${source} is invalid: ${where}`);
  }
  return new Map(parsed.data.integrations.map((i) => [i.id, i]));
}

/**
 * Integrations from one Secrets Manager secret (`{"integrations": [...]}`), cached by Powertools for five
 * minutes, so a rotated secret takes effect without a deploy.
 */
export class SecretsManagerIntegrationDirectory implements IntegrationDirectory {
  readonly #secretId: string;
  readonly #maxAgeSeconds: number;

  constructor(options: { secretId: string; maxAgeSeconds?: number }) {
    this.#secretId = options.secretId;
    this.#maxAgeSeconds = options.maxAgeSeconds ?? 300;
  }

  async get(id: string): Promise<Integration | undefined> {
    const value = await getSecret(this.#secretId, { maxAge: this.#maxAgeSeconds });
    if (typeof value !== 'string') throw new Error('the integrations secret must be a JSON string, not binary');
    return index(value, 'the integrations secret').get(id);
  }
}

/** Integrations from a JSON file: local mode's stand-in for the secret, re-read when it changes on disk. */
export class FileIntegrationDirectory implements IntegrationDirectory {
  readonly #path: string;
  #cache?: { stamp: string; byId: Map<string, Integration> };

  constructor(path: string) {
    this.#path = path;
  }

  async get(id: string): Promise<Integration | undefined> {
    // A stat per request instead of a read and a parse: the file changes when an operator edits it, rarely.
    const { mtimeMs, size, ino } = await stat(this.#path);
    const stamp = `${ino}:${mtimeMs}:${size}`;
    if (this.#cache?.stamp !== stamp) {
      this.#cache = { stamp, byId: index(await readFile(this.#path, 'utf8'), this.#path) };
    }
    return this.#cache.byId.get(id);
  }
}
