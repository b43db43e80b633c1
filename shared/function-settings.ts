/**
 * How long each function may run and how much memory it has. The CDK stack gives the deployed functions these, and
 * local mode runs the same handlers with the same limits, so a handler that overruns fails alike in both.
 */
export const functionSettings = {
  /** Behind the HTTP API: a signed request, at most 500 events, one PutRecords. */
  ingest: { timeoutSeconds: 15, memorySize: 512 },
  /** A Kinesis batch of up to 500 records: one BatchGetItem and one UpdateItem per incident touched. */
  rules: { timeoutSeconds: 60, memorySize: 512 },
  /** A table-stream batch of up to 10 incidents: their deliveries read, each recipient taken, texted, recorded. */
  notify: { timeoutSeconds: 30, memorySize: 256 },
  /** Every minute: the due clocks ticked, the alerts pending for more than a minute re-driven. */
  sweep: { timeoutSeconds: 50, memorySize: 256 },
  /** Behind the duty-desk API: a directory read, one or two incident reads and one command. */
  'desk-api': { timeoutSeconds: 10, memorySize: 512 },
} as const;

export type FunctionName = keyof typeof functionSettings;

/**
 * API Gateway HTTP API's integration timeout (its default, and its maximum): past it the API answers 504 whatever
 * the function is still doing. The ingest function's own timeout is shorter, so normally the function fails first.
 */
export const HTTP_API_INTEGRATION_TIMEOUT_SECONDS = 30;
