import type { Roster } from '../../events/desk-api.ts';
import type { DutyDesk } from '../domain/duty-desks.ts';
import type { OfficerRole } from '../domain/incident-lifecycle.ts';

/** An officer of a desk: the id is the user name they sign in with; name and mobile are personal data. */
export interface DeskOfficer {
  id: string;
  name: string;
  mobile: string;
  role: OfficerRole;
}

/** A duty desk with the people who staff it: the directory's record, authoritative for who an officer is. */
export type StaffedDesk = DutyDesk & { officers: DeskOfficer[]; roster: Roster };

/**
 * What the duty-desk API needs of the desk directory (desks live in the table, read at run time): every desk, and
 * writing one back whole. Small on purpose; shared/adapters/desk-directory.ts implements it.
 */
export interface DeskDirectory {
  list(): Promise<StaffedDesk[]>;
  put(desk: StaffedDesk): Promise<void>;
}
