/**
 * A whole `bks scan` run: the caller's account, or every selected account of the organization
 * (each through AssumeRole, the caller's own account with its own credentials), in isolation.
 */
import {
  type AccountOutcome,
  type AwsContext,
  describeAwsError,
  listOrgAccounts,
  mapAccounts,
  type OrgAccount,
  type Partition,
  selectAccounts,
} from '../aws';
import type { ServiceId } from '../services';
import { type CollectOptions, collectAccount } from './collect';
import { type AccountScan, STATUS_ORDER, type UserStatus } from './types';

export interface ScanOptions extends Omit<CollectOptions, 'accountId'> {
  org?: boolean;
  /** Role assumed in member accounts (default OrganizationAccountAccessRole). */
  orgRole?: string;
  externalId?: string;
  accounts?: readonly string[];
  skipAccounts?: readonly string[];
  /** Accounts scanned at once (default 8). */
  accountConcurrency?: number;
  onProgress?: (done: number, total: number, account: AccountScan) => void;
}

export interface ScanSummary {
  accounts: number;
  accountsFailed: number;
  users: number;
  phantoms: number;
  byStatus: Record<UserStatus, number>;
  /** API calls made by the run (every attempt, retries included). */
  apiCalls: number;
}

export interface ScanResult {
  generatedAt: string;
  partition: Partition;
  services: ServiceId[];
  accounts: AccountScan[];
  summary: ScanSummary;
}

export const DEFAULT_ORG_ROLE = 'OrganizationAccountAccessRole';

export function summarize(accounts: readonly AccountScan[], apiCalls: number): ScanSummary {
  const byStatus = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<UserStatus, number>;
  let users = 0;
  let phantoms = 0;
  for (const a of accounts) {
    for (const u of a.users) {
      users++;
      if (u.phantom) phantoms++;
      byStatus[u.status]++;
    }
  }
  return {
    accounts: accounts.length,
    accountsFailed: accounts.filter((a) => a.status === 'error').length,
    users,
    phantoms,
    byStatus,
    apiCalls,
  };
}

export async function scanInventory(aws: AwsContext, opts: ScanOptions): Promise<ScanResult> {
  const started = opts.now ?? new Date();
  const collect: CollectOptions = { ...opts, now: started };
  let accounts: AccountScan[];
  if (!opts.org) {
    let accountId: string | undefined;
    try {
      accountId = (await aws.identity()).accountId;
      accounts = [await collectAccount(aws, { ...collect, accountId })];
    } catch (err) {
      accounts = [
        { accountId: accountId ?? 'unknown', status: 'error', error: describeAwsError(err), users: [] },
      ];
    }
    const first = accounts[0];
    if (first) opts.onProgress?.(1, 1, first);
  } else {
    const all: OrgAccount[] = await listOrgAccounts(aws);
    const selected = selectAccounts(all, { include: opts.accounts, skip: opts.skipAccounts });
    const names = new Map(all.map((a) => [a.id, a.name]));
    const toScan = (o: AccountOutcome<AccountScan>): AccountScan => {
      const scan: AccountScan = o.ok
        ? o.value
        : { accountId: o.accountId, status: 'error', error: o.error, users: [] };
      const name = names.get(o.accountId);
      return name && !scan.name ? { ...scan, name } : scan;
    };
    const outcomes = await mapAccounts(
      aws,
      selected.map((a) => a.id),
      (ctx, accountId) => collectAccount(ctx, { ...collect, accountId }),
      {
        role: opts.orgRole ?? DEFAULT_ORG_ROLE,
        externalId: opts.externalId,
        command: 'scan',
        concurrency: opts.accountConcurrency,
        onProgress: (done, total, o) =>
          opts.onProgress?.(done, total, toScan(o as AccountOutcome<AccountScan>)),
      },
    );
    accounts = outcomes.map(toScan);
  }
  return {
    generatedAt: started.toISOString(),
    partition: aws.partition,
    services: opts.services.map((s) => s.id),
    accounts,
    summary: summarize(accounts, aws.calls.total),
  };
}
