/** `bks cleanup`: delete orphaned phantom users, planned, backed up, re-checked and recorded. */
import type { Command } from 'commander';
import { openAws } from '../aws';
import { UsageError } from '../errors';
import { type CleanupRunResult, DEFAULT_BACKUP_DIR, runCleanup } from '../response/cleanup-run';
import { DEFAULT_RECORD_DIR } from '../response/record';
import { selectServices } from '../services';
import {
  addCommonOptions,
  type CommandContext,
  type CommonOptions,
  EXIT,
  emit,
  makeContext,
  parseIntFlag,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';
import { type ChangeOptions, planGate } from './plan-gate';
import { outcomeLine } from './revoke-key';

const SPEC = { formats: ['table', 'json'], aws: true } as const;
export const CLEANUP_SCHEMA = 'bks.cleanup/v1';

interface CleanupFlags extends CommonOptions, ChangeOptions {
  service?: string;
  olderThan?: string;
  exclude?: string;
  backupDir?: string;
}

function renderCleanupTable(r: CleanupRunResult, ctx: CommandContext): string {
  const rows: string[][] = [];
  const planned = r.outcome === 'dry-run' || r.outcome === 'declined';
  if (planned)
    for (const p of r.planned)
      rows.push([
        p.userName,
        ctx.style.yellow('planned'),
        `${p.steps} call(s)${p.resumedFrom ? ' (resuming an interrupted cleanup)' : ''}`,
      ]);
  for (const d of r.deleted) rows.push([d.userName, ctx.style.green('deleted'), `backup ${d.backup}`]);
  for (const f of r.failed)
    rows.push([f.userName, ctx.style.red('failed'), `${f.error}; remaining: ${f.remaining.join(', ')}`]);
  for (const s of r.skipped) rows.push([s.userName, ctx.style.dim('skipped'), s.reason]);
  const body = rows.length > 0 ? renderTable(['user', 'outcome', 'detail'], rows) : 'no phantom user found';
  return `cleanup (account ${r.accountId})\n\n${body}\n\n${outcomeLine(r.outcome, r.record)}`;
}

export async function cleanupCommand(flags: CleanupFlags, ctx: CommandContext): Promise<number> {
  if (flags.dryRun && flags.yes) throw new UsageError('--dry-run and --yes contradict each other');
  let services: ReturnType<typeof selectServices>;
  try {
    services = selectServices(flags.service);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const olderThanDays = parseIntFlag('--older-than', flags.olderThan, 0, 36600);
  const exclude = flags.exclude
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of exclude ?? []) {
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw new UsageError(`--exclude: "${name}" is not an IAM user name`);
  }
  const aws = await openAws({
    profile: ctx.aws.profile,
    region: ctx.aws.region,
    endpointUrl: ctx.aws.endpointUrl,
  });
  try {
    const result = await runCleanup(aws, {
      services,
      olderThanDays,
      exclude,
      backupDir: flags.backupDir ?? DEFAULT_BACKUP_DIR,
      recordDir: flags.recordDir ?? DEFAULT_RECORD_DIR,
      gate: planGate(
        ctx,
        flags,
        'Delete these users? Deletion cannot be undone (a backup of each is written first).',
      ),
    });
    emit(
      result,
      {
        table: renderCleanupTable,
        json: (r) =>
          renderJson(CLEANUP_SCHEMA, {
            accountId: r.accountId,
            outcome: r.outcome,
            planned: r.planned,
            deleted: r.deleted,
            skipped: r.skipped,
            failed: r.failed,
            record: r.record ?? null,
          }),
      },
      ctx,
    );
    return result.failed.length > 0 ? EXIT.FAILURE : EXIT.OK;
  } finally {
    aws.destroy();
  }
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('cleanup')
    .description(
      'delete orphaned phantom API-key users (fully read, re-checked right before deletion, backed up first)',
    )
    .option('--service <id>', 'bedrock, claude-platform or all', 'all')
    .option('--older-than <days>', 'only users created more than DAYS days ago')
    .option('--exclude <users>', 'comma-separated user names never to delete')
    .option('--backup-dir <dir>', 'where each user’s backup goes (mode 0600)', DEFAULT_BACKUP_DIR)
    .option(
      '--record-dir <dir>',
      'where the JSON record goes (and where an interrupted run is resumed from)',
      DEFAULT_RECORD_DIR,
    )
    .option('--dry-run', 'print the plan and stop')
    .option('-y, --yes', 'do not ask for confirmation');
  addCommonOptions(cmd, SPEC);
  cmd.action(run(async (flags: CleanupFlags) => cleanupCommand(flags, makeContext(flags, SPEC))));
}
