/** Events a single request may carry; Kinesis PutRecords takes 500 records a call. */
export const MAX_EVENTS_PER_REQUEST = 500;
