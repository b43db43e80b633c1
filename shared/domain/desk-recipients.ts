import { type DutyDesk, onDuty } from './duty-desks.ts';
import type { OfficerRole } from './incident-lifecycle.ts';

/**
 * Someone to tell: an officer on duty, or a desk's standing number. `key` names the recipient in records and
 * logs and holds no personal data (`<deskId>/<officerId>`, `<deskId>/standing-<n>`, n from 1 in the desk's
 * `sms` list); `address` is the mobile number, personal data that never goes beyond the sender.
 */
export interface Recipient {
  key: string;
  deskId: string;
  officerId?: string;
  role?: OfficerRole;
  channel: 'sms';
  address: string;
}

/**
 * Who to tell at `at` (wall clock in `timeZone`), desk by desk in the order given: the desk's officers on duty
 * (only those in `roles` when asked, e.g. the desk leads), or, when none of them is on duty, the desk's standing
 * numbers. A desk with neither adds nobody. Each key and each address appears once (the first wins): a desk
 * listed twice, or two officers sharing a duty phone, get one SMS.
 * @example recipientsOf([mishan], new Date('2026-12-01T18:30:00Z'), 'Asia/Shanghai', { roles: ['desk-lead'] })
 *   // [{ key: 'mishan-station/mishan-lead', deskId: 'mishan-station', officerId: 'mishan-lead', role: 'desk-lead',
 *   //    channel: 'sms', address: '+8613900000003' }], or the standing numbers when no lead is on duty
 */
export function recipientsOf(
  desks: readonly DutyDesk[],
  at: Date,
  timeZone: string,
  options: { roles?: readonly OfficerRole[] } = {},
): Recipient[] {
  const recipients: Recipient[] = [];
  const keys = new Set<string>();
  const addresses = new Set<string>();
  const add = (recipient: Recipient) => {
    if (keys.has(recipient.key) || addresses.has(recipient.address)) return;
    keys.add(recipient.key);
    addresses.add(recipient.address);
    recipients.push(recipient);
  };
  for (const desk of desks) {
    const officers = onDuty(desk, at, timeZone).filter((o) => options.roles?.includes(o.role) ?? true);
    for (const officer of officers) {
      add({
        key: `${desk.id}/${officer.id}`,
        deskId: desk.id,
        officerId: officer.id,
        role: officer.role,
        channel: 'sms',
        address: officer.mobile,
      });
    }
    if (officers.length > 0) continue;
    desk.sms.forEach((address, i) => {
      add({ key: `${desk.id}/standing-${i + 1}`, deskId: desk.id, channel: 'sms', address });
    });
  }
  return recipients;
}
