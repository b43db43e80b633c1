/**
 * Each SDK request of the functions gives up after this long, well inside every function's timeout: an invocation
 * that Lambda stops leaves no write of its own still on the way when its retry starts.
 */
export const REQUEST_TIMEOUTS = { connectionTimeout: 2_000, requestTimeout: 5_000 } as const;
