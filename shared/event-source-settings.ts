/**
 * How each function reads its stream. The CDK stack and local mode both take these, so the local event sources
 * batch, retry and give up exactly as the deployed mappings do.
 *
 * Retries are bounded by age, not by count: a failed batch is retried (with Lambda's backoff, bisected on function
 * errors) until its oldest record is six hours old. That outlives a DynamoDB throttling burst, a KMS hiccup or a
 * regional outage of minutes to hours; exactness makes every retry safe. Only then does a batch go to the failure
 * destination, from which `npx sanwang replay` puts it back. The stream keeps records for 24 hours (the stack sets
 * it), well past the six.
 */
export const STREAM_RETENTION_HOURS = 24;

export const rulesEventSource = {
  batchSize: 500,
  maxBatchingWindowSeconds: 1,
  parallelizationFactor: 1,
  bisectBatchOnError: true,
  /** -1: until the record is too old. */
  retryAttempts: -1,
  maxRecordAgeSeconds: 6 * 3600,
} as const;

/**
 * The notifier fails a record only when DynamoDB cannot be read or written; a failed publish leaves the alert
 * pending for the sweep instead, so one dead topic never holds back a shard of the table stream.
 */
export const notifyEventSource = {
  batchSize: 10,
  bisectBatchOnError: true,
  retryAttempts: -1,
  maxRecordAgeSeconds: 6 * 3600,
} as const;

/** The sweep runs every minute and re-drives alerts pending for longer than a minute. */
export const alertSweep = {
  everyMinutes: 1,
  minAgeSeconds: 60,
} as const;
