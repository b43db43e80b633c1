import type { IncidentStore } from '../shared/adapters/incident-store.ts';
import type { Incident } from '../shared/domain/incident.ts';

/** An in-memory incident store: the fastest possible storage, so the bench measures our own work. */
export function memoryIncidentStore(): IncidentStore & { items: Map<string, Incident> } {
  const items = new Map<string, Incident>();
  const claims = new Map<string, string>();
  const pages = new Map<string, Uint8Array>();
  return {
    items,
    load: async (ids: readonly string[]) => {
      const incidents = new Map<string, Incident>();
      const claimed = new Map<string, string>();
      for (const id of ids) {
        const target = claims.get(id);
        if (target) claimed.set(id, target);
        const item = items.get(target ?? id);
        if (item) incidents.set(item.id, item);
      }
      return { incidents, claims: claimed, pages };
    },
    claim: async (change) => {
      if (items.has(change.windowId) || claims.has(change.windowId)) return 'conflict';
      claims.set(change.windowId, change.incidentId);
      return 'saved';
    },
    save: async (change) => {
      if (change.page) pages.set(change.page.sk, change.page.keys);
      items.set(change.after.id, change.after);
      return 'saved';
    },
    saveAll: async (changes) =>
      changes.map((change) => {
        if (change.page) pages.set(change.page.sk, change.page.keys);
        items.set(change.after.id, change.after);
        return 'saved' as const;
      }),
  };
}
