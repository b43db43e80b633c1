import * as z from 'zod';
import { SEVERITIES, type Severity } from './severity.ts';

const jurisdictionCode = z
  .string()
  .regex(/^(\d{6}|\d{9}|\d{12})$/, { error: 'must be a 6-digit county, 9-digit township or 12-digit village code' });

/** A duty desk: who is responsible for a jurisdiction and which alerts reach it. */
export const DutyDesk = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/, { error: 'must be lower-case letters, digits and dashes (≤ 40)' }),
  name: z.string().min(1).max(30),
  jurisdiction: jurisdictionCode,
  /** The least severe level this desk is told about: 2 means levels 1 and 2. */
  minSeverity: z.union(SEVERITIES.map((s) => z.literal(s))).default(4),
  /** Mobile numbers (E.164) subscribed to SMS in AWS; personal data, kept out of logs. */
  sms: z
    .array(z.string().regex(/^\+861[3-9]\d{9}$/, { error: 'must be a mainland mobile number in E.164 (+861…)' }))
    .default([]),
});
export type DutyDesk = z.infer<typeof DutyDesk>;

export const DutyDeskList = z.array(DutyDesk).superRefine((desks, ctx) => {
  const seen = new Set<string>();
  desks.forEach((desk, i) => {
    if (seen.has(desk.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate desk id ${desk.id}` });
    seen.add(desk.id);
  });
});

/** Level of a jurisdiction code: 6 digits county, 9 township, 12 village/community. */
export function jurisdictionLevel(code: string): 'county' | 'township' | 'village' {
  return code.length === 6 ? 'county' : code.length === 9 ? 'township' : 'village';
}

/**
 * The SNS subscription filter policy of a desk. Alerts carry every level of their place in the `jurisdiction`
 * String.Array attribute, so a county desk's single code matches all alerts below it.
 * @example deskFilterPolicy({ jurisdiction: '140581', minSeverity: 2 }) // { jurisdiction: ['140581'], severity: [{ numeric: ['<=', 2] }] }
 */
export function deskFilterPolicy(desk: Pick<DutyDesk, 'jurisdiction' | 'minSeverity'>) {
  return {
    jurisdiction: [desk.jurisdiction],
    severity: [{ numeric: ['<=', desk.minSeverity] as ['<=', Severity] }],
  };
}
