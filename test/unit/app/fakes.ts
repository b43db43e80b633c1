import {
  type Delivery,
  type DeliveryClaim,
  type DeliveryRecords,
  deliverySk,
} from '../../../shared/adapters/delivery-records.ts';
import type { IncidentCommit, IncidentRecords, IncidentStore } from '../../../shared/adapters/incident-store.ts';
import type { QuarantineStore } from '../../../shared/adapters/quarantine-store.ts';
import type { SmsChannel, SmsMessage, SmsResult } from '../../../shared/adapters/sms-channel.ts';
import { createRulesProcessor, type Log, type RulesProcessorDeps } from '../../../shared/app/rules-processor.ts';
import { DEFAULT_EVENT_TIME_POLICY } from '../../../shared/domain/event-time.ts';
import type { Incident } from '../../../shared/domain/incident.ts';
import type { ClaimChange, IncidentView } from '../../../shared/domain/incident-plan.ts';
import type { PoisonRecord } from '../../../shared/domain/poison-record.ts';
import { ALARM_RULES } from '../../../shared/domain/rule-registry.ts';
import { MemoryIncidentTable } from '../domain/incident-table.ts';
import { NOW, RETENTION_DAYS, TIME_ZONE } from './builders.ts';

/**
 * Incidents in memory, with the Dynamo store's write conditions (see MemoryIncidentTable); hooks let a test fail a
 * write or play a concurrent writer.
 */
export class InMemoryIncidentStore implements IncidentStore, IncidentRecords {
  readonly table = new MemoryIncidentTable();
  readonly loads: string[][] = [];
  readonly saves: IncidentCommit[] = [];
  readonly claims: ClaimChange[] = [];
  /** Runs before a write is applied: throw to fail it, or change `table` to play a concurrent writer. */
  beforeSave: ((change: IncidentCommit) => void | Promise<void>) | undefined;
  beforeClaim: ((change: ClaimChange) => void | Promise<void>) | undefined;
  /** Thrown by the next load, once. */
  failNextLoad: Error | undefined;

  /** The stored incidents by id. */
  get items(): Map<string, Incident> {
    return this.table.incidents;
  }

  async load(ids: readonly string[]): Promise<IncidentView> {
    this.loads.push([...ids]);
    if (this.failNextLoad) {
      const error = this.failNextLoad;
      this.failNextLoad = undefined;
      throw error;
    }
    return this.table.view();
  }

  async get(id: string): Promise<Incident | undefined> {
    const found = this.table.incidents.get(id);
    return found && structuredClone(found);
  }

  async claim(change: ClaimChange): Promise<'saved' | 'conflict'> {
    this.claims.push(change);
    await this.beforeClaim?.(change);
    return this.table.claim(change);
  }

  /** Items written beside the incidents (`IncidentCommit.also`: delivery records), by `<incident id>#<sk>`. */
  readonly sidecars = new Map<string, Record<string, unknown>>();

  async save(change: IncidentCommit): Promise<'saved' | 'conflict'> {
    this.saves.push(change);
    await this.beforeSave?.(change);
    for (const item of change.also ?? [])
      this.sidecars.set(`${change.after.id}#${String(item.sk)}`, structuredClone(item));
    return this.table.save(change);
  }

  async saveAll(changes: readonly IncidentCommit[]): Promise<('saved' | 'conflict')[]> {
    return Promise.all(changes.map((change) => this.save(change)));
  }

  /** What a duty officer would compare: per incident, how many events, when, how severe. */
  summary() {
    return this.table.summary();
  }
}

/** Poison records keyed as the Dynamo store keys them (shard and sequence number), so a rewrite is idempotent. */
export class InMemoryQuarantineStore implements QuarantineStore {
  readonly records = new Map<string, PoisonRecord>();
  puts = 0;
  /** Thrown by every put while set. */
  failWith: Error | undefined;

  async put(records: readonly PoisonRecord[]): Promise<void> {
    this.puts++;
    if (this.failWith) throw this.failWith;
    for (const r of records) this.records.set(`${r.shardId}#${r.sequenceNumber}`, r);
  }
}

/** Delivery records in memory, keyed as the Dynamo adapter keys them; the incident store's `also` items land here. */
export class InMemoryDeliveryRecords implements DeliveryRecords {
  /** Thrown by the call while set. */
  failClaimWith: Error | undefined;
  failFinishWith: Error | undefined;

  constructor(readonly incidents: InMemoryIncidentStore) {}

  /** Every delivery record, whether written by `finish` or with its incident's commit. */
  get rows(): Map<string, Delivery> {
    return this.incidents.sidecars as unknown as Map<string, Delivery>;
  }

  /** Delivery records that say the text went out. */
  get sent(): Delivery[] {
    return [...this.rows.values()].filter((d) => d.status === 'sent');
  }

  async claim(incidentId: string, fromSeq: number): Promise<DeliveryClaim | undefined> {
    if (this.failClaimWith) throw this.failClaimWith;
    const incident = await this.incidents.get(incidentId);
    if (!incident) return undefined;
    const deliveries = [...this.rows.values()].filter((d) => d.incidentId === incidentId && d.alertSeq >= fromSeq);
    return { incident: structuredClone(incident), deliveries: structuredClone(deliveries) };
  }

  async finish(deliveries: readonly Delivery[]): Promise<void> {
    if (this.failFinishWith) throw this.failFinishWith;
    for (const d of deliveries)
      this.rows.set(`${d.incidentId}#${deliverySk(d.alertSeq, d.recipientKey)}`, structuredClone(d));
  }
}

/** Handsets in memory: every text sent, by recipient key; numbers in `failTo` fail. */
export class FakeSmsChannel implements SmsChannel {
  readonly name = 'fake-sms';
  readonly texts: SmsMessage[] = [];
  readonly calls: (readonly SmsMessage[])[] = [];
  readonly failTo = new Set<string>();

  async send(messages: readonly SmsMessage[]): Promise<SmsResult[]> {
    this.calls.push(messages);
    return messages.map((m): SmsResult => {
      if (this.failTo.has(m.to)) return { key: m.key, ok: false, error: `InternalError: cannot reach ${m.to}` };
      this.texts.push(m);
      return { key: m.key, ok: true, messageId: `msg-${String(this.texts.length).padStart(4, '0')}` };
    });
  }

  /** Recipient keys that got a text, in order. */
  get to(): string[] {
    return this.texts.map((t) => t.key);
  }
}

/** The rules processor the use-case tests run: the real rules, the test clock, in-memory stores. */
export function testRulesProcessor(deps: Partial<RulesProcessorDeps> & Pick<RulesProcessorDeps, 'incidents'>) {
  return createRulesProcessor({
    quarantine: new InMemoryQuarantineStore(),
    rules: ALARM_RULES,
    timeZone: TIME_ZONE,
    incidentRetentionDays: RETENTION_DAYS,
    eventTime: DEFAULT_EVENT_TIME_POLICY,
    now: () => NOW,
    log: memoryLog(),
    ...deps,
  });
}

export interface LogEntry {
  level: 'info' | 'warn';
  message: string;
  extra: Record<string, unknown>;
}

/** A logger that keeps its lines for the test to read. */
export function memoryLog(): Log & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const write =
    (level: LogEntry['level']) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      entries.push({ level, message, extra: Object.assign({}, ...extra) });
    };
  return { entries, info: write('info'), warn: write('warn') };
}
