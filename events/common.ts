import * as z from 'zod';

export const NETWORKS = ['sky', 'ground', 'internet'] as const;
export const Network = z.enum(NETWORKS);
export type Network = z.infer<typeof Network>;

/** An ISO 8601 instant that carries its offset: devices in China often send local time, which is ambiguous. */
export const Instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-25T02:03:00+08:00',
});

export const CountyCode = z.string().regex(/^\d{6}$/, { error: 'must be a 6-digit county code (GB/T 2260)' });
export const TownshipCode = z.string().regex(/^\d{9}$/, { error: 'must be a 9-digit township/street code' });
export const VillageCode = z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit village/community code' });

/** Key places (重点场所) raise the severity of any alarm there. */
export const KEY_PLACE_KINDS = [
  'school',
  'station',
  'hotel',
  'rental',
  'entertainment',
  'internet_cafe',
  'fringe',
] as const;
export const PLACE_KINDS = [...KEY_PLACE_KINDS, 'residential', 'commercial', 'public', 'industrial', 'other'] as const;
export const PlaceKind = z.enum(PLACE_KINDS);
export type PlaceKind = z.infer<typeof PlaceKind>;

export const Place = z
  .object({
    county: CountyCode,
    township: TownshipCode.optional(),
    village: VillageCode.optional(),
    kind: PlaceKind,
    name: z.string().min(1).max(40).optional().meta({ description: 'Short place name shown to the duty desk' }),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
  })
  .superRefine((place, ctx) => {
    // A lower level must sit inside the higher one, or routing would send the alarm to the wrong desk. The messages
    // name the other field, never its value (which may be anything an integration sent).
    if (place.township && !place.township.startsWith(place.county)) {
      ctx.addIssue({ code: 'custom', path: ['township'], message: 'must start with the 6 digits of place.county' });
    }
    if (place.village && !place.township) {
      ctx.addIssue({ code: 'custom', path: ['township'], message: 'is required when a village code is given' });
    } else if (place.village && place.township && !place.village.startsWith(place.township)) {
      ctx.addIssue({
        code: 'custom',
        path: ['village'],
        message: 'must start with the 9 digits of place.township',
      });
    }
    if ((place.lat === undefined) !== (place.lon === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [place.lat === undefined ? 'lat' : 'lon'],
        message: 'lat and lon go together',
      });
    }
  });
export type Place = z.infer<typeof Place>;

export const SOURCE_KINDS = [
  'camera',
  'nvr',
  'alarm_input',
  'patrol_terminal',
  'patrol_app',
  'cafe_system',
  'opinion_monitor',
  'site',
] as const;

/** Where the event came from; `id` is the Kinesis partition key, so one device's events stay in order. */
export const Source = z.object({
  id: z.string().regex(/^[\w.:@/-]{1,64}$/, { error: 'must be 1–64 letters, digits or . _ : @ / -' }),
  kind: z.enum(SOURCE_KINDS),
  channel: z.string().max(32).optional(),
});

export const Evidence = z.object({
  kind: z.enum(['image', 'video', 'url', 'raw']),
  uri: z.string().max(2048).optional(),
  /** The original device payload, kept verbatim by the ingest adapters. */
  raw: z.string().max(16_384).optional(),
  contentType: z.string().max(100).optional(),
  /** Size of a picture or clip that came with the event; pictures are not put on the stream. */
  bytes: z.number().int().min(0).optional(),
});
