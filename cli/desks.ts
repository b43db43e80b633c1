// `npx sanwang desks import|list|roster`: loaded only for these commands, so post and sign start without the SDK.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/aws-clients.ts';
import { readLocalApiState } from '../local/local-integrations.ts';
import { createDocumentClient } from '../shared/adapters/aws-clients.ts';
import { DeskDirectoryError, DynamoDeskDirectory, FileDeskDirectory } from '../shared/adapters/desk-directory.ts';
import { recipientsOf } from '../shared/domain/desk-recipients.ts';
import type { DutyDesk, Officer } from '../shared/domain/duty-desks.ts';
import type { RosterOverride, WeeklyShift } from '../shared/domain/duty-roster.ts';
import { localTime } from '../shared/domain/local-time.ts';
import { containsPersonalData, maskName, maskPhone } from '../shared/domain/personal-data-masking.ts';
import { FailureError, fileFailure, UsageError, unreachable } from './errors.ts';
import type { CliOptions, CliOutput } from './main.ts';

const SEE_HELP = 'see npx sanwang --help';
const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
const DESK_ID = /^[a-z0-9-]{1,40}$/;

/** `desks import FILE`, `desks list` and `desks roster DESK [--at ISO]`, on the running `npm start` or --table. */
export async function desks(
  [action, arg, ...extra]: string[],
  values: CliOptions,
  env: Readonly<Record<string, string | undefined>>,
  io: CliOutput,
): Promise<void> {
  if (action !== 'import' && action !== 'list' && action !== 'roster') {
    throw new UsageError(`desks needs import FILE, list or roster DESK (${SEE_HELP})`);
  }
  if (action === 'import' && arg === undefined) {
    throw new UsageError(`desks import needs a FILE of desks, like config/desks.json (${SEE_HELP})`);
  }
  // The id is said back in messages: it must not be a phone number typed in the wrong place.
  if (action === 'roster' && (arg === undefined || !DESK_ID.test(arg) || containsPersonalData(arg))) {
    throw new UsageError(`desks roster needs a desk id, as desks list shows them (${SEE_HELP})`);
  }
  if ((action === 'list' && arg !== undefined) || extra.length > 0) {
    throw new UsageError(`too many arguments for desks ${action} (${SEE_HELP})`);
  }
  if (action !== 'roster' && (values.at !== undefined || values['time-zone'] !== undefined)) {
    throw new UsageError(`--at and --time-zone go with desks roster (${SEE_HELP})`);
  }
  const roster = action === 'roster' ? rosterOptions(values, env) : undefined;
  // Read before any connection: a file that is wrong fails alike on AWS and locally.
  const imported = action === 'import' ? await readDesks(arg!) : undefined;
  if (imported?.length === 0) {
    throw new FailureError(`${arg} holds no desks: importing it would remove every desk, so nothing was written`);
  }

  const local = values.table === undefined ? readLocalApiState() : undefined;
  const tableName = values.table ?? local?.table;
  if (!tableName) throw new UsageError('no table: pass --table NAME, or start the platform with npm start');
  const client = createDocumentClient(
    new DynamoDBClient(local ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: local.dynamodb } : {}),
  );
  // The CLI reads what is there now; the functions' cache is theirs.
  const directory = new DynamoDeskDirectory({ client, tableName, maxAgeSeconds: 0 });
  const where = local ? `the local platform at ${local.dynamodb}` : `table ${tableName}`;
  try {
    if (imported) {
      const { written, removed } = await directory.replace(imported);
      io.out(
        `imported ${written.length} desk(s) into ${tableName}` +
          (removed.length > 0 ? `; removed ${removed.length} no longer in the file: ${removed.join(', ')}` : ''),
      );
    } else if (roster) {
      printRoster(await findDesk(directory, arg!), roster, io);
    } else {
      printList(await directory.list(), io);
    }
  } catch (error) {
    if (error instanceof DeskDirectoryError) throw new FailureError(error.message);
    throw unreachable(error, where, values.table !== undefined) ?? error;
  } finally {
    client.destroy();
  }
}

/** The desks of a file, checked whole; a wrong file fails in one line naming the field, never a value. */
async function readDesks(path: string): Promise<DutyDesk[]> {
  try {
    return await new FileDeskDirectory(path, { maxAgeSeconds: 0 }).list();
  } catch (error) {
    if (error instanceof DeskDirectoryError) throw new FailureError(error.message);
    throw fileFailure(path, error);
  }
}

