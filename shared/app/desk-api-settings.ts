/**
 * How long the desk-api function may run and how much memory it has, for the stack and local mode alike. It
 * belongs beside the other functions' in shared/function-settings.ts; it waits here until local mode hosts the
 * function (the platform keeps a record per function name there).
 */
export const deskApiFunctionSettings = {
  /** A directory read, one or two incident reads and one command: well inside the HTTP API's 30 s. */
  timeoutSeconds: 10,
  memorySize: 512,
} as const;
