// STUB — the lead replaces this file with the real IncidentService (the incident state machine and its store).
// It exists only so the duty-desk API's handler compiles and loads; every call fails, and the API answers 503.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IncidentService } from './incident-service.ts';

/** What the handler hands the IncidentService factory. */
export interface IncidentServiceOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  timeZone: string;
  now: () => Date;
}

/** STUB: an IncidentService whose every call throws until the lead's implementation replaces this file. */
export function createIncidentService(_options: IncidentServiceOptions): IncidentService {
  const notYet = async (): Promise<never> => {
    throw new Error('IncidentService is not wired yet (shared/app/incident-service-impl.ts is a stub)');
  };
  return { list: notYet, get: notYet, command: notYet };
}
