import type { EventType, SanwangEventInput } from '../events/envelope.ts';
import { exampleEvent } from '../events/examples.ts';

/**
 * The load test's picture of a night (`npm run load -- --mix`): most alarms come from a few cameras that fire
 * again and again (rain, insects, headlights on a perimeter line — one incident each, however many alarms), the
 * rest from many devices that each raise one real thing a few times (a tampered lens, a camera gone dark, a minor
 * in a café). Every event opens or joins exactly one incident, so the run can account for each one.
 */
export interface LoadMix {
  /** Share of events from the storming cameras, 0–1. */
  stormShare: number;
  /** How many cameras storm; their shares fall off as 1/rank (the first fires most). */
  stormCameras: number;
  /** Events each distinct incident gets, drawn evenly from this range. */
  distinctBurst: readonly [number, number];
  /** Distinct incidents open at a time: their events are interleaved, as devices of a county fire side by side. */
  distinctOpen: number;
}

export const NIGHT_MIX: LoadMix = { stormShare: 0.9, stormCameras: 12, distinctBurst: [1, 3], distinctOpen: 20 };

// Places in Gaoping (140581) whose desks exist in config/desks.json: county, two townships, one village.
const PLACES: SanwangEventInput['place'][] = [
  {
    county: '140581',
    township: '140581100',
    village: '140581100201',
    kind: 'school',
    name: '米山镇第一小学',
  },
  { county: '140581', township: '140581001', kind: 'station', name: '高平火车站广场' },
  { county: '140581', township: '140581001', village: '140581001003', kind: 'rental', name: '南城出租屋12号楼' },
  { county: '140581', township: '140581100', kind: 'fringe', name: '米山镇城郊路口' },
  { county: '140581', township: '140581001', kind: 'entertainment', name: '南城金曲KTV' },
  { county: '140581', township: '140581100', village: '140581100201', kind: 'residential', name: '米东村' },
  { county: '140581', township: '140581001', kind: 'internet_cafe', name: '极速网咖' },
];

const STORM_TYPES: EventType[] = ['camera.intrusion', 'camera.line_crossing'];

// What raises one incident each in a night, roughly as often as it happens; every type here keys its incident by
// the device, so a new device is a new incident.
const DISTINCT_TYPES: ReadonlyArray<readonly [EventType, number]> = [
  ['camera.intrusion', 30],
  ['camera.line_crossing', 10],
  ['camera.loitering', 15],
  ['camera.tamper', 10],
  ['camera.video_loss', 10],
  ['device.offline', 10],
  ['cafe.minor_admitted', 5],
  ['cafe.unregistered_user', 5],
  ['cafe.after_hours', 3],
  ['camera.fire_smoke', 2],
];

/** A deterministic generator (mulberry32), so two runs with one seed post the same night. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickWeighted<T>(items: ReadonlyArray<readonly [T, number]>, r: number): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let x = r * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items.at(-1)![0];
}

interface OpenIncident {
  sourceId: string;
  type: EventType;
  place: SanwangEventInput['place'];
  left: number;
}

/** Makes the run's events one at a time; source ids start with `prefix`, event ids are `<prefix>-e<n>`. */
export class NightEvents {
  readonly #mix: LoadMix;
  readonly #prefix: string;
  readonly #rand: () => number;
  readonly #storms: ReadonlyArray<
    readonly [{ sourceId: string; type: EventType; place: SanwangEventInput['place'] }, number]
  >;
  readonly #open: OpenIncident[] = [];
  #events = 0;
  #incidents = 0;

  constructor(mix: LoadMix, prefix: string, seed = 1) {
    this.#mix = mix;
    this.#prefix = prefix;
    this.#rand = random(seed);
    this.#storms = Array.from({ length: mix.stormCameras }, (_, i) => [
      {
        sourceId: `${prefix}-storm-${i}`,
        type: STORM_TYPES[i % STORM_TYPES.length]!,
        place: PLACES[i % PLACES.length]!,
      },
      1 / (i + 1),
    ]);
  }

  /** Source ids whose incidents this run opened so far (storm cameras count once they fired). */
  get distinctIncidentsStarted(): number {
    return this.#incidents;
  }

  next(now: Date): SanwangEventInput {
    const n = this.#events++;
    const { sourceId, type, place } = this.#rand() < this.#mix.stormShare ? this.#storm() : this.#distinct();
    return exampleEvent(type, {
      id: `${this.#prefix}-e${n}`,
      occurredAt: now.toISOString(),
      source: { id: sourceId, kind: type.startsWith('cafe.') ? 'cafe_system' : 'camera' },
      place,
    }) as SanwangEventInput;
  }

  #storm() {
    return pickWeighted(this.#storms, this.#rand());
  }

  #distinct(): OpenIncident {
    while (this.#open.length < this.#mix.distinctOpen) {
      const [min, max] = this.#mix.distinctBurst;
      this.#open.push({
        sourceId: `${this.#prefix}-d${this.#incidents++}`,
        type: pickWeighted(DISTINCT_TYPES, this.#rand()),
        place: PLACES[Math.floor(this.#rand() * PLACES.length)]!,
        left: min + Math.floor(this.#rand() * (max - min + 1)),
      });
    }
    const index = Math.floor(this.#rand() * this.#open.length);
    const incident = this.#open[index]!;
    incident.left -= 1;
    if (incident.left <= 0) this.#open.splice(index, 1);
    return incident;
  }
}
