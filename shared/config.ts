import * as z from 'zod';

/** Thrown when a function starts with missing or malformed configuration; names every offending variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA time zone such as Asia/Shanghai' },
);
const days = z.coerce.number().int().min(1).max(3650);
const minutes = z.coerce
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);
/** `{"internet.opinion": 360}`: rule ids with their own maximum event age in minutes. */
const ruleMinutes = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of rule ids to minutes' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().regex(/^[a-z]+\.[a-z-]+$/, { error: 'keys must be rule ids' }), minutes))
  .default({});

/** Environment of the rules function (Kinesis → incidents). */
export const RulesConfig = z.object({
  TABLE_NAME: z.string().min(1),
  /** Night hours and SMS times are read in this zone. */
  TIME_ZONE: timeZone.default('Asia/Shanghai'),
  INCIDENT_RETENTION_DAYS: days.default(180),
  QUARANTINE_RETENTION_DAYS: days.default(30),
  /** Events received more than this many minutes after they happened are late (迟报): counted, never alerted. */
  MAX_EVENT_AGE_MINUTES: minutes.default(60),
  /** Per-rule maximum ages, over the rules' own and the global one. */
  RULE_MAX_AGE_MINUTES: ruleMinutes,
  /** Events further ahead of their reception than this are quarantined, naming occurredAt. */
  MAX_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
});
export type RulesConfig = z.infer<typeof RulesConfig>;

/** Environment of the notify function (table stream → SNS). */
export const NotifyConfig = z.object({
  TABLE_NAME: z.string().min(1),
  TIME_ZONE: timeZone.default('Asia/Shanghai'),
  /** The SMS sender id where the destination country supports one (not mainland China); unset: none. */
  SMS_SENDER_ID: z
    .string()
    .regex(/^[A-Za-z0-9]{1,11}$/, 'up to 11 letters or digits')
    .optional(),
});
export type NotifyConfig = z.infer<typeof NotifyConfig>;

/** Environment of the sweep function (a schedule → due clocks ticked, pending alerts re-driven). */
export const SweepConfig = z.object({
  TABLE_NAME: z.string().min(1),
});
export type SweepConfig = z.infer<typeof SweepConfig>;

/** Parses `env` once at start-up; the error lists each variable by name with what is wrong. */
export function readConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

/**
 * The time limits on an event's occurredAt at the door (the ingest, and held events sent on by
 * `npx sanwang devices register`): ahead of sanwang's clock by at most the skew, older by at most the retention.
 */
export const EventTimeConfig = z.object({
  MAX_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** As long as the rules function keeps incidents: an older event could not be recorded. */
  INCIDENT_RETENTION_DAYS: days.default(180),
});

/** The event-time limits those variables give (what the door checks), in the domain's units. */
export function eventTimeLimits(config: z.infer<typeof EventTimeConfig>): { maxSkewMs: number; retentionMs: number } {
  return { maxSkewMs: config.MAX_CLOCK_SKEW_SECONDS * 1000, retentionMs: config.INCIDENT_RETENTION_DAYS * 86_400_000 };
}

/** Environment of the ingest function (HTTP API → Kinesis). */
export const IngestConfig = z
  .object({
    ...EventTimeConfig.shape,
    STREAM_NAME: z.string().min(1),
    TABLE_NAME: z.string().min(1),
    /** The Secrets Manager secret holding `{"integrations": [...]}`; local mode uses INTEGRATIONS_FILE instead. */
    INTEGRATIONS_SECRET_ARN: z.string().startsWith('arn:').optional(),
    INTEGRATIONS_FILE: z.string().min(1).optional(),
    TIME_ZONE: timeZone.default('Asia/Shanghai'),
    MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(6_000_000).default(1_048_576),
  })
  .refine((env) => (env.INTEGRATIONS_SECRET_ARN === undefined) !== (env.INTEGRATIONS_FILE === undefined), {
    error: 'set exactly one of INTEGRATIONS_SECRET_ARN and INTEGRATIONS_FILE',
    path: ['INTEGRATIONS_SECRET_ARN'],
  });
export type IngestConfig = z.infer<typeof IngestConfig>;
