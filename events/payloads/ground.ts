import * as z from 'zod';
import { Instant } from '../common.ts';
import { FullName, MobileNumber } from '../personal-data.ts';

/** A patrol officer or grid worker; the badge is a work id, the name and phone are personal data. */
const Officer = z.object({
  badge: z.string().min(1).max(20),
  fullName: FullName.optional(),
  phone: MobileNumber.optional(),
});

const Checkpoint = z.object({
  tourId: z.string().min(1).max(64),
  checkpointId: z.string().min(1).max(64),
  checkpointName: z.string().max(40).optional(),
});

export const groundPayloads = {
  'patrol.checkin': Checkpoint.extend({ method: z.enum(['nfc', 'qr', 'gps']), officer: Officer }),
  'patrol.checkpoint_missed': Checkpoint.extend({
    dueAt: Instant,
    officer: Officer.optional(),
  }),
  'patrol.sos': z.object({
    kind: z.enum(['sos', 'man_down']),
    officer: Officer,
    battery: z.number().int().min(0).max(100).optional(),
  }),
} as const;
