/**
 * The one DynamoDB table's key design, shared by the CDK stack and the local servers so that both build the
 * same table from one definition.
 */
export const tableDesign = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes lazily, so readers also filter expired items. */
  ttlAttribute: 'expiresAt',
  indexes: {
    /** Sparse: only incidents whose alert is due and not yet sent carry gsi1pk. */
    pendingAlerts: { name: 'pending-alerts', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Incidents by county and day, newest last: the duty-desk console and reports read this. */
    byCounty: { name: 'by-county', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  },
} as const;

/** Partition value of the sparse pending-alerts index. */
export const PENDING_ALERT_PARTITION = 'ALERT#PENDING';
