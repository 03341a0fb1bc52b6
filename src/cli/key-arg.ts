/**
 * A KEY argument of `revoke-key`, `timeline` and `report` may be `-`: the key is then read from the
 * first non-empty line of stdin, so it never appears in the process list or the shell history
 * (`bks revoke-key - -y < leaked.txt`).
 */
import { GetAccessKeyInfoCommand } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { type AwsContext, describeAwsError, reachAccount } from '../aws';
import { DEFAULT_ORG_ROLE } from '../aws/org';
import { AwsFailure, UsageError } from '../errors';
import { decodeKey } from '../keys';
import { ACCESS_KEY_ID_PATTERN } from '../keys/accountId';
import { looksLikeKey } from '../response/target';
import type { CommandContext } from './common';
import { withAws } from './with-aws';

export async function resolveKeyArg(
  arg: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  if (arg !== '-') return arg;
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  const line = Buffer.concat(chunks)
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (!line) throw new UsageError('no key on stdin (the argument "-" reads one key from stdin)');
  return line;
}

/**
 * The account an identity argument lives in, decoded offline: an API key's account (long-term: the
 * alias; short-term: its access key id). Undefined for a user name (the caller's account) and for an
 * access key id (`identityAccountOf` asks STS).
 */
export function keyAccountOf(text: string): string | undefined {
  if (!looksLikeKey(text)) return undefined;
  try {
    return decodeKey(text).accountId;
  } catch {
    return undefined; // the command's own parsing reports the bad key (exit 2)
  }
}

/** An identity's account: known offline, asked of AWS with the caller's credentials, or the caller's. */
export type IdentityAccount = string | undefined | ((caller: AwsContext) => Promise<string>);

/**
 * The account of any identity argument: an API key's (decoded offline), an access key id's (as
 * `sts:GetAccessKeyInfo` answers: authoritative, legacy ids too), or undefined for a user name (the
 * caller's account). A timeline of another account's access key searched in the caller's account
 * would find nothing and say so: a lie this prevents.
 */
export function identityAccountOf(text: string): IdentityAccount {
  const fromKey = keyAccountOf(text);
  if (fromKey) return fromKey;
  const id = text.trim();
  if (!ACCESS_KEY_ID_PATTERN.test(id)) return undefined;
  return async (caller) => {
    try {
      const got = await caller.sts().send(new GetAccessKeyInfoCommand({ AccessKeyId: id }));
      if (got.Account) return got.Account;
      throw new Error('no account in the answer');
    } catch (err) {
      throw new AwsFailure(
        `cannot tell which account access key ${id} belongs to (sts:GetAccessKeyInfo: ${describeAwsError(err)}): allow that call, or run with credentials for its account`,
      );
    }
  };
}

export interface OrgRoleFlags {
  orgRole?: string;
  externalId?: string;
}

/** `--org-role` and `--external-id` of the commands that read one identity. */
export function addOrgRoleOptions(cmd: Command): Command {
  return cmd
    .option(
      '--org-role <name>',
      `role assumed into the identity's account when it is not the caller's (from the management or security account)`,
      DEFAULT_ORG_ROLE,
    )
    .option('--external-id <id>', 'ExternalId for --org-role');
}

/**
 * Runs `fn` with a context in `accountId` (the caller's, or `--org-role` assumed into it, said on
 * stderr; exit 3 naming both accounts when neither works) and the caller's own context. Both are
 * closed afterwards.
 */
export async function withIdentityAccount<T>(
  ctx: CommandContext,
  flags: OrgRoleFlags,
  account: IdentityAccount,
  opts: { command: string; what?: string },
  fn: (aws: AwsContext, caller: AwsContext) => Promise<T>,
): Promise<T> {
  return withAws(ctx, async (caller) => {
    const accountId = typeof account === 'function' ? await account(caller) : account;
    const aws = await reachAccount(caller, accountId, {
      role: flags.orgRole,
      externalId: flags.externalId,
      command: opts.command,
      what: opts.what,
      say: (m) => ctx.warn(m),
    });
    try {
      return await fn(aws, caller);
    } finally {
      if (aws !== caller) aws.destroy();
    }
  });
}
