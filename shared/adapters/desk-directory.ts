import { readFile, rename, writeFile } from 'node:fs/promises';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describeJsonError } from '../../events/json-error.ts';
import { type DutyDesk, DutyDeskList, describeDeskIssues } from '../domain/duty-desks.ts';
import { type Clock, clock as threadClock } from './clock.ts';
import { batchWrite } from './dynamo-batch.ts';

/** What the functions need of the duty desks: all of them, read at run time (a change needs no deploy). */
export interface DeskDirectory {
  list(): Promise<DutyDesk[]>;
}

/** What an operator's import needs: put one desk, or make the directory exactly a list. */
export interface DeskDirectoryWriter {
  /** Adds or replaces one desk; refused when it clashes with the others (an officer id already taken). */
  put(desk: DutyDesk): Promise<void>;
  /** Makes the directory exactly `desks`: every one written, every desk not among them removed. */
  replace(desks: readonly DutyDesk[]): Promise<ReplaceSummary>;
}

/** Desk ids written and removed by a replace. */
export interface ReplaceSummary {
  written: string[];
  removed: string[];
}

/** The directory's contents or a write are invalid; the message names the fields, never their values. */
export class DeskDirectoryError extends Error {
  override name = 'DeskDirectoryError';
}

export const DESK_DIRECTORY_DEFAULTS = {
  /** How long a read serves: an import reaches the functions within this. */
  maxAgeSeconds: 60,
} as const;

export interface DeskDirectoryOptions {
  maxAgeSeconds?: number;
  /** Default: the thread's clock (local mode's demo clock where one is installed). */
  clock?: Clock;
}

/** One read shared by every caller for `maxAgeSeconds`; a failed read is not kept, writes drop it. */
class ReadCache<T> {
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  #entry?: { at: number; value: Promise<T> };

  constructor(options: DeskDirectoryOptions) {
    this.#maxAgeMs = (options.maxAgeSeconds ?? DESK_DIRECTORY_DEFAULTS.maxAgeSeconds) * 1000;
    this.#clock = options.clock ?? threadClock;
  }

