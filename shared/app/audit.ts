import type { Incident } from '../domain/incident.ts';
import { type ChainReport, type LogEntry, verifyChain } from '../domain/incident-log.ts';

/** What the audit reads: the incidents of a county (from an index), and an incident's log entries as stored. */
export interface AuditSource {
  county(county: string): AsyncIterable<Incident>;
  log(incidentId: string): Promise<LogEntry[]>;
}

export interface AuditReport {
  incidents: number;
  /** Entries on the chains walked. */
  entries: number;
  /** Entries on no chain: writers that lost a race (not a break). */
  orphans: number;
  /** The incidents whose chain is broken, each with what is wrong. */
  broken: (ChainReport & { code: string })[];
}

/**
 * `npx sanwang audit verify`: walks the log of every incident of the counties (or of those whose code is `code`)
 * from the head its item names back to the first entry, and reports every break: an entry missing, changed, or not
 * the one the next entry names. The incident item is the commit point: an entry it does not lead to is an orphan.
 */
export async function auditChains(
  source: AuditSource,
  counties: readonly string[],
  options: { code?: string; concurrency?: number } = {},
): Promise<AuditReport> {
  const report: AuditReport = { incidents: 0, entries: 0, orphans: 0, broken: [] };
  const concurrency = options.concurrency ?? 8;
  for (const county of counties) {
    let batch: Incident[] = [];
    const flush = async () => {
      const results = await Promise.all(
        batch.map(async (incident) => ({
          incident,
          chain: verifyChain(incident.id, incident.logHead, await source.log(incident.id)),
        })),
      );
      for (const { incident, chain } of results) {
        report.incidents++;
        report.entries += chain.length;
        report.orphans += chain.orphans;
        if (chain.breaks.length > 0) report.broken.push({ ...chain, code: incident.code });
      }
      batch = [];
    };
    for await (const incident of source.county(county)) {
      if (options.code !== undefined && incident.code !== options.code) continue;
      batch.push(incident);
      if (batch.length >= concurrency) await flush();
    }
    await flush();
  }
  return report;
}