function rosterOptions(values: CliOptions, env: Readonly<Record<string, string | undefined>>) {
  const timeZone = values['time-zone'] ?? (env.TIME_ZONE || DEFAULT_TIME_ZONE);
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new UsageError(`--time-zone must be an IANA time zone such as ${DEFAULT_TIME_ZONE} (${SEE_HELP})`);
  }
  if (values.at === undefined) return { at: new Date(), timeZone };
  // An instant without an offset would be read in the machine's zone, which is not the deployment's.
  const at = /(Z|[+-]\d{2}:?\d{2})$/i.test(values.at) ? new Date(values.at) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(`--at must be an ISO 8601 time with an offset, e.g. 2026-12-01T23:30:00+08:00 (${SEE_HELP})`);
  }
  return { at, timeZone };
}

async function findDesk(directory: DynamoDeskDirectory, id: string): Promise<DutyDesk> {
  const desk = (await directory.list()).find((d) => d.id === id);
  if (!desk) throw new FailureError(`no desk ${id} in the directory (npx sanwang desks list shows them)`);
  return desk;
}

/** `张三 138****0001`: how a person shows in the CLI's output. */
const masked = (officer: Pick<Officer, 'name' | 'mobile'>) => `${maskName(officer.name)} ${maskPhone(officer.mobile)}`;

function printList(list: readonly DutyDesk[], io: CliOutput): void {
  if (list.length === 0) io.out('no desks: import a file of them with npx sanwang desks import FILE');
  for (const desk of list) {
    io.out(`${desk.id}  ${desk.level} ${desk.jurisdiction}  ${desk.name}`);
    io.out(`  standing  ${desk.sms.length > 0 ? desk.sms.map(maskPhone).join(', ') : '(none)'}`);
    for (const officer of desk.officers)
      io.out(`  ${officer.role.padEnd(12)} ${officer.id.padEnd(24)} ${masked(officer)}`);
  }
}

function printRoster(desk: DutyDesk, { at, timeZone }: { at: Date; timeZone: string }, io: CliOutput): void {
  const byId = new Map(desk.officers.map((o) => [o.id, o]));
  const names = (ids: readonly string[]) =>
    ids.length === 0 ? 'nobody' : ids.map((id) => `${id} (${maskName(byId.get(id)?.name ?? '')})`).join(', ');
  io.out(`${desk.id}  ${desk.level} ${desk.jurisdiction}  ${desk.name}  (times in ${timeZone})`);
  io.out('weekly:');
  if (desk.roster.shifts.length === 0) io.out('  no shifts');
  for (const shift of desk.roster.shifts)
    io.out(`  ${days(shift)}  ${shift.start}–${shift.end}  ${names(shift.officers)}`);
  if (desk.roster.overrides.length > 0) io.out('overrides:');
  for (const override of desk.roster.overrides) io.out(`  ${span(override)}  ${names(override.officers)}`);
  const { date, hhmm } = localTime(at, timeZone);
  io.out(`told at ${date} ${hhmm}, by the roster:`);
  const told = recipientsOf([desk], at, timeZone);
  if (told.length === 0) io.out('  nobody: no officer on duty and no standing number');
  for (const r of told) {
    const officer = r.officerId === undefined ? undefined : byId.get(r.officerId);
    io.out(
      `  ${r.key.padEnd(40)} ${officer ? `${officer.role.padEnd(12)} ${masked(officer)}` : `${'standing'.padEnd(12)} ${maskPhone(r.address)}`}`,
    );
  }
}

const WEEK = 'mon tue wed thu fri sat sun';

/** `mon–fri`, `sat sun`, `mon–sun`: the days of a shift as a roster shows them. */
function days(shift: WeeklyShift): string {
  const ordered = WEEK.split(' ').filter((d) => shift.days.includes(d as WeeklyShift['days'][number]));
  const run = ordered.join(' ');
  return ordered.length > 2 && WEEK.includes(run) ? `${ordered[0]}–${ordered.at(-1)}` : ordered.join(' ');
}

/** `2026-12-31 20:00–08:00`, `2026-10-01 00:00–24:00`. */
function span(override: RosterOverride): string {
  return `${override.date} ${override.start ?? '00:00'}–${override.end ?? '24:00'}`;
}
