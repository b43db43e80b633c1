import { readFileSync } from 'node:fs';
import { type DutyDesk, DutyDeskList } from '../shared/domain/duty-desks.ts';

/** Reads the duty desks file; throws a message naming the file and each invalid field (never the values). */
export function loadDesks(file: string): DutyDesk[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`desks file ${file} cannot be read as JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = DutyDeskList.safeParse(json);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `[${issue.path.join('.')}] ${issue.message}`);
  throw new Error(`desks file ${file} is invalid: ${lines.join('; ')}`);
}
