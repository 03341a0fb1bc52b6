/**
 * The compliance model (`bks.compliance/v1`): from org inventory results (`bks.scan/v1`) to the
 * standing answer "how many API keys, who holds them, how old, which phantoms linger, is it getting
 * better". Pure functions of their inputs (the clock is the scan's `generatedAt`), so the CLI, the
 * scheduled Lambda and the tests build the same report from the same data.
 *
 * - Posture findings come from a rule table (`POSTURE_RULES`); each carries a deterministic id
 *   (`findingId(affected account, resource, 'compliance-<rule>')`), a severity and the command that
 *   fixes it.
 * - Trend: given the previous report, findings are new, unchanged or resolved. A previous finding of
 *   an account that could not be read this time is **not** resolved (fail closed): it is carried
 *   forward as unverified until a successful read shows it gone.
 * - History: one point per report, the last `HISTORY_LIMIT` kept in the JSON.
 */
import type { Partition } from '../aws/partition';
import { UsageError } from '../errors';
import { findingId, type SeverityLabel } from '../findings/asff';
import { POSTURE_RULES, type RuleFacts, type RuleId, userRisks } from '../findings/posture';
import { isLiveCredential, neverExpires as neverExpiresAt } from '../inventory/classify';
import type { ScanResult } from '../inventory/scan';
import {
  type AccountScan,
  type CredentialInfo,
  type ScanUser,
  STATUS_ORDER,
  type UserStatus,
} from '../inventory/types';
import type { ServiceId } from '../services';

export const COMPLIANCE_SCHEMA = 'bks.compliance/v1';
export const SCAN_SCHEMA = 'bks.scan/v1';
/** History points kept in the JSON (a year of weekly reports). */
export const HISTORY_LIMIT = 52;
const DAY = 86_400_000;

export { POSTURE_RULES, type RuleId };

export interface PostureFinding {
  /** Deterministic: the same fact gets the same id in every run (and in Security Hub). */
  id: string;
  rule: RuleId;
  severity: SeverityLabel;
  accountId: string;
  /** The user's ARN, or the account for account-wide findings. */
  resource: string;
  userName?: string;
  service?: ServiceId;
  credentialId?: string;
  title: string;
  /** The command (or step) that fixes it: the targeted one. */
  fix: string;
  /** What the fix does and leaves alone (and what the broader command would break). */
  effect: string;
  /** First report that saw it (carried from the previous report). */
  firstSeen: string;
  /** Last report that actually observed it (older than `generatedAt` when unverified). */
  lastSeen: string;
  /** False when carried forward because its account could not be read this time. */
  verified: boolean;
}

export interface AgeBucket {
  label: string;
  /** Inclusive day bounds; `max` null = open-ended. */
  min: number;
  max: number | null;
  count: number;
}

export interface KeyRow {
  accountId: string;
  userName: string;
  service: ServiceId;
  credentialId: string;
  createdAt: string | null;
  ageDays: number | null;
  expiresAt: string | null;
}

export interface AccountRow {
  accountId: string;
  name?: string;
  status: 'ok' | 'error';
  error?: string;
  users: number;
  phantoms: number;
  byStatus: Record<UserStatus, number>;
  /** Credentials of the scanned services by state: live (active, unexpired), inactive, expired. */
  keys: { live: number; inactive: number; expired: number };
  findings: number;
}

export interface Totals {
  accounts: number;
  accountsFailed: number;
  users: number;
  phantoms: number;
  byStatus: Record<UserStatus, number>;
  keys: { live: number; inactive: number; expired: number };
  neverExpiring: number;
  ordinaryUserKeys: number;
  orphanedPhantoms: number;
  findings: number;
  bySeverity: Record<SeverityLabel, number>;
}

export interface HistoryPoint {
  generatedAt: string;
  accounts: number;
  accountsFailed: number;
  liveKeys: number;
  neverExpiring: number;
  ordinaryUserKeys: number;
  orphanedPhantoms: number;
  atRisk: number;
  unknown: number;
  findings: number;
}

export interface ResolvedFinding {
  id: string;
  rule: RuleId;
  severity: SeverityLabel;
  accountId: string;
  resource: string;
  title: string;
  firstSeen: string;
}

