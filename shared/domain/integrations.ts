import * as z from 'zod';
import { DEVICE_FORMATS } from '../../events/adapters/device-adapter.ts';
import { NETWORKS } from '../../events/common.ts';
import type { SanwangEvent } from '../../events/envelope.ts';
import type { FieldIssue } from '../../events/validation.ts';

const Secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, { error: 'must be whsec_ followed by at least 24 bytes of base64' });

/** An integration (a camera platform, a café system, a patrol app …) and what it may send. */
export const Integration = z.object({
  id: z.string().regex(/^[a-z0-9-]{3,40}$/, { error: 'must be 3–40 lower-case letters, digits and dashes' }),
  name: z.string().min(1).max(60),
  /** One active secret, or two while rotating. */
  secrets: z.array(Secret).min(1).max(2),
  networks: z.array(z.enum(NETWORKS)).min(1),
  /** Jurisdiction codes (6, 9 or 12 digits): events must be placed at or below one of them. */
  jurisdictions: z.array(z.string().regex(/^(\d{6}|\d{9}|\d{12})$/)).min(1),
  /** Device formats it may post besides canonical JSON. */
  formats: z.array(z.enum(DEVICE_FORMATS)).default([]),
});
export type Integration = z.infer<typeof Integration>;

export const IntegrationRegistry = z.object({ integrations: z.array(Integration) });

/** Why an event falls outside what its integration is registered for, or undefined when it is allowed. */
export function outsideRegistration(integration: Integration, event: SanwangEvent): FieldIssue | undefined {
  if (!integration.networks.includes(event.network)) {
    return {
      path: 'network',
      message: `integration ${integration.id} is not registered for the ${event.network} network`,
    };
  }
  const { county, township, village } = event.place;
  const deepest = village ?? township ?? county;
  if (!integration.jurisdictions.some((code) => deepest.startsWith(code))) {
    return {
      path: village ? 'place.village' : township ? 'place.township' : 'place.county',
      message: `integration ${integration.id} is not registered for jurisdiction ${deepest}`,
    };
  }
  return undefined;
}
