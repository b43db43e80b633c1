/** Wall-clock parts of an instant in a time zone; formatters are cached because they are costly to build. */
export interface LocalTime {
  date: string; // YYYY-MM-DD
  monthDay: string; // MM-DD
  hhmm: string; // HH:mm
  hour: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local date and time of `instant` in `timeZone`. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const monthDay = `${parts.month}-${parts.day}`;
  return {
    date: `${parts.year}-${monthDay}`,
    monthDay,
    hhmm: `${parts.hour}:${parts.minute}`,
    hour: Number(parts.hour),
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
