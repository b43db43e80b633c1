const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// Date.UTC reads years 0–99 as 1900–1999; building the date first and then setting the year does not.
function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** The zone's offset from UTC at `ms`, rounded to whole minutes (every zone since 1970 keeps to them). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const at = Math.floor(ms / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) p[part.type] = Number(part.value);
  const wall = utcMs(p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((wall - at) / 60_000) * 60_000;
}

const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(3000, 0, 1);
const two = (n: number) => String(n).padStart(2, '0');

/**
 * An instant (ms since the epoch) as ISO 8601 with the zone's offset: `2026-11-26T02:00:00+08:00`, milliseconds
 * only when there are some. Undefined outside 1970–2999, where no device clock is right.
 */
export function isoInZone(ms: number, timeZone: string): string | undefined {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms >= MAX_MS) return undefined;
  const t = Math.round(ms);
  const offset = zoneOffsetMs(t, timeZone);
  const local = new Date(t + offset);
  const fraction = local.getUTCMilliseconds() ? `.${String(local.getUTCMilliseconds()).padStart(3, '0')}` : '';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return (
    `${local.getUTCFullYear()}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}` +
    `T${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}${fraction}` +
    `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`
  );
}

/**
 * A local wall time in a zone as an instant (ms). The offset is looked up at the guess, then once more at the
 * result, which lands right on both sides of a DST change; a wall time inside a spring-forward gap moves forward.
 */
export function wallTimeToMs(
  wall: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms?: number },
  timeZone: string,
): number {
  const asUtc = utcMs(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second) + (wall.ms ?? 0);
  const guess = asUtc - zoneOffsetMs(asUtc, timeZone);
  return asUtc - zoneOffsetMs(guess, timeZone);
}

// Seconds are optional in ISO 8601, and some firmware leaves them out (`2026-11-26T02:00+08:00`).
const DEVICE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Reads a device timestamp — ISO 8601 with `T` or a space, optional seconds and fraction, optional offset (`Z`,
 * `+08:00`, `+0800`, `+08`) — as ISO 8601 with an offset. Without an offset it is local time in `timeZone`.
 * Undefined when it is not a real date and time.
 * @example deviceTime('2026-11-26T02:00:00', 'Asia/Shanghai') // '2026-11-26T02:00:00+08:00'
 */
export function deviceTime(text: string, timeZone: string): string | undefined {
  const m = DEVICE_TIME.exec(text.trim());
  if (!m) return undefined;
  m[6] ??= '00';
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const asUtc = utcMs(year, month, day, hour, minute, second) + ms;
  if (new Date(asUtc).getUTCDate() !== day) return undefined;
  const zone = m[8];
  if (zone === undefined)
    return isoInZone(wallTimeToMs({ year, month, day, hour, minute, second, ms }, timeZone), timeZone);
  const offsetMinutes = zone.toUpperCase() === 'Z' ? 0 : parseOffset(zone);
  if (offsetMinutes === undefined) return undefined;
  const instant = asUtc - offsetMinutes * 60_000;
  if (instant < MIN_MS || instant >= MAX_MS) return undefined;
  // Keep the device's own wall time and offset: it is what the device showed.
  const fraction = ms ? `.${String(ms).padStart(3, '0')}` : '';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${m.slice(1, 4).join('-')}T${m.slice(4, 7).join(':')}${fraction}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

function parseOffset(zone: string): number | undefined {
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 14 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