  get(read: () => Promise<T>): Promise<T> {
    const now = this.#clock.now().getTime();
    const entry = this.#entry;
    // A clock set back (the demo's returns to real time) reads again rather than serving from the future.
    if (entry && now >= entry.at && now - entry.at < this.#maxAgeMs) return entry.value;
    const fresh = { at: now, value: read() };
    this.#entry = fresh;
    fresh.value.catch(() => {
      if (this.#entry === fresh) this.#entry = undefined;
    });
    return fresh.value;
  }

  clear(): void {
    this.#entry = undefined;
  }
}

function parseDesks(json: unknown, source: string): DutyDesk[] {
  const parsed = DutyDeskList.safeParse(json);
  if (!parsed.success)
    throw new DeskDirectoryError(`${source} holds no valid desk list: ${describeDeskIssues(parsed.error)}`);
  return parsed.data;
}

/** The desks with `desk` put in place of the one with its id (or added), checked as a whole. */
function withDesk(desks: readonly DutyDesk[], desk: DutyDesk): DutyDesk[] {
  const next = desks.some((d) => d.id === desk.id) ? desks.map((d) => (d.id === desk.id ? desk : d)) : [...desks, desk];
  return parseDesks(next, `the directory with desk ${desk.id}`);
}

/** Partition of the desk items: every desk in one, so listing them is one Query. */
export const DESKS_PK = 'DESKS';
export const deskSk = (deskId: string) => `DESK#${deskId}`;
/** Attributes of a desk item that are bookkeeping, not the desk. */
const BOOKKEEPING = ['pk', 'sk', 'updatedAt'] as const;

/**
 * The desks in the table, one item each (pk `DESKS`, sk `DESK#<id>`, the desk's fields, `updatedAt`), listed by
 * one consistent Query and kept for `maxAgeSeconds`.
 */
export class DynamoDeskDirectory implements DeskDirectory, DeskDirectoryWriter {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;
  readonly #cache: ReadCache<DutyDesk[]>;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string } & DeskDirectoryOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#clock = options.clock ?? threadClock;
    this.#cache = new ReadCache(options);
  }

  list(): Promise<DutyDesk[]> {
    return this.#cache.get(async () => this.#parse(await this.#items()));
  }

  async put(desk: DutyDesk): Promise<void> {
    withDesk(this.#parse(await this.#items()), desk);
    this.#cache.clear();
    await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: this.#item(desk) }));
  }

  async replace(desks: readonly DutyDesk[]): Promise<ReplaceSummary> {
    const next = parseDesks(desks, 'the new desks');
    const before = await this.#items();
    const officersBefore = new Map(before.map((item) => [String(item.sk), officerIds(item.officers)]));
    const kept = new Set(next.map((desk) => deskSk(desk.id)));
    const removed = before.filter((item) => !kept.has(String(item.sk)));
    // An officer moving from one desk to another is taken off the first before being put on the second, so a
    // reader in between finds them on no desk for a moment, never on two (which would fail its check).
    const gains = (desk: DutyDesk) => {
      const had = officersBefore.get(deskSk(desk.id)) ?? new Set();
      return desk.officers.some((o) => !had.has(o.id));
    };
    this.#cache.clear();
    await batchWrite(
      this.#client,
      this.#tableName,
      removed.map((item) => ({ DeleteRequest: { Key: { pk: DESKS_PK, sk: item.sk } } })),
    );
    for (const phase of [next.filter((d) => !gains(d)), next.filter(gains)]) {
      await batchWrite(
        this.#client,
        this.#tableName,
        phase.map((desk) => ({ PutRequest: { Item: this.#item(desk) } })),
      );
    }
    this.#cache.clear();
    return {
      written: next.map((desk) => desk.id),
      removed: removed.map((item) => String(item.sk).slice(deskSk('').length)),
    };
  }

  #item(desk: DutyDesk): Record<string, unknown> {
    return { pk: DESKS_PK, sk: deskSk(desk.id), ...desk, updatedAt: this.#clock.now().toISOString() };
  }

  async #items(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :desk)',
          ExpressionAttributeValues: { ':pk': DESKS_PK, ':desk': deskSk('') },
          // An import is read back at once (`desks list`), and a handful of items cost little either way.
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  #parse(items: readonly Record<string, unknown>[]): DutyDesk[] {
    const desks = items.map((item) => {
      const desk = { ...item };
      for (const key of BOOKKEEPING) delete desk[key];
      return desk;
    });
    return parseDesks(desks, `table ${this.#tableName}`);
  }
}

function officerIds(officers: unknown): Set<string> {
  return new Set(Array.isArray(officers) ? officers.map((o) => String((o as { id?: unknown }).id)) : []);
}

/**
 * The desks in a JSON file in `config/desks.json`'s format: local mode's directory, and what an import reads.
 * Writes replace the file whole (written beside it, then renamed), so a reader never sees half of one.
 */
export class FileDeskDirectory implements DeskDirectory, DeskDirectoryWriter {
  readonly #path: string;
  readonly #cache: ReadCache<DutyDesk[]>;

  constructor(path: string, options: DeskDirectoryOptions = {}) {
    this.#path = path;
    this.#cache = new ReadCache(options);
  }

  list(): Promise<DutyDesk[]> {
    return this.#cache.get(() => this.#read());
  }

  async put(desk: DutyDesk): Promise<void> {
    await this.#write(withDesk(await this.#read(), desk));
  }

  async replace(desks: readonly DutyDesk[]): Promise<ReplaceSummary> {
    const next = parseDesks(desks, 'the new desks');
    const before = await this.#read().catch((error: { code?: string }) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    await this.#write(next);
    const ids = new Set(next.map((desk) => desk.id));
    return { written: [...ids], removed: before.filter((desk) => !ids.has(desk.id)).map((desk) => desk.id) };
  }

  async #read(): Promise<DutyDesk[]> {
    const text = await readFile(this.#path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // V8's message quotes the text around the error, which may be a name or a mobile number.
      throw new DeskDirectoryError(`${this.#path} is not JSON: ${describeJsonError(text)}`);
    }
    return parseDesks(json, this.#path);
  }

  async #write(desks: readonly DutyDesk[]): Promise<void> {
    this.#cache.clear();
    const temporary = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(desks, null, 2)}\n`);
    await rename(temporary, this.#path);
    this.#cache.clear();
  }
}
