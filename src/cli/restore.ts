/** `bks restore RECORD`: undo a revoke, or recreate users deleted by cleanup, from a record or backup. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { DEFAULT_RECORD_DIR } from '../response/record';
import { type RestoreRunResult, restoreSourceAccount, runRestore } from '../response/restore-run';
import { type CommandContext, type CommonOptions, commonAction, EXIT, emit, renderJson } from './common';
import { addOrgRoleOptions, type OrgRoleFlags, withIdentityAccount } from './key-arg';
import type { RunAction } from './main';
import { type ChangeOptions, planGate } from './plan-gate';
import { outcomeLine, renderActions } from './revoke-key';

const SPEC = { formats: ['table', 'json'], aws: true } as const;
export const RESTORE_SCHEMA = 'bks.restore/v1';

function renderRestoreTable(r: RestoreRunResult, ctx: CommandContext): string {
  return `restore from ${r.source} (${r.kind}, account ${r.accountId})\n\n${renderActions(r.actions, ctx)}\n\n${outcomeLine(r.outcome, r.record)}`;
}

export async function restoreCommand(
  source: string,
  flags: CommonOptions & ChangeOptions & OrgRoleFlags,
  ctx: CommandContext,
): Promise<number> {
  if (flags.dryRun && flags.yes) throw new UsageError('--dry-run and --yes contradict each other');
  const account = restoreSourceAccount(source);
  return withIdentityAccount(ctx, flags, account, { command: 'restore', what: 'the record' }, async (aws) => {
    const result = await runRestore(aws, source, {
      gate: planGate(ctx, flags, 'Apply this restore plan?'),
      recordDir: flags.recordDir ?? DEFAULT_RECORD_DIR,
    });
    emit(
      result,
      {
        table: renderRestoreTable,
        json: (r) =>
          renderJson(RESTORE_SCHEMA, {
            source: r.source,
            kind: r.kind,
            accountId: r.accountId,
            outcome: r.outcome,
            actions: r.actions,
            record: r.record ?? null,
          }),
      },
      ctx,
    );
    return result.outcome === 'failed' ? EXIT.FAILURE : EXIT.OK;
  });
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('restore')
    .description(
      'undo a revoke-key (from its record) or recreate users deleted by cleanup (from a backup or the cleanup record)',
    )
    .argument('<RECORD>', 'a revoke-key or cleanup record (./bks-records/…) or a backup (./bks-backups/…)')
    .option('--dry-run', 'print the plan and stop')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--record-dir <dir>', 'where the restore’s own record goes', DEFAULT_RECORD_DIR);
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, restoreCommand);
}
