/**
 * `bks revoke-key USER|KEY`: emergency containment, planned from fresh state and recorded so that
 * `bks restore` can undo it. See src/response/revoke.ts for what is planned and why.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import type { Action } from '../response/act';
import { DEFAULT_RECORD_DIR } from '../response/record';
import { type RevokeRunResult, runRevoke } from '../response/revoke-run';
import { parseRevokeTarget } from '../response/target';
import { selectServices } from '../services';
import { type CommandContext, type CommonOptions, commonAction, renderTable } from './common';
import { FLAG_NAMES } from './flags';
import { addOrgRoleOptions, type OrgRoleFlags, resolveKeyArg, withIdentityAccount } from './key-arg';
import type { RunAction } from './main';
import { addChangeOptions, type ChangeOptions, emitActResult, planGate } from './plan-gate';

const SPEC = { formats: ['table', 'json'], aws: true } as const;
export const REVOKE_SCHEMA = 'bks.revoke-key/v1';

interface RevokeFlags extends CommonOptions, ChangeOptions, OrgRoleFlags {
  allKeys?: boolean;
  delete?: boolean;
  force?: boolean;
  service?: string;
  credential?: string;
}

const CREDENTIAL_ID = /^(ACCA|AKIA)[A-Z0-9]{12,124}$/;

/** `--credential ID,…`: API key ids (ACCA…) or IAM access key ids (AKIA…), with a USER argument. */
function parseCredentialIds(value: string | undefined, kind: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (kind !== 'user')
    throw new UsageError('--credential applies to a USER argument only (a key names its own credential)');
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.find((id) => !CREDENTIAL_ID.test(id));
  if (ids.length === 0 || bad !== undefined)
    throw new UsageError(
      `--credential: expected API key ids (ACCA…) or access key ids (AKIA…), comma-separated${bad ? `; got "${bad}"` : ''}`,
    );
  return ids;
}

export function statusStyle(status: Action['status'], ctx: CommandContext): string {
  if (status === 'done') return ctx.style.green(status);
  if (status === 'failed' || status === 'refused') return ctx.style.red(status);
  if (status === 'not-run' || status === 'planned') return ctx.style.yellow(status);
  return ctx.style.dim(status);
}

export function renderActions(actions: Action[], ctx: CommandContext): string {
  return renderTable(
    ['action', 'target', 'status', 'detail'],
    actions.map((a) => [a.action, a.target, statusStyle(a.status, ctx), a.error ?? a.reason ?? '']),
  );
}

export function outcomeLine(outcome: string, record: string | undefined): string {
  const what: Record<string, string> = {
    'nothing-to-do': 'nothing to change: already in the wanted state (no record written)',
    'dry-run': 'dry run: nothing was changed',
    declined: 'not confirmed: nothing was changed',
    completed: 'done',
    failed: 'some calls failed: see the record for what was done and what remains',
  };
  return `${what[outcome] ?? outcome}${record ? `\nrecord: ${record}` : ''}`;
}

function renderTableResult(r: RevokeRunResult, ctx: CommandContext): string {
  const head = `revoke-key ${r.target} (${r.kind}, account ${r.accountId})${r.signer?.arn ? `\nsigner: ${r.signer.arn}` : ''}`;
  return `${head}\n\n${renderActions(r.actions, ctx)}\n\n${outcomeLine(r.outcome, r.record)}`;
}

export async function revokeKeyCommand(
  rawArg: string,
  flags: RevokeFlags,
  ctx: CommandContext,
): Promise<number> {
  const arg = await resolveKeyArg(rawArg, (flags as { stdin?: NodeJS.ReadableStream }).stdin);
  if (flags.dryRun && flags.yes) throw new UsageError('--dry-run and --yes contradict each other');
  const target = parseRevokeTarget(arg);
  const services = flags.service ? selectServices(flags.service) : undefined;
  if (flags.service && target.kind !== 'user')
    throw new UsageError('--service applies to a USER argument only (a key names its service)');
  const credentialIds = parseCredentialIds(flags.credential, target.kind);
  if (credentialIds && (flags.allKeys || flags.service))
    throw new UsageError(
      '--credential names exactly what to revoke: it cannot be combined with --all-keys or --service',
    );
  const keyAccount = target.kind === 'user' ? undefined : target.accountId;
  return withIdentityAccount(ctx, flags, keyAccount, { command: 'revoke-key' }, async (aws) => {
    const result = await runRevoke(aws, target, {
      allKeys: flags.allKeys,
      delete: flags.delete,
      force: flags.force,
      credentialIds,
      services,
      names: FLAG_NAMES,
      recordDir: flags.recordDir ?? DEFAULT_RECORD_DIR,
      gate: planGate(
        ctx,
        flags,
        flags.delete ? 'Apply this plan? Deletions cannot be undone.' : 'Apply this plan?',
      ),
    });
    return emitActResult(result, ctx, {
      table: renderTableResult,
      schema: REVOKE_SCHEMA,
      head: (r) => ({ target: r.target }),
      extra: (r) => (r.signer ? { signer: r.signer } : {}),
    });
  });
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('revoke-key')
    .description(
      'contain a leaked key: deactivate that credential (its sibling keeps working) and a phantom’s access keys; short-term keys: deny the signer’s sessions issued before now',
    )
    .argument(
      '<USER|KEY>',
      'an API key (long- or short-term; "-" reads it from stdin, out of the process list and shell history) or an IAM user name (= every key of that user, as with --all-keys)',
    )
    .option(
      '--all-keys',
      'every credential of the user, plus the inline deny policy bks-revoke-deny over the service namespaces',
    )
    .option('--delete', 'delete instead of deactivate (IRREVERSIBLE: restore cannot bring keys back)')
    .option(
      '--force',
      'act on a non-phantom user, an SSO role or the caller itself (never on an account it cannot reach)',
    )
    .option('--service <id>', 'with a USER argument: bedrock, claude-platform or all (default all)')
    .option(
      '--credential <ids>',
      'with a USER argument: only these API keys (ACCA…) or access keys (AKIA…), comma-separated — no other key, no deny policy',
    );
  addChangeOptions(cmd, 'where the JSON record goes');
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, revokeKeyCommand);
}
