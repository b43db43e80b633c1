import * as z from 'zod';
import { Instant } from '../common.ts';
import { Person } from '../personal-data.ts';

/** Analytics report a state: `inactive` closes an alarm that `active` opened; only `active` raises one. */
const AlarmState = z.enum(['active', 'inactive']).default('active');

/** What the device said about it (a GB/T 28181 AlarmDescription): shown to the desk as the incident's detail. */
const Said = z.string().max(40).optional().meta({ description: "The device's own words for the alarm" });

const Detection = z.object({
  state: AlarmState,
  region: z.string().max(40).optional().meta({ description: 'Zone or line name configured on the camera' }),
  objectType: z.enum(['person', 'vehicle', 'animal', 'unknown']).optional(),
  objectCount: z.number().int().min(0).optional(),
  confidence: z.number().min(0).max(1).optional(),
});

export const skyPayloads = {
  'camera.intrusion': Detection,
  'camera.line_crossing': Detection.extend({ direction: z.enum(['a_to_b', 'b_to_a', 'both']).optional() }),
  'camera.loitering': Detection.extend({ dwellSeconds: z.number().int().min(0).optional() }),
  'camera.crowd': Detection.extend({ count: z.number().int().min(0), threshold: z.number().int().min(0).optional() }),
  'camera.tamper': z.object({ state: AlarmState, description: Said }),
  'camera.video_loss': z.object({ state: AlarmState, description: Said }),
  'camera.fire_smoke': z.object({
    state: AlarmState,
    kind: z.enum(['fire', 'smoke']),
    confidence: z.number().min(0).max(1).optional(),
  }),
  'camera.watchlist_hit': z.object({
    list: z.string().min(1).max(40).meta({ description: 'Watch-list name, e.g. 在逃人员库' }),
    match: z.enum(['face', 'plate']),
    score: z.number().min(0).max(1),
    subject: Person.optional(),
    plate: z.string().max(16).optional(),
  }),
  /** A device event type sanwang has no rule for yet: kept on the stream (and for future rules), not rejected. */
  'camera.other': z.object({
    state: AlarmState,
    vendor: z.string().min(1).max(20),
    vendorType: z.string().min(1).max(64).meta({ description: "The device's own event type, e.g. Hikvision PIR" }),
    description: z.string().max(200).optional(),
  }),
  'device.offline': z.object({
    lastSeenAt: Instant.optional(),
    reason: z.enum(['heartbeat_lost', 'power', 'network', 'disk_error', 'unknown']).default('heartbeat_lost'),
  }),
} as const;
