/**
 * Organization iteration: list the member accounts (by `State`; the `Status` field was retired on
 * 2026-09-09 and is read only when `State` is absent), then run a task in each account with
 * bounded concurrency and per-account isolation. The caller's own account is used with the
 * caller's credentials; every other account through `sts:AssumeRole`.
 */
import { paginateListAccounts } from '@aws-sdk/client-organizations';
import { AwsFailure } from '../errors';
import { mapLimit } from './concurrency';
import type { AwsContext } from './context';
import { describeAwsError } from './errors';

export interface OrgAccount {
  id: string;
  name?: string;
  /** `ACTIVE`, `SUSPENDED`, … (from `State`, or from `Status` when `State` is absent). */
  state: string;
}

interface RawAccount {
  Id?: string;
  Name?: string;
  State?: string;
  Status?: string;
}

/** True when an account from `ListAccounts` is active: `State` first, `Status` only as a fallback. */
export function isActiveAccount(account: RawAccount): boolean {
  const state = account.State ?? account.Status;
  return state === 'ACTIVE';
}

/** Every account of the organization (one call per page of 20). */
export async function listOrgAccounts(aws: AwsContext): Promise<OrgAccount[]> {
  const out: OrgAccount[] = [];
  for await (const page of paginateListAccounts({ client: aws.organizations() }, {})) {
    for (const a of (page.Accounts ?? []) as RawAccount[]) {
      if (!a.Id) continue;
      out.push({ id: a.Id, name: a.Name, state: a.State ?? a.Status ?? 'UNKNOWN' });
    }
  }
  return out;
}

/** The active accounts to visit, after `--accounts` and `--skip-accounts`. */
export function selectAccounts(
  accounts: readonly OrgAccount[],
  opts: { include?: readonly string[]; skip?: readonly string[] } = {},
): OrgAccount[] {
  const include = opts.include ? new Set(opts.include) : undefined;
  const skip = new Set(opts.skip ?? []);
  return accounts.filter((a) => a.state === 'ACTIVE' && (!include || include.has(a.id)) && !skip.has(a.id));
}

export type AccountOutcome<R> =
  | { accountId: string; ok: true; value: R }
  | { accountId: string; ok: false; error: string; stage: 'assume-role' | 'run' };

export interface MapAccountsOptions {
  /** Role assumed in every account but the caller's own. */
  role: string;
  externalId?: string;
  /** Names the session: `bks-<command>-<timestamp>`. */
  command: string;
  /** Accounts in flight at once (default 8). */
  concurrency?: number;
  /** Called after each account, for progress bars. */
  onProgress?: (done: number, total: number, outcome: AccountOutcome<unknown>) => void;
}

/**
 * Runs `fn` in each account. A failure (AssumeRole refused, or `fn` throwing) is that account's
 * outcome and never stops the others. Results keep the input order.
 */
export async function mapAccounts<R>(
  aws: AwsContext,
  accountIds: readonly string[],
  fn: (ctx: AwsContext, accountId: string) => Promise<R>,
  opts: MapAccountsOptions,
): Promise<AccountOutcome<R>[]> {
  const self = (await aws.identity()).accountId;
  let done = 0;
  return mapLimit(accountIds, opts.concurrency ?? 8, async (accountId) => {
    const outcome = await runInAccount(aws, self, accountId, fn, opts);
    done++;
    opts.onProgress?.(done, accountIds.length, outcome);
    return outcome;
  });
}

/**
 * Runs `fn` in one account: the caller's own context for its own account, else a session of
 * `opts.role` there (destroyed afterwards). An AssumeRole refusal or `fn` throwing is the outcome.
 */
export async function runInAccount<R>(
  aws: AwsContext,
  self: string,
  accountId: string,
  fn: (ctx: AwsContext, accountId: string) => Promise<R>,
  opts: Pick<MapAccountsOptions, 'role' | 'externalId' | 'command'>,
): Promise<AccountOutcome<R>> {
  let ctx: AwsContext;
  try {
    ctx =
      accountId === self
        ? aws
        : await aws.forAccount(accountId, {
            role: opts.role,
            externalId: opts.externalId,
            command: opts.command,
          });
  } catch (err) {
    return {
      accountId,
      ok: false,
      stage: 'assume-role',
      error: `could not assume ${opts.role}: ${describeAwsError(err)}`,
    };
  }
  try {
    return { accountId, ok: true, value: await fn(ctx, accountId) };
  } catch (err) {
    return { accountId, ok: false, stage: 'run', error: describeAwsError(err) };
  } finally {
    if (ctx !== aws) ctx.destroy();
  }
}

/** The default of `--org-role` (the role AWS Organizations creates in every account it creates). */
export const DEFAULT_ORG_ROLE = 'OrganizationAccountAccessRole';

export interface ReachOptions {
  /** `--org-role`: role name (or ARN) assumed into the target account. */
  role?: string;
  externalId?: string;
  /** Names the session (`bks-<command>-<timestamp>`). */
  command: string;
  /** What is in that account, for the messages (`the key`, `the record`). */
  what?: string;
  /** Announces the switch (stderr; shown even without a terminal). */
  say: (message: string) => void;
}

/**
 * A context in `accountId`, where one identity lives (a key's account is decoded offline): the
 * caller's own context when it is that account, else `role` assumed into it (announced through
 * `say`). When the role cannot be assumed the run stops (exit 3) naming both accounts and the ways
 * to get there — never a context that would read the wrong account and answer "nothing found".
 */
export async function reachAccount(
  aws: AwsContext,
  accountId: string | undefined,
  opts: ReachOptions,
): Promise<AwsContext> {
  const self = (await aws.identity()).accountId;
  if (!accountId || accountId === self) return aws;
  const role = opts.role ?? DEFAULT_ORG_ROLE;
  const what = opts.what ?? 'the key';
  try {
    const ctx = await aws.forAccount(accountId, {
      role,
      externalId: opts.externalId,
      command: opts.command,
    });
    opts.say(
      `${what}'s account ${accountId} is not the caller's (${self}): assumed ${role} into ${accountId}`,
    );
    return ctx;
  } catch (err) {
    throw new AwsFailure(
      (names) =>
        `${what} belongs to account ${accountId} but the credentials in use are for account ${self}, and ${role} could not be assumed into ${accountId} (${describeAwsError(err)}): run with credentials for account ${accountId} (${names('profile')}), or from the organization's management or security account with ${names('orgRole')} ROLE (a role in ${accountId} that trusts it)`,
    );
  }
}
