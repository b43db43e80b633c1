import * as z from 'zod';
import { RulesConfig } from '../../shared/config.ts';

/** Environment of the duty-desk API function (HTTP API with a JWT authorizer → incidents and desks). */
export const DeskApiConfig = z.object({
  TABLE_NAME: z.string().min(1),
  /** Times in answers (`于 02:03 签收`) are read in this zone. */
  TIME_ZONE: RulesConfig.shape.TIME_ZONE,
});
export type DeskApiConfig = z.infer<typeof DeskApiConfig>;
