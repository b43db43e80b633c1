import * as logs from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { NotifyConfig, RulesConfig } from '../shared/config.ts';

const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** A list from context: a JSON array (cdk.json) or a comma-separated string (`-c key=a,b`). Default empty. */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter(Boolean)
        : (value ?? []),
    z.array(item),
  );

/** The retentions CloudWatch Logs offers, in days, ascending (never-expire left out: the law asks for a minimum). */
const LOG_RETENTIONS = Object.values(logs.RetentionDays)
  .filter((days): days is logs.RetentionDays => typeof days === 'number' && days !== logs.RetentionDays.INFINITE)
  .sort((a, b) => a - b);

/** The Cybersecurity Law of the PRC (Art. 21) asks network operators to keep network logs for at least six months. */
export const MIN_LOG_RETENTION_DAYS = 180;

/**
 * CDK context the app reads (`cdk synth -c key=value`), with its defaults. The function settings reuse the
 * validators of the functions' own config, so synth rejects a value a function would reject at start-up. The duty
 * desks are not among them: they are data in the table (`npx sanwang desks import`), read by the functions at run
 * time, so no phone number is ever part of a template.
 */
export const Settings = z.object({
  /** IANA zone for night hours and SMS times. Default `Asia/Shanghai`. */
  timeZone: RulesConfig.shape.TIME_ZONE,
  /** Days an incident is kept before TTL deletes it. Default 180. */
  incidentRetentionDays: RulesConfig.shape.INCIDENT_RETENTION_DAYS,
  /** Days a quarantined event (table item or S3 object) is kept. Default 30. */
  quarantineRetentionDays: RulesConfig.shape.QUARANTINE_RETENTION_DAYS,
  /**
   * The SMS sender id the notify function texts with, where the destination country supports one (not mainland
   * China). Absent: none, the carrier's default. Up to 11 letters or digits.
   */
  smsSenderId: NotifyConfig.shape.SMS_SENDER_ID,
  /** Absent: on-demand stream. A number: provisioned stream with that many shards (cheaper when traffic is flat). */
  shardCount: z.coerce.number().int().min(1).max(500).optional(),
  /** Steady-state request rate (requests per second) of the ingest API's default stage. Default 100. */
  apiRateLimit: z.coerce.number().positive().max(10_000).default(100),
  /** Burst (token bucket size) of the ingest API's default stage. Default 200. */
  apiBurstLimit: z.coerce.number().int().min(1).max(5_000).default(200),
  /** Steady-state request rate of the duty-desk API's default stage (officers, not devices). Default 20. */
  deskApiRateLimit: z.coerce.number().positive().max(10_000).default(20),
  /** Burst of the duty-desk API's default stage. Default 40. */
  deskApiBurstLimit: z.coerce.number().int().min(1).max(5_000).default(40),
  /** Minutes after which an event is late (迟报): counted, never alerted as current. Default 60. */
  maxEventAgeMinutes: RulesConfig.shape.MAX_EVENT_AGE_MINUTES,
  /** Seconds an event's time may be ahead of its reception; further ahead is refused. Default 300. */
  maxClockSkewSeconds: RulesConfig.shape.MAX_CLOCK_SKEW_SECONDS,
  /**
   * Days the functions' logs and the API access logs are kept, rounded up to a retention CloudWatch Logs offers
   * (200 keeps 365). Default 180; less is refused, with no override: the law has none either.
   */
  logRetentionDays: z.coerce
    .number()
    .int()
    .min(MIN_LOG_RETENTION_DAYS, {
      error: `must be at least ${MIN_LOG_RETENTION_DAYS} days: the Cybersecurity Law (Art. 21) asks for six months of network logs`,
    })
    .max(LOG_RETENTIONS.at(-1)!)
    .default(MIN_LOG_RETENTION_DAYS)
    .transform((days) => LOG_RETENTIONS.find((offered) => offered >= days)!),
  /** E-mail addresses subscribed to the ops topic (each confirms by mail). Works in every region. */
  opsEmail: list(z.email({ error: 'must be an e-mail address' })),
  /** HTTPS endpoints subscribed to the ops topic (each confirms the subscription): a pager or chat-ops webhook. */
  opsHttps: list(z.url({ protocol: /^https$/, error: 'must be an https:// URL' })),
  /** Phone numbers (E.164) subscribed to the ops topic by SMS; Amazon SNS has no SMS in the China regions. */
  opsSms: list(
    z.string().regex(/^\+[1-9]\d{7,14}$/, { error: 'must be a phone number in E.164 (+<country><number>)' }),
  ),
  /** Run the cdk-nag AwsSolutions checks on synth. Default true; `-c nag=false` skips them. */
  nag: flag.default(true),
  /** Write esbuild's metafile (`index.meta.json`) beside each bundle, to see what it holds. Default false. */
  bundleMetafile: flag.default(false),
});
export type Settings = z.infer<typeof Settings>;

/** Reads and validates the app's context; the error names each offending context key. */
export function readSettings(context: (key: string) => unknown): Settings {
  const raw = Object.fromEntries(Object.keys(Settings.shape).map((key) => [key, context(key)]));
  const parsed = Settings.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new Error(`invalid CDK context: ${lines.join('; ')}`);
}
