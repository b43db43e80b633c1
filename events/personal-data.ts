import * as z from 'zod';

/**
 * Field names that hold personal data anywhere in an event, and their kind. Every output path (SMS, push, logs,
 * errors, stored timelines) masks values under these keys; the schemas below are the only way to declare them,
 * so the list and the schemas cannot drift. Keys other systems use (`userName`, `姓名`, `mobileNo` …) are masked
 * by the field-name rule of `maskPersonalData` (shared/domain/personal-data-masking.ts).
 */
export const PERSONAL_FIELDS = {
  fullName: 'name',
  idNumber: 'id-number',
  phone: 'phone',
} as const;
export type PersonalDataKind = (typeof PERSONAL_FIELDS)[keyof typeof PERSONAL_FIELDS];

const marked = <T extends z.ZodType>(schema: T, kind: PersonalDataKind, description: string) =>
  schema.meta({ description, 'x-personal-data': kind });

/** ISO 7064 mod 11-2 check character of a resident ID number's first 17 digits. */
export function residentIdCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (weights[i] as number);
  return '10X98765432'[sum % 11] as string;
}

/** An 18-character resident ID number with a valid check character. */
export const ResidentIdNumber = marked(
  z
    .string()
    .regex(/^\d{17}[\dX]$/, { error: 'must be an 18-character resident ID number (17 digits and a digit or X)' })
    .refine((id) => residentIdCheckChar(id.slice(0, 17)) === id[17], { error: 'has a wrong check character' }),
  'id-number',
  'Resident ID number (personal data: masked on every output)',
);

/** A mainland mobile number, 11 digits starting 1[3-9]; an optional +86 is accepted and dropped. */
export const MobileNumber = marked(
  z
    .string()
    .transform((s) => s.replace(/^\+86/, ''))
    .pipe(z.string().regex(/^1[3-9]\d{9}$/, { error: 'must be an 11-digit mainland mobile number' })),
  'phone',
  'Mobile number (personal data: masked on every output)',
);

export const FullName = marked(z.string().min(1).max(40), 'name', 'Full name (personal data: masked on every output)');

/** A person named by a café system or patrol app; every identifying field is personal data. */
export const Person = z.object({
  fullName: FullName.optional(),
  idNumber: ResidentIdNumber.optional(),
  phone: MobileNumber.optional(),
  age: z.number().int().min(0).max(130).optional(),
});
export type Person = z.infer<typeof Person>;
