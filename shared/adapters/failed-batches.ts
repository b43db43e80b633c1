import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Where the rules mapping left the batches it gave up on: one document each. */
export interface FailedBatchStore {
  /** Names the store in reports (`s3://bucket/prefix`, a folder). */
  readonly label: string;
  list(): Promise<string[]>;
  read(key: string): Promise<unknown>;
  remove(key: string): Promise<void>;
}

/** The rules mapping's S3 on-failure destination: one JSON object per failed batch, written by Lambda. */
export class S3FailedBatches implements FailedBatchStore {
  readonly label: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: { client: S3Client; bucket: string; prefix?: string }) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? '';
    this.label = `s3://${this.#bucket}/${this.#prefix}`;
  }

  async list(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken: token }),
      );
      for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = out.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  async read(key: string): Promise<unknown> {
    const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    return JSON.parse((await out.Body?.transformToString('utf8')) ?? 'null');
  }

  async remove(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }
}

/** Local mode's stand-in for the bucket: a folder of the same documents (`.sanwang/failed-batches/`). */
export class FolderFailedBatches implements FailedBatchStore {
  readonly label: string;

  constructor(readonly folder: string) {
    this.label = folder;
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return names.filter((n) => n.endsWith('.json')).sort();
  }

  async read(key: string): Promise<unknown> {
    return JSON.parse(await readFile(join(this.folder, key), 'utf8'));
  }

  async remove(key: string): Promise<void> {
    await rm(join(this.folder, key), { force: true });
  }
}

/** A message of the notify mapping's SQS on-failure destination: metadata of a batch it gave up on. */
export interface FailureNotice {
  receiptHandle: string;
  body: string;
}

/** What the replay of notify failures needs from the queue: read the notices, and drop those accounted for. */
export interface FailureQueue {
  readonly label: string;
  receive(): Promise<FailureNotice[]>;
  remove(notices: readonly FailureNotice[]): Promise<void>;
}

export class SqsFailureQueue implements FailureQueue {
  readonly label: string;
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: { client: SQSClient; queueUrl: string }) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.label = options.queueUrl;
  }

  async receive(): Promise<FailureNotice[]> {
    const notices: FailureNotice[] = [];
    for (;;) {
      const out = await this.#client.send(
        new ReceiveMessageCommand({ QueueUrl: this.#queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return notices;
      for (const m of messages) notices.push({ receiptHandle: m.ReceiptHandle ?? '', body: m.Body ?? '' });
    }
  }

  async remove(notices: readonly FailureNotice[]): Promise<void> {
    for (let i = 0; i < notices.length; i += 10) {
      await this.#client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: notices.slice(i, i + 10).map((n, j) => ({ Id: String(j), ReceiptHandle: n.receiptHandle })),
        }),
      );
    }
  }
}
