import * as z from 'zod';
import { DEVICE_FORMATS } from '../../events/adapters/device-adapter.ts';
import { NETWORKS } from '../../events/common.ts';
import type { SanwangEvent } from '../../events/envelope.ts';
import type { FieldIssue } from '../../events/validation.ts';

const Secret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, { error: 'must be whsec_ followed by at least 24 bytes of base64' });

/** The most severe `devicePriority` an integration's devices may claim when its registration does not say. */
export const DEFAULT_MAX_DEVICE_PRIORITY = 2;

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
  /**
   * The most severe level (1 most severe … 4) its events may claim with `devicePriority`; a more severe claim is
   * lowered to it. Default {@link DEFAULT_MAX_DEVICE_PRIORITY}; 4 means its devices cannot raise an incident at all.
   */
  maxDevicePriority: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'must be 1, 2, 3 or 4' })
    .optional(),
});
export type Integration = z.infer<typeof Integration>;

export const IntegrationRegistry = z.object({ integrations: z.array(Integration) });

/** Why an event's network is not one its integration may post, or undefined. Names what is allowed, not what came. */
export function networkIssue(integration: Integration, network: unknown): FieldIssue | undefined {
  if (integration.networks.includes(network as Integration['networks'][number])) return undefined;
  return {
    path: 'network',
    message: `is not a network integration ${integration.id} is registered for (${integration.networks.join(', ')})`,
  };
}

/**
 * Why an event falls outside what its integration is registered for (the device format it came in, its network,
 * its place), or undefined when it is allowed. `format` is a device format or `canonical`.
 */
export function outsideRegistration(
  integration: Integration,
  event: SanwangEvent,
  format = 'canonical',
): FieldIssue | undefined {
  if (format !== 'canonical' && !integration.formats.includes(format as Integration['formats'][number])) {
    return {
      path: '',
      message: `came in the ${format} format, which integration ${integration.id} is not registered for`,
    };
  }
  const network = networkIssue(integration, event.network);
  if (network) return network;
  const { county, township, village } = event.place;
  const deepest = village ?? township ?? county;
  if (!integration.jurisdictions.some((code) => deepest.startsWith(code))) {
    return {
      path: village ? 'place.village' : township ? 'place.township' : 'place.county',
      message: `is outside the jurisdictions integration ${integration.id} is registered for (${integration.jurisdictions.join(', ')})`,
    };
  }
  return undefined;
}
