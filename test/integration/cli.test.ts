import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LocalApiState } from '../../local/local-integrations.ts';
import { verifySignature } from '../../shared/domain/request-signature.ts';

// The CLI and `npm start` as an operator runs them: subprocesses in a folder of their own, judged by what they
// print and how they exit.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/sanwang.mjs');
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
// Each subprocess loads tsx and compiles TypeScript: seconds on a busy 2-core machine, more for the platform.
const CLI_TIMEOUT = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, SANWANG_SECRET: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const sanwang = (cwd: string, ...args: string[]) => run(process.execPath, [BIN, ...args], cwd);
const folder = () => mkdtempSync(join(tmpdir(), 'sanwang-cli-'));

function writeState(cwd: string, state: Partial<LocalApiState>) {
  mkdirSync(join(cwd, '.sanwang'), { recursive: true });
  writeFileSync(join(cwd, '.sanwang/local-api.json'), JSON.stringify({ table: 'sanwang', ...state }));
}

/** A port nothing listens on (the OS gave it, we closed it). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('npx sanwang', () => {
  it('says an unknown option in one line and exits 2', { timeout: CLI_TIMEOUT }, async () => {
    const { code, stdout, stderr } = await sanwang(folder(), 'post', 'events.json', '--fromat', 'onvif');
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'sanwang: unknown option --fromat (see npx sanwang --help)\n',
    });
  });

  it('says a missing file in one line and exits 1', { timeout: CLI_TIMEOUT }, async () => {
    const { code, stderr } = await sanwang(folder(), 'post', 'events.json', '--secret', SECRET);
    expect({ code, stderr }).toEqual({ code: 1, stderr: 'sanwang: cannot read events.json: no such file\n' });
  });

  it('says a stopped platform in one line with what to do, and exits 1', { timeout: CLI_TIMEOUT }, async () => {
    const cwd = folder();
    writeFileSync(join(cwd, 'events.json'), '{}');
    const url = `http://127.0.0.1:${await closedPort()}`;
    // The file of a platform whose process runs (this one) but whose API is gone.
    writeState(cwd, { url, pid: process.pid });

    const { code, stderr } = await sanwang(cwd, 'post', 'events.json', '--secret', SECRET);

    expect({ code, stderr }).toEqual({
      code: 1,
      stderr: `sanwang: no local platform answers at ${url} — start it with npm start, or pass --url\n`,
    });
  });

  it('ignores the state file of a platform whose process is gone', { timeout: CLI_TIMEOUT }, async () => {
    const cwd = folder();
    writeState(cwd, { url: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:1', pid: await deadPid() });

    const { code, stderr } = await sanwang(cwd, 'devices', 'pending');

    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: 'sanwang: no table: pass --table NAME, or start the platform with npm start\n',
    });
  });

  it.each([
    [
      ['frobnicate'],
      'sanwang: unknown command frobnicate: use post, sign, devices, desks, replay, login or audit (see npx sanwang --help)\n',
    ],
    [['post'], 'sanwang: post needs a FILE to send (see npx sanwang --help)\n'],
    [['devices'], 'sanwang: devices needs pending or register FILE (see npx sanwang --help)\n'],
    [['post', 'x.json', '--url'], 'sanwang: option --url needs a value (see npx sanwang --help)\n'],
  ])('says %j is wrong in one line and exits 2', { timeout: CLI_TIMEOUT }, async (args, line) => {
    expect(await sanwang(folder(), ...args)).toMatchObject({ code: 2, stderr: line });
  });

  it('prints headers that sign the body and the request target', { timeout: CLI_TIMEOUT }, async () => {
    const cwd = folder();
    const body = '<Notify/>';
    writeFileSync(join(cwd, 'alarm.xml'), body);

    const { code, stdout, stderr } = await sanwang(
      cwd,
      ...['sign', 'alarm.xml', '--format', 'onvif', '--device', 'cam 1', '--secret', SECRET],
    );

    expect(code).toBe(0);
    expect(stderr).toContain('signed for POST /v1/events/onvif?device=cam%201');
    const headers = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => /^-H '([^:]+): (.*)'$/.exec(line)!.slice(1, 3) as [string, string]),
    );
    expect(Object.keys(headers)).toContain('x-sanwang-request-signature');
    const check = (device: string) =>
      verifySignature({
        headers,
        method: 'POST',
        path: '/v1/events/onvif',
        query: { device },
        body: Buffer.from(body),
        secrets: [SECRET],
        now: new Date(),
      });
    expect(check('cam 1')).toEqual({ ok: true });
    expect(check('cam 2').ok).toBe(false);
  });
});

describe('npm start and its state file', () => {
  const start = (cwd: string, ...args: string[]) =>
    spawn(process.execPath, ['--import', TSX, join(ROOT, 'local/main.ts'), ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exited = (child: ReturnType<typeof start>) =>
    new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const stateFile = (cwd: string) => join(cwd, '.sanwang/local-api.json');

  it('removes a stale file when it cannot start, and leaves the file of a running platform alone', {
    timeout: CLI_TIMEOUT,
  }, async () => {
    const stale = folder();
    writeState(stale, { url: 'http://127.0.0.1:1', pid: await deadPid() });
    const running = folder();
    writeState(running, { url: 'http://127.0.0.1:1', pid: process.pid });

    const codes = await Promise.all(
      [stale, running].map((cwd) => exited(start(cwd, '--desks', join(cwd, 'no-such-desks.json')))),
    );

    expect(codes).toEqual([1, 1]);
    expect(existsSync(stateFile(stale))).toBe(false);
    expect(existsSync(stateFile(running))).toBe(true);
  });

  it('writes its file while it runs and removes it on SIGTERM', { timeout: 180_000 }, async () => {
    const cwd = folder();
    symlinkSync(join(ROOT, 'config'), join(cwd, 'config'));
    const child = start(cwd, '--no-demo', '--api-port', '0', '--desk-api-port', '0');
    const code = exited(child);
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // The file is written once the platform runs; polled by count, each poll a tenth of a second.
    for (let i = 0; i < 1200 && !existsSync(stateFile(cwd)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(stateFile(cwd)), output).toBe(true);
    expect(JSON.parse(readFileSync(stateFile(cwd), 'utf8'))).toMatchObject({ pid: child.pid });

    child.kill('SIGTERM');

    expect(await code).toBe(0);
    expect(existsSync(stateFile(cwd))).toBe(false);
  });
});
