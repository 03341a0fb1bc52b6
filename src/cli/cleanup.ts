/** `bks cleanup`: delete orphaned phantom users, planned, backed up, re-checked and recorded. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { type CleanupRunResult, DEFAULT_BACKUP_DIR, runCleanup } from '../response/cleanup-run';
import { DEFAULT_RECORD_DIR } from '../response/record';
import { selectServices } from '../services';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  parseIntFlag,
  renderJson,
  renderTable,
} from './common';
import { FLAG_NAMES } from './flags';
import type { RunAction } from './main';
import { addChangeOptions, type ChangeOptions, planGate } from './plan-gate';
import { outcomeLine } from './revoke-key';
import { withAws } from './with-aws';

const SPEC = { formats: ['table', 'json', 'markdown'], aws: true } as const;
export const CLEANUP_SCHEMA = 'bks.cleanup/v1';

interface CleanupFlags extends CommonOptions, ChangeOptions {
  service?: string;
  olderThan?: string;
  exclude?: string;
  backupDir?: string;
}

/** The plan per user, step by step: what `--dry-run` promises and `-y` then runs. */
function planRows(r: CleanupRunResult): string[][] {
  const rows: string[][] = [];
  for (const p of r.planned)
    p.calls.forEach((c, i) => {
      rows.push([
        i === 0 ? `${p.userName}${p.resumedFrom ? ' (resuming)' : ''}` : '',
        String(i + 1),
        `${c.action}${c.irreversible ? ' [IRREVERSIBLE]' : ''}`,
        c.target,
        c.reason,
      ]);
    });
  return rows;
}

function renderCleanupMarkdown(r: CleanupRunResult): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`# bks cleanup (account ${r.accountId}): ${r.outcome}`, ''];
  if (r.planned.length > 0 && (r.outcome === 'dry-run' || r.outcome === 'declined')) {
    lines.push('## Plan', '', '| user | step | call | target | why |', '| --- | --- | --- | --- | --- |');
    for (const row of planRows(r)) lines.push(`| ${row.map(esc).join(' | ')} |`);
    lines.push('');
  }
  if (r.deleted.length)
    lines.push('## Deleted', '', ...r.deleted.map((d) => `- ${d.userName} (backup ${d.backup})`), '');
  if (r.failed.length)
    lines.push(
      '## Failed',
      '',
      ...r.failed.map((f) => `- ${f.userName}: ${esc(f.error)}; remaining: ${f.remaining.join(', ')}`),
      '',
    );
  if (r.skipped.length)
    lines.push('## Skipped', '', ...r.skipped.map((s) => `- ${s.userName}: ${esc(s.reason)}`), '');
  lines.push(outcomeLine(r.outcome, r.record));
  return lines.join('\n');
}

function renderCleanupTable(r: CleanupRunResult, ctx: CommandContext): string {
  const rows: string[][] = [];
  const planned = r.outcome === 'dry-run' || r.outcome === 'declined';
  const plan =
    planned && r.planned.length > 0
      ? `plan: ${r.planned.reduce((n, p) => n + p.steps, 0)} call(s) for ${r.planned.length} user(s)\n\n${renderTable(['user', 'step', 'call', 'target', 'why'], planRows(r))}\n\n`
      : '';
  for (const d of r.deleted) rows.push([d.userName, ctx.style.green('deleted'), `backup ${d.backup}`]);
  for (const f of r.failed)
    rows.push([f.userName, ctx.style.red('failed'), `${f.error}; remaining: ${f.remaining.join(', ')}`]);
  for (const s of r.skipped) rows.push([s.userName, ctx.style.dim('skipped'), s.reason]);
  const body =
    rows.length > 0 ? renderTable(['user', 'outcome', 'detail'], rows) : plan ? '' : 'no phantom user found';
  return `cleanup (account ${r.accountId})\n\n${plan}${body}\n\n${outcomeLine(r.outcome, r.record)}`;
}

export async function cleanupCommand(flags: CleanupFlags, ctx: CommandContext): Promise<number> {
  if (flags.dryRun && flags.yes) throw new UsageError('--dry-run and --yes contradict each other');
  const services = selectServices(flags.service);
  const olderThanDays = parseIntFlag('--older-than', flags.olderThan, 0, 36600);
  const exclude = flags.exclude
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of exclude ?? []) {
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw new UsageError(`--exclude: "${name}" is not an IAM user name`);
  }
  return withAws(ctx, async (aws) => {
    const result = await runCleanup(aws, {
      services,
      olderThanDays,
      exclude,
      names: FLAG_NAMES,
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
        markdown: renderCleanupMarkdown,
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
  });
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
    .option('--backup-dir <dir>', 'where each user’s backup goes (mode 0600)', DEFAULT_BACKUP_DIR);
  addChangeOptions(cmd, 'where the JSON record goes (and where an interrupted run is resumed from)');
  commonAction(cmd, SPEC, run, cleanupCommand);
}
