import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A text as a handset received it. `to` is the number (local demo numbers only). */
export interface ReceivedSms {
  n: number;
  to: string;
  text: string;
  messageId: string;
  /** Epoch milliseconds, real time: when the gateway took it. */
  receivedAt: number;
}

/** The local SMS gateway: what the handsets have received, and faults to inject. */
export interface SmsGateway {
  endpoint: string;
  /** Every text received so far, oldest first. */
  messages(): ReceivedSms[];
  /** The texts received since the last `take()`. */
  take(): ReceivedSms[];
  /** The next `count` sends fail (as SNS answers a throttled or failed publish), or those `to` numbers matching. */
  fail(options: { count?: number; to?: (number: string) => boolean }): void;
  stop(): Promise<void>;
}

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * A stand-in for Amazon SNS's SMS API on loopback: it answers `Publish` with a `PhoneNumber` (the AWS Query
 * protocol the SDK speaks), so the notifier's real SNS client and SMS channel run unchanged; the texts land on
 * in-memory handsets instead of phones. `GET /messages?since=N` lists them for another process (the load tool).
 * Anything else is answered as SNS answers an unsupported action.
 */
export async function startSmsGateway(options: { host?: string; port?: number } = {}): Promise<SmsGateway> {
  const received: ReceivedSms[] = [];
  let taken = 0;
  let failCount = 0;
  let failTo: ((number: string) => boolean) | undefined;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, errorXml('InternalError', String(error))));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'GET' && url.pathname === '/messages') {
      const since = Number(url.searchParams.get('since') ?? '0');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(received.filter((m) => m.n > since)));
      return;
    }
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    const action = form.get('Action');
    if (action !== 'Publish' || !form.get('PhoneNumber')) {
      reply(res, 400, errorXml('InvalidAction', 'the local SMS gateway answers Publish to a PhoneNumber only'));
      return;
    }
    const to = form.get('PhoneNumber') ?? '';
    const text = form.get('Message') ?? '';
    if (!/^\+\d{8,15}$/.test(to)) {
      reply(res, 400, errorXml('InvalidParameter', 'Invalid parameter: PhoneNumber'));
      return;
    }
    if (failCount > 0 || failTo?.(to)) {
      if (failCount > 0) failCount--;
      reply(res, 500, errorXml('InternalError', 'the local SMS gateway was told to fail this send'));
      return;
    }
    const messageId = randomUUID();
    received.push({ n: received.length + 1, to, text, messageId, receivedAt: Date.now() });
    reply(
      res,
      200,
      `<PublishResponse xmlns="${NS}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${address}:${port}`,
    messages: () => [...received],
    take() {
      const out = received.slice(taken);
      taken = received.length;
      return out;
    },
    fail({ count, to }) {
      failCount = count ?? 0;
      failTo = to;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, xml: string) {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(xml);
}

function errorXml(code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${NS}"><Error><Type>${code === 'InternalError' ? 'Receiver' : 'Sender'}</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}
