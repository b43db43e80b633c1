import * as z from 'zod';
import { Instant } from '../common.ts';
import { FullName, Person } from '../personal-data.ts';

/** An internet café as its real-name system names it. */
const Venue = z.object({
  license: z.string().max(40).optional().meta({ description: 'Network culture business licence number' }),
  terminal: z.string().max(32).optional().meta({ description: 'Seat or terminal number' }),
});

export const internetPayloads = {
  'cafe.minor_admitted': z.object({ venue: Venue, patron: Person.extend({ age: z.number().int().min(0).max(17) }) }),
  'cafe.unregistered_user': z.object({ venue: Venue, patron: Person.optional() }),
  'cafe.id_mismatch': z.object({
    venue: Venue,
    patron: Person,
    mismatch: z.enum(['face', 'borrowed_id', 'shared_id']),
  }),
  'cafe.wanted_person_hit': z.object({
    venue: Venue,
    patron: Person,
    list: z.string().min(1).max(40),
    score: z.number().min(0).max(1).optional(),
  }),
  'cafe.after_hours': z.object({
    venue: Venue,
    activeUsers: z.number().int().min(0),
  }),
  'cafe.terminal_offline': z.object({
    venue: Venue,
    component: z.enum(['monitoring_terminal', 'management_software', 'real_name_reader']),
    lastHeartbeatAt: Instant.optional(),
  }),
  'opinion.post_flagged': z.object({
    platform: z.string().min(1).max(30),
    url: z.url({ error: 'must be an absolute URL' }).max(2048),
    title: z.string().min(1).max(200),
    topic: z.string().max(40).optional(),
    reach: z.number().int().min(0).optional().meta({ description: 'Views or reposts when flagged' }),
    sentiment: z.enum(['negative', 'neutral', 'positive']).optional(),
    author: z.object({ handle: z.string().max(60).optional(), fullName: FullName.optional() }).optional(),
  }),
} as const;