export interface Trend {
  previousGeneratedAt: string;
  new: string[];
  unchanged: string[];
  resolved: ResolvedFinding[];
  /** Previous findings of accounts that failed now: neither resolved nor confirmed. */
  unverified: string[];
}

export interface ComplianceReport {
  schema: typeof COMPLIANCE_SCHEMA;
  generatedAt: string;
  partition: Partition;
  services: ServiceId[];
  maxAgeDays: number | null;
  totals: Totals;
  accounts: AccountRow[];
  ageHistogram: AgeBucket[];
  neverExpiringKeys: KeyRow[];
  ordinaryUserKeys: KeyRow[];
  orphanedPhantoms: { accountId: string; userName: string; service: ServiceId; arn: string }[];
  failedAccounts: { accountId: string; name?: string; error: string }[];
  findings: PostureFinding[];
  /** The most urgent findings first, at most `TOP_RISKS`. */
  topRisks: PostureFinding[];
  trend: Trend | null;
  history: HistoryPoint[];
  /**
   * Steps of the scheduled workflow that failed (its map could not read the account list or write
   * its results, or too many accounts failed): the report is incomplete in the way `effect` says.
   */
  workflowErrors?: { step: string; error: string; effect: string }[];
}

export const TOP_RISKS = 10;

export const SEVERITY_RANK: Record<SeverityLabel, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
};

export interface BuildOptions {
  /** The previous report (its JSON), for the trend and the history. */
  previous?: ComplianceReport;
  /** Keys older than this are a finding (default: the scan's, or none). */
  maxAgeDays?: number;
}

const zeroStatus = () => Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<UserStatus, number>;

export const AGE_BUCKETS: readonly Omit<AgeBucket, 'count'>[] = [
  { label: '0–7 days', min: 0, max: 7 },
  { label: '8–30 days', min: 8, max: 30 },
  { label: '31–90 days', min: 31, max: 90 },
  { label: '91–180 days', min: 91, max: 180 },
  { label: '181–365 days', min: 181, max: 365 },
  { label: 'over a year', min: 366, max: null },
];

function ageDays(iso: string | null, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now - t) / DAY));
}

function neverExpires(cred: CredentialInfo, now: number): boolean {
  return neverExpiresAt(cred, new Date(now));
}

/**
 * Merges several scan results (e.g. one file per account or per OU) into one set of accounts: the
 * newest result of an account wins, accounts keep their first-seen order.
 */
export function mergeScans(scans: readonly ScanResult[]): {
  generatedAt: string;
  partition: Partition;
  services: ServiceId[];
  accounts: AccountScan[];
} {
  if (scans.length === 0) throw new UsageError('no scan results to report on');
  const byId = new Map<string, { at: string; scan: AccountScan }>();
  let generatedAt = '';
  const services = new Set<ServiceId>();
  for (const s of scans) {
    if (s.generatedAt > generatedAt) generatedAt = s.generatedAt;
    for (const id of s.services ?? []) services.add(id);
    for (const a of s.accounts) {
      const prev = byId.get(a.accountId);
      if (!prev || s.generatedAt >= prev.at) byId.set(a.accountId, { at: s.generatedAt, scan: a });
    }
  }
  const partitions = new Set(scans.map((s) => s.partition));
  if (partitions.size > 1) throw new UsageError(`scan results mix partitions: ${[...partitions].join(', ')}`);
  return {
    generatedAt,
    partition: scans[0]?.partition ?? 'aws',
    services: [...services],
    accounts: [...byId.values()].map((v) => v.scan),
  };
}

function finding(rule: RuleId, facts: RuleFacts, resource: string, key: string, at: string): PostureFinding {
  const r = POSTURE_RULES[rule];
  const f: PostureFinding = {
    id: findingId(facts.accountId, key, `compliance-${rule}`),
    rule,
    severity: r.severity,
    accountId: facts.accountId,
    resource,
    title: r.title(facts),
    fix: r.fix(facts),
    effect: r.effect(facts),
    firstSeen: at,
    lastSeen: at,
    verified: true,
  };
  if (facts.user) {
    f.userName = facts.user.userName;
    f.service = facts.user.service;
  }
  if (facts.credential) f.credentialId = facts.credential.id;
  return f;
}

