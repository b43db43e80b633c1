/** A command that cannot run as typed: exit code 2, one line naming the fix. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** A command that ran and failed (a file, the platform, AWS): exit code 1, one line naming the fix. */
export class FailureError extends Error {
  override name = 'FailureError';
  readonly exitCode = 1;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a folder on the way is a file',
};

/** `cannot read events.json: no such file`: a file error in words, without a stack. */
export function fileFailure(path: string, error: unknown): FailureError {
  const code = (error as { code?: string }).code;
  return new FailureError(`cannot read ${path}: ${(code && ERRNO_WORDS[code]) ?? code ?? String(error)}`);
}

/**
 * node:util parseArgs' errors as one line: `unknown option --fromat (see npx sanwang --help)`. Anything else is
 * returned as it is.
 */
export function argsError(error: unknown, help: string): unknown {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^' <]*)/.exec(message ?? '')?.[1];
  const named = message?.includes(', --') ? `--${/--([\w-]+)/.exec(message)?.[1]}` : option;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option} (see ${help})`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(
      message?.includes('argument missing')
        ? `option ${named} needs a value (see ${help})`
        : `option ${named} takes no value (see ${help})`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`unexpected argument (see ${help})`);
  return error;
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** A network error as the one line that says what to do; undefined for any other error. */
export function unreachable(error: unknown, where: string, onAws: boolean): FailureError | undefined {
  const code =
    (error as { code?: string; cause?: { code?: string } }).code ??
    (error as { cause?: { code?: string } }).cause?.code;
  if (code === undefined || !NETWORK_ERRORS.has(code)) {
    if (error instanceof FailureError || error instanceof UsageError) return undefined;
    const { name, message } = error as Error;
    // An AWS error (no credentials, no such table, access denied): its name and message, on one line.
    return name && message ? new FailureError(`${name}: ${message.split('\n')[0]}`) : undefined;
  }
  return new FailureError(
    onAws
      ? `nothing answers for ${where} (${code}): check your network, region and credentials`
      : `no local platform answers at ${where.replace('the local platform at ', '')} — start it with npm start, or pass --table`,
  );
}
