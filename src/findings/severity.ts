/**
 * Severity: the ASFF labels (AWS Security Finding Format, `Severity.Label`), the one scale every
 * part of the toolkit uses — detection rules, pipeline incidents, findings and `--fail-on`.
 */

/** Highest first (the order tables and help texts list them in). */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}

/** 5 for CRITICAL down to 1 for INFORMATIONAL: compare with `>=` for "at or above". */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}