/** The posture findings of one account's scan (pure; `now` = the report's time). */
export function accountFindings(a: AccountScan, now: number, maxAgeDays?: number): PostureFinding[] {
  const at = new Date(now).toISOString();
  const out: PostureFinding[] = [];
  if (a.status === 'error') {
    out.push(
      finding(
        'account-unreadable',
        { accountId: a.accountId, error: a.error },
        a.accountId,
        `account:${a.accountId}`,
        at,
      ),
    );
  }
  for (const user of a.users) {
    for (const risk of userRisks(user, new Date(now), maxAgeDays)) {
      const facts: RuleFacts = { accountId: a.accountId, user, maxAgeDays };
      let key = `${user.arn}#${user.service}`;
      if (risk.credential) {
        facts.credential = risk.credential;
        facts.ageDays = risk.ageDays;
        key = `${user.arn}#${risk.credential.id}`;
      }
      out.push(finding(risk.rule, facts, user.arn, key, at));
    }
  }
  return out;
}

export function bySeverity(a: PostureFinding, b: PostureFinding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    a.accountId.localeCompare(b.accountId) ||
    a.id.localeCompare(b.id)
  );
}

/**
 * The trend against the previous report (pure, table-tested): which findings are new, unchanged,
 * resolved — and which of the previous ones cannot be judged because their account failed now.
 * Returns the findings to carry (current + unverified previous ones) with `firstSeen` kept.
 */
export function computeTrend(
  current: readonly PostureFinding[],
  previous: readonly PostureFinding[] | undefined,
  failedAccounts: ReadonlySet<string>,
  previousGeneratedAt: string | undefined,
): { findings: PostureFinding[]; trend: Trend | null } {
  if (!previous || previousGeneratedAt === undefined) return { findings: [...current], trend: null };
  const prevById = new Map(previous.map((f) => [f.id, f]));
  const curIds = new Set(current.map((f) => f.id));
  const trend: Trend = { previousGeneratedAt, new: [], unchanged: [], resolved: [], unverified: [] };
  const findings: PostureFinding[] = current.map((f) => {
    const prev = prevById.get(f.id);
    if (!prev) {
      trend.new.push(f.id);
      return f;
    }
    trend.unchanged.push(f.id);
    const earliest = [prev.firstSeen, f.firstSeen].sort()[0] ?? f.firstSeen;
    return { ...f, firstSeen: earliest };
  });
  for (const prev of previous) {
    if (curIds.has(prev.id)) continue;
    // The account failed this time (its own unreadable finding aside): we cannot say it is fixed.
    if (failedAccounts.has(prev.accountId) && prev.rule !== 'account-unreadable') {
      trend.unverified.push(prev.id);
      findings.push({ ...prev, effect: prev.effect ?? '', verified: false });
      continue;
    }
    trend.resolved.push({
      id: prev.id,
      rule: prev.rule,
      severity: prev.severity,
      accountId: prev.accountId,
      resource: prev.resource,
      title: prev.title,
      firstSeen: prev.firstSeen,
    });
  }
  return { findings, trend };
}

/** Parses and checks a previous report's JSON (one-line UsageError when it is not one). */
export function parseComplianceReport(text: string, source = 'previous report'): ComplianceReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON`);
  }
  const d = doc as Partial<ComplianceReport>;
  if (!d || typeof d !== 'object' || d.schema !== COMPLIANCE_SCHEMA) {
    throw new UsageError(`${source} is not a ${COMPLIANCE_SCHEMA} document`);
  }
  if (!Array.isArray(d.findings) || !Array.isArray(d.history) || typeof d.generatedAt !== 'string') {
    throw new UsageError(`${source} lacks findings, history or generatedAt`);
  }
  return d as ComplianceReport;
}

/** Parses a saved `bks.scan/v1` document (one-line UsageError when it is not one). */
export function parseScanResult(text: string, source: string): ScanResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON`);
  }
  const d = doc as Partial<ScanResult> & { schema?: string };
  if (!d || typeof d !== 'object' || d.schema !== SCAN_SCHEMA) {
    throw new UsageError(`${source} is not a ${SCAN_SCHEMA} document`);
  }
  if (!Array.isArray(d.accounts) || typeof d.generatedAt !== 'string') {
    throw new UsageError(`${source} lacks accounts or generatedAt`);
  }
  for (const a of d.accounts) {
    if (!a || !/^\d{12}$|^unknown$/.test(String(a.accountId)) || !Array.isArray(a.users)) {
      throw new UsageError(`${source}: an account entry lacks accountId or users`);
    }
  }
  return d as ScanResult;
}

