/**
 * Severity levels, 1 is the most severe (as in GB/T 28181 AlarmPriority and Chinese emergency grading).
 */
export const SEVERITIES = [1, 2, 3, 4] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Short Chinese labels used in SMS text: 特急 / 紧急 / 重要 / 一般. */
export const severityLabel: Record<Severity, string> = { 1: '特急', 2: '紧急', 3: '重要', 4: '一般' };

/** English names used in logs, message attributes for humans and the JSON alert. */
export const severityName: Record<Severity, string> = { 1: 'critical', 2: 'high', 3: 'medium', 4: 'low' };

/** Raises a severity by `steps` levels, never past level 1. */
export function raiseSeverity(severity: Severity, steps: number): Severity {
  return Math.max(1, severity - steps) as Severity;
}
