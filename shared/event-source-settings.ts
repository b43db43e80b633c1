/**
 * How each function reads its stream. The CDK stack and local mode both take these, so the local event sources
 * batch, retry and give up exactly as the deployed mappings do.
 */
export const rulesEventSource = {
  batchSize: 500,
  maxBatchingWindowSeconds: 1,
  parallelizationFactor: 1,
  bisectBatchOnError: true,
  retryAttempts: 5,
  maxRecordAgeSeconds: 3600,
} as const;

export const notifyEventSource = {
  batchSize: 10,
  bisectBatchOnError: true,
  retryAttempts: 5,
  maxRecordAgeSeconds: 3600,
} as const;