/** Builds the compliance report from the inventory of the organization's accounts. */
export function buildComplianceReport(
  input: {
    generatedAt: string;
    partition: Partition;
    services: ServiceId[];
    accounts: readonly AccountScan[];
  },
  opts: BuildOptions = {},
): ComplianceReport {
  const now = Date.parse(input.generatedAt);
  if (Number.isNaN(now)) throw new UsageError(`generatedAt "${input.generatedAt}" is not a time`);
  const maxAgeDays = opts.maxAgeDays;
  const histogram: AgeBucket[] = AGE_BUCKETS.map((b) => ({ ...b, count: 0 }));
  const totals: Totals = {
    accounts: input.accounts.length,
    accountsFailed: 0,
    users: 0,
    phantoms: 0,
    byStatus: zeroStatus(),
    keys: { live: 0, inactive: 0, expired: 0 },
    neverExpiring: 0,
    ordinaryUserKeys: 0,
    orphanedPhantoms: 0,
    findings: 0,
    bySeverity: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0 },
  };
  const tally: Tally = {
    totals,
    histogram,
    neverExpiringKeys: [],
    ordinaryUserKeys: [],
    orphanedPhantoms: [],
    failedAccounts: [],
  };
  const { neverExpiringKeys, ordinaryUserKeys, orphanedPhantoms, failedAccounts } = tally;
  const accounts: AccountRow[] = [];
  const current: PostureFinding[] = [];
  for (const a of input.accounts) {
    const row = tallyAccount(a, tally, now);
    const found = accountFindings(a, now, maxAgeDays);
    row.findings = found.length;
    current.push(...found);
    accounts.push(row);
  }

  const failed = new Set(failedAccounts.map((f) => f.accountId));
  const prev = opts.previous;
  const { findings, trend } = computeTrend(current, prev?.findings, failed, prev?.generatedAt);
  findings.sort(bySeverity);
  totals.findings = findings.length;
  for (const f of findings) totals.bySeverity[f.severity]++;
  const byAge = (x: KeyRow, y: KeyRow) =>
    (y.ageDays ?? -1) - (x.ageDays ?? -1) || x.accountId.localeCompare(y.accountId);
  neverExpiringKeys.sort(byAge);
  ordinaryUserKeys.sort(byAge);

  const point: HistoryPoint = {
    generatedAt: input.generatedAt,
    accounts: totals.accounts,
    accountsFailed: totals.accountsFailed,
    liveKeys: totals.keys.live,
    neverExpiring: totals.neverExpiring,
    ordinaryUserKeys: totals.ordinaryUserKeys,
    orphanedPhantoms: totals.orphanedPhantoms,
    atRisk: totals.byStatus.AT_RISK,
    unknown: totals.byStatus.UNKNOWN,
    findings: totals.findings,
  };
  return {
    schema: COMPLIANCE_SCHEMA,
    generatedAt: input.generatedAt,
    partition: input.partition,
    services: input.services,
    maxAgeDays: maxAgeDays ?? null,
    totals,
    accounts,
    ageHistogram: histogram,
    neverExpiringKeys,
    ordinaryUserKeys,
    orphanedPhantoms,
    failedAccounts,
    findings,
    topRisks: findings.filter((f) => f.verified).slice(0, TOP_RISKS),
    trend,
    history: appendHistory(prev?.history ?? [], point),
  };
}

/** What the accounts add up to, filled in account by account. */
interface Tally {
  totals: Totals;
  histogram: AgeBucket[];
  neverExpiringKeys: KeyRow[];
  ordinaryUserKeys: KeyRow[];
  orphanedPhantoms: ComplianceReport['orphanedPhantoms'];
  failedAccounts: ComplianceReport['failedAccounts'];
}

