import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '../shared/domain/incident.ts';

/**
 * A stand-in for the DynamoDB document client that answers every call as an empty, healthy table would and
 * counts calls by command: the real adapters run unchanged, so the count is what they would send.
 */
export function countingDocumentClient() {
  const calls = new Map<string, number>();
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (name === 'BatchGet') return { Responses: {}, UnprocessedKeys: {} };
      if (name === 'BatchWrite') return { UnprocessedItems: {} };
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return {
    client,
    calls,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
  };
}

/** An in-memory incident store: the fastest possible storage, so the bench measures our own work. */
export function memoryIncidentStore() {
  const items = new Map<string, Incident>();
  return {
    items,
    load: async (ids: readonly string[]) => {
      const found = new Map<string, Incident>();
      for (const id of ids) {
        const item = items.get(id);
        if (item) found.set(id, item);
      }
      return found;
    },
    save: async (change: { after: Incident }) => {
      items.set(change.after.id, change.after);
      return 'saved' as const;
    },
  };
}
