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
    /** Sparse: only incidents with a running clock carry gsi3pk; sorted by the next instant a clock wants the sweep. */
    dueClocks: { name: 'due-clocks', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
  },
} as const;

/** Partition value of the sparse pending-alerts index. */
export const PENDING_ALERT_PARTITION = 'ALERT#PENDING';

/** Partition value of the sparse due-clocks index. */
export const DUE_CLOCK_PARTITION = 'CLOCK#DUE';
