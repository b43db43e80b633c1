import {
  type DeskDirectory,
  DeskDirectoryError,
  type DeskDirectoryWriter,
} from '../../../shared/adapters/desk-directory.ts';
import type { IncidentPage, IncidentQuery, IncidentService } from '../../../shared/app/incident-service.ts';
import {
  type DutyDesk,
  type DutyDeskInput,
  DutyDeskList,
  describeDeskIssues,
} from '../../../shared/domain/duty-desks.ts';
import { Incident } from '../../../shared/domain/incident.ts';
import type { CommandRejection, OfficerActor, OfficerCommand } from '../../../shared/domain/incident-lifecycle.ts';
import { chainEntry, type LogEntry } from '../../../shared/domain/incident-log.ts';

export const NOW = new Date('2026-11-25T18:10:00.000Z'); // 02:10 in Asia/Shanghai

/**
 * Gaoping's desks: the county command centre, the Mishan township station, the Midong village post and the Nancheng
 * street station, as the directory reads them (checked and defaulted by the desks' own schema).
 */
export function gaopingDesks(): DutyDesk[] {
  const noRoster = { shifts: [], overrides: [] };
  const desks: DutyDeskInput[] = [
    {
      id: 'gaoping-command',
      name: '高平市公安局指挥中心',
      jurisdiction: '140581',
      minSeverity: 2,
      sms: [],
      officers: [
        { id: 'c-admin', name: '王建国', mobile: '+8613800000001', role: 'county-admin' },
        { id: 'c-lead', name: '赵敏', mobile: '+8613800000002', role: 'desk-lead' },
      ],
      roster: noRoster,
    },
    {
      id: 'mishan-station',
      name: '米山镇派出所',
      jurisdiction: '140581100',
      minSeverity: 3,
      sms: [],
      officers: [
        { id: '100234', name: '李小明', mobile: '+8613812345678', role: 'officer' },
        { id: 'm-lead', name: '张伟', mobile: '+8613900000003', role: 'desk-lead' },
      ],
      roster: {
        shifts: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '20:00', officers: ['100234'] }],
        overrides: [],
      },
    },
    {
      id: 'midong-post',
      name: '米东村警务室',
      jurisdiction: '140581100201',
      minSeverity: 4,
      sms: [],
      officers: [{ id: 'v-1', name: '刘洋', mobile: '+8613700000004', role: 'officer' }],
      roster: noRoster,
    },
    {
      id: 'nancheng-station',
      name: '南城街道派出所',
      jurisdiction: '140581001',
      minSeverity: 4,
      sms: [],
      officers: [{ id: 'n-1', name: '陈静', mobile: '+8613600000005', role: 'desk-lead' }],
      roster: noRoster,
    },
  ];
  return DutyDeskList.parse(desks);
}

export const SCHOOL_ID = 'sky.intrusion|140581/14058110001320000017|20261125T1800';
export const MARKET_ID = 'ground.patrol-missed|140581/nancheng-market|20261125T1800';

/** An incident at a place, as the store keeps it (event keys and all). */
export function incidentAt(id: string, place: Incident['place'], overrides: Partial<Incident> = {}): Incident {
  return Incident.parse({
    id,
    code: 'K2VS4',
    ruleId: 'sky.intrusion',
    dedupKey: '140581/14058110001320000017',
    title: '区域入侵',
    network: 'sky',
    state: 'open',
    severity: 1,
    baseSeverity: 3,
    boosts: ['key-place', 'night'],
    place,
    firstSeen: '2026-11-25T18:00:00.000Z',
    lastSeen: '2026-11-25T18:04:00.000Z',
    openedAt: '2026-11-25T18:00:01.000Z',
    ackBy: '2026-11-25T18:10:00.000Z',
    deadlineVerb: '确认',
    eventCount: 217,
    lateCount: 0,
    sources: ['14058110001320000017'],
    timeline: [],
    applied: new Uint8Array([1, 2, 3]),
    appliedPages: [],
    version: 3,
    level: 'village',
    alerted: ['village'],
    alertSeq: 1,
    alertPending: false,
    alertSentSeq: 1,
    expiresAt: 1_800_000_000,
    ...overrides,
  });
}

export function gaopingIncidents(): Incident[] {
  return [
    incidentAt(SCHOOL_ID, {
      county: '140581',
      township: '140581100',
      village: '140581100201',
      kind: 'school',
      name: '米山镇第一小学',
    }),
    incidentAt(MARKET_ID, { county: '140581', township: '140581001', kind: 'commercial', name: '南城市场' }),
  ];
}

type Outcome = Awaited<ReturnType<IncidentService['command']>>;

/** The IncidentService port in memory: records every call; `reject` makes the next command fail as given. */
export class MemoryIncidentService implements IncidentService {
  readonly queries: IncidentQuery[] = [];
  readonly commands: { incidentId: string; command: OfficerCommand; actor: OfficerActor }[] = [];
  readonly logs = new Map<string, LogEntry[]>();
  reject: CommandRejection | undefined;
  next: string | undefined;
  fail: Error | undefined;

  constructor(readonly incidents: Incident[] = gaopingIncidents()) {}

  async list(query: IncidentQuery): Promise<IncidentPage> {
    if (this.fail) throw this.fail;
    this.queries.push(query);
    const items = this.incidents.filter((i) =>
      (i.place.village ?? i.place.township ?? i.place.county).startsWith(query.jurisdiction),
    );
    return { items: items.slice(0, query.limit), ...(this.next ? { next: this.next } : {}) };
  }

  async get(incidentId: string) {
    if (this.fail) throw this.fail;
    const incident = this.incidents.find((i) => i.id === incidentId);
    return incident ? { incident, log: this.logs.get(incidentId) ?? [] } : undefined;
  }

  async command(incidentId: string, command: OfficerCommand, actor: OfficerActor): Promise<Outcome> {
    if (this.fail) throw this.fail;
    this.commands.push({ incidentId, command, actor });
    if (this.reject) return { ok: false, ...this.reject };
    const incident = this.incidents.find((i) => i.id === incidentId)!;
    const log = this.logs.get(incidentId) ?? [];
    const head = log.at(-1);
    const entry = chainEntry(
      {
        incidentId,
        version: log.length + 1,
        token: `t${log.length + 1}`,
        at: NOW.toISOString(),
        actor,
        events: [{ type: command.kind }],
        after: { state: 'signed', severity: incident.severity, level: 'township', eventCount: 217, lateCount: 0 },
      },
      head ? { version: head.version, token: head.token, hash: head.hash } : undefined,
    );
    this.logs.set(incidentId, [...log, entry]);
    return { ok: true, incident, entry };
  }
}

/** The desk directory in memory: a put is checked with the others, as the adapters check it. */
export class MemoryDeskDirectory implements DeskDirectory, Pick<DeskDirectoryWriter, 'put'> {
  readonly puts: DutyDesk[] = [];
  constructor(public desks: DutyDesk[] = gaopingDesks()) {}
  async list(): Promise<DutyDesk[]> {
    return structuredClone(this.desks);
  }
  async put(desk: DutyDesk): Promise<void> {
    const next = DutyDeskList.safeParse(this.desks.map((d) => (d.id === desk.id ? desk : d)));
    if (!next.success)
      throw new DeskDirectoryError(`the desks hold no valid desk list: ${describeDeskIssues(next.error)}`);
    this.puts.push(desk);
    this.desks = next.data;
  }
}
