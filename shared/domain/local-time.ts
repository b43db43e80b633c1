import { zoneOffsetMs as exactZoneOffsetMs } from '../../events/adapters/device-time.ts';

/** Wall-clock parts of an instant in a time zone. */
export interface LocalTime {
  date: string; // YYYY-MM-DD
  monthDay: string; // MM-DD
  hhmm: string; // HH:mm
  hour: number;
}

const offsets = new Map<string, Map<number, number>>();
// Zone offsets change only at transitions, which fall on quarter hours everywhere.
const OFFSET_BUCKET_MS = 15 * 60_000;
const MAX_CACHED_BUCKETS = 4096;

/**
 * The zone's offset from UTC at `ms`, in milliseconds. Intl is exact but slow (microseconds a call), and the
 * rules ask for every event, so offsets are cached per quarter hour.
 */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  let zone = offsets.get(timeZone);
  if (!zone) {
    zone = new Map();
    offsets.set(timeZone, zone);
  }
  const bucket = Math.floor(ms / OFFSET_BUCKET_MS);
  let offset = zone.get(bucket);
  if (offset === undefined) {
    offset = exactZoneOffsetMs(bucket * OFFSET_BUCKET_MS, timeZone);
    if (zone.size >= MAX_CACHED_BUCKETS) zone.clear();
    zone.set(bucket, offset);
  }
  return offset;
}

/** The local hour (0–23) of `ms` in `timeZone`. */
export function localHour(ms: number, timeZone: string): number {
  return new Date(ms + zoneOffsetMs(ms, timeZone)).getUTCHours();
}

const two = (n: number) => String(n).padStart(2, '0');

/** The local date and time of `instant` in `timeZone`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  const ms = instant.getTime();
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  const monthDay = `${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`;
  return {
    date: `${local.getUTCFullYear()}-${monthDay}`,
    monthDay,
    hhmm: `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`,
    hour: local.getUTCHours(),
  };
}

/** Night hours, when fewer eyes are on the street: [start, end) wrapping midnight. */
export interface NightHours {
  start: number;
  end: number;
}
export const DEFAULT_NIGHT: NightHours = { start: 22, end: 6 };

export function isNight(hour: number, night: NightHours = DEFAULT_NIGHT): boolean {
  return night.start > night.end ? hour >= night.start || hour < night.end : hour >= night.start && hour < night.end;
}