/** One account's row (findings still to count), its users and keys added to the tally. */
function tallyAccount(a: AccountScan, tally: Tally, now: number): AccountRow {
  const { totals } = tally;
  const row: AccountRow = {
    accountId: a.accountId,
    status: a.status,
    users: a.users.length,
    phantoms: 0,
    byStatus: zeroStatus(),
    keys: { live: 0, inactive: 0, expired: 0 },
    findings: 0,
  };
  if (a.name) row.name = a.name;
  if (a.status === 'error') {
    row.error = a.error ?? 'unknown error';
    totals.accountsFailed++;
    tally.failedAccounts.push({
      accountId: a.accountId,
      ...(a.name ? { name: a.name } : {}),
      error: row.error,
    });
  }
  for (const user of a.users) {
    totals.users++;
    row.byStatus[user.status]++;
    totals.byStatus[user.status]++;
    if (user.phantom) {
      row.phantoms++;
      totals.phantoms++;
    }
    if (user.status === 'ORPHANED' && user.phantom) {
      totals.orphanedPhantoms++;
      tally.orphanedPhantoms.push({
        accountId: a.accountId,
        userName: user.userName,
        service: user.service,
        arn: user.arn,
      });
    }
    for (const cred of user.credentials) tallyCredential(a.accountId, user, cred, row, tally, now);
  }
  return row;
}

/** One API key: live, inactive or expired; a live one by age, never-expiring, on an ordinary user. */
function tallyCredential(
  accountId: string,
  user: ScanUser,
  cred: CredentialInfo,
  row: AccountRow,
  tally: Tally,
  now: number,
): void {
  const live = isLiveCredential(cred, new Date(now));
  const expired =
    !live && (cred.status === 'Expired' || (cred.status === 'Active' && cred.expiresAt !== null));
  const bucket = live ? 'live' : expired ? 'expired' : 'inactive';
  row.keys[bucket]++;
  tally.totals.keys[bucket]++;
  if (!live) return;
  const age = ageDays(cred.createdAt, now);
  const keyRow: KeyRow = {
    accountId,
    userName: user.userName,
    service: user.service,
    credentialId: cred.id,
    createdAt: cred.createdAt,
    ageDays: age,
    expiresAt: cred.expiresAt,
  };
  if (age !== null) {
    const b = tally.histogram.find((h) => age >= h.min && (h.max === null || age <= h.max));
    if (b) b.count++;
  }
  if (neverExpires(cred, now)) {
    tally.totals.neverExpiring++;
    tally.neverExpiringKeys.push(keyRow);
  }
  if (!user.phantom) {
    tally.totals.ordinaryUserKeys++;
    tally.ordinaryUserKeys.push(keyRow);
  }
}

/** Adds a point (replacing one with the same time), oldest first, at most `HISTORY_LIMIT`. */
export function appendHistory(history: readonly HistoryPoint[], point: HistoryPoint): HistoryPoint[] {
  const kept = history.filter(
    (h) => h.generatedAt !== point.generatedAt && h.generatedAt < point.generatedAt,
  );
  return [...kept, point].slice(-HISTORY_LIMIT);
}

/** A one-paragraph summary (SNS notification, CLI stderr). */
export function summaryText(r: ComplianceReport): string {
  const t = r.totals;
  const lines = [
    `bks compliance report ${r.generatedAt}: ${t.accounts} accounts (${t.accountsFailed} failed), ` +
      `${t.keys.live} live API keys, ${t.neverExpiring} never expire, ${t.ordinaryUserKeys} on ordinary users, ` +
      `${t.orphanedPhantoms} orphaned phantoms, ${t.byStatus.AT_RISK} at risk, ${t.byStatus.UNKNOWN} unknown.`,
    `${t.findings} findings (${t.bySeverity.HIGH + t.bySeverity.CRITICAL} high)` +
      (r.trend
        ? `: ${r.trend.new.length} new, ${r.trend.resolved.length} resolved, ${r.trend.unchanged.length} unchanged` +
          (r.trend.unverified.length ? `, ${r.trend.unverified.length} unverified` : '')
        : '') +
      '.',
  ];
  if (r.failedAccounts.length > 0) {
    lines.push(`Failed accounts: ${r.failedAccounts.map((f) => f.accountId).join(', ')}.`);
  }
  for (const w of r.workflowErrors ?? [])
    lines.push(`INCOMPLETE: ${w.step} failed (${w.error}): ${w.effect}.`);
  return lines.join('\n');
}
