import { type Recipient, recipientsOf } from './desk-recipients.ts';
import { type DutyDesk, desksCovering } from './duty-desks.ts';
import type { AlertStep, Incident } from './incident.ts';

/**
 * The desks an alert step speaks to: the desks of the place at the step's levels, and the desks it names, less the
 * ones it leaves out (the desk that signed is not told that it signed). In the order of the ladder, lowest first.
 * @example stepDesks(step, incident, desks) // [米东村警务室, 米山镇派出所] for an opening that reaches two levels
 */
export function stepDesks(
  step: Pick<AlertStep, 'levels' | 'deskIds' | 'exceptDeskIds'>,
  incident: Pick<Incident, 'place'>,
  desks: readonly DutyDesk[],
): DutyDesk[] {
  const covering = desksCovering(desks, incident.place);
  const chosen = new Map<string, DutyDesk>();
  for (const level of step.levels) for (const desk of covering[level]) chosen.set(desk.id, desk);
  for (const id of step.deskIds) {
    const desk = desks.find((d) => d.id === id);
    if (desk) chosen.set(desk.id, desk);
  }
  for (const id of step.exceptDeskIds) chosen.delete(id);
  return [...chosen.values()];
}

/**
 * Who receives an alert step at `at`: on each of its desks the officers on duty (the step's roles only, when it
 * names roles), else the desk's standing numbers. A step for desk leads reaches them on or off shift — a lead
 * reminded at 03:00 is the point of the reminder — and the standing numbers only when the desk has no lead.
 * Each recipient once, in a stable order, so a retried step finds the same keys.
 */
export function stepRecipients(
  step: AlertStep,
  incident: Pick<Incident, 'place'>,
  desks: readonly DutyDesk[],
  at: Date,
  timeZone: string,
): Recipient[] {
  const targets = stepDesks(step, incident, desks);
  if (step.roles.length === 0) return recipientsOf(targets, at, timeZone);
  const recipients: Recipient[] = [];
  const seen = new Set<string>();
  for (const desk of targets) {
    const onDuty = recipientsOf([desk], at, timeZone, { roles: step.roles }).filter((r) => r.officerId);
    const leads =
      onDuty.length > 0
        ? onDuty
        : desk.officers
            .filter((o) => step.roles.includes(o.role))
            .map(
              (o): Recipient => ({
                key: `${desk.id}/${o.id}`,
                deskId: desk.id,
                officerId: o.id,
                role: o.role,
                channel: 'sms',
                address: o.mobile,
              }),
            );
    const chosen = leads.length > 0 ? leads : recipientsOf([{ ...desk, officers: [] }], at, timeZone);
    for (const r of chosen) {
      if (seen.has(r.key) || seen.has(r.address)) continue;
      seen.add(r.key);
      seen.add(r.address);
      recipients.push(r);
    }
  }
  return recipients;
}
