/** The result of `bks coverage` (JSON `bks.coverage/v1`). */

/**
 * `ok`: the control is in place, as read. `missing`: it is not. `partial`: part of it is (the
 * detail says which part is not). `unknown`: a read was refused or failed — never ok on missing
 * knowledge. `not-checkable`: the API cannot express the control (the detail says why).
 */
export type CoverageStatus = 'ok' | 'missing' | 'partial' | 'unknown' | 'not-checkable';

export const STATUSES: readonly CoverageStatus[] = ['ok', 'missing', 'partial', 'unknown', 'not-checkable'];

export interface CoverageCheck {
  /** The region the control was read in; `global` for account-wide controls (SCPs). */
  region: string;
  control: string;
  status: CoverageStatus;
  /** The evidence: what was read (or why it could not be). */
  detail: string;
  /** What to do; empty when the status is ok. */
  fix: string;
}

export interface AccountCoverage {
  accountId: string;
  /** The worst status of its checks (`unknown` when the account could not be read at all). */
  status: CoverageStatus;
  /** Why the account could not be read (AssumeRole refused, …). */
  error?: string;
  checks: CoverageCheck[];
}

export interface CoverageSummary {
  accounts: number;
  regions: string[];
  checks: number;
  ok: number;
  missing: number;
  partial: number;
  unknown: number;
  notCheckable: number;
  /** Accounts that could not be read at all. */
  unreadableAccounts: number;
}

export interface CoverageReport {
  schema: 'bks.coverage/v1';
  generatedAt: string;
  /** Where the pipeline is expected: the security account, its home region and the name prefix. */
  pipeline: { securityAccount: string; homeRegion: string; namePrefix: string };
  accounts: AccountCoverage[];
  summary: CoverageSummary;
}

/** Worse first: an account's status is the worst of its checks. */
const RANK: Record<CoverageStatus, number> = { unknown: 4, missing: 3, partial: 2, 'not-checkable': 1, ok: 0 };

export function worst(statuses: readonly CoverageStatus[]): CoverageStatus {
  let out: CoverageStatus = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}

export function summarize(accounts: readonly AccountCoverage[]): CoverageSummary {
  const checks = accounts.flatMap((a) => a.checks);
  const count = (s: CoverageStatus) => checks.filter((c) => c.status === s).length;
  return {
    accounts: accounts.length,
    regions: [...new Set(checks.map((c) => c.region).filter((r) => r !== 'global'))].sort(),
    checks: checks.length,
    ok: count('ok'),
    missing: count('missing'),
    partial: count('partial'),
    unknown: count('unknown'),
    notCheckable: count('not-checkable'),
    unreadableAccounts: accounts.filter((a) => a.error !== undefined).length,
  };
}

/** Exit code: 3 any unknown or unreadable account, else 1 any missing or partial, else 0. */
export function coverageExitCode(report: CoverageReport): 0 | 1 | 3 {
  const s = report.summary;
  if (s.unknown > 0 || s.unreadableAccounts > 0) return 3;
  if (s.missing > 0 || s.partial > 0) return 1;
  return 0;
}
