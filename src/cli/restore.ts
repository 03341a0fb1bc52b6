/** `bks restore RECORD`: undo a revoke, or recreate users deleted by cleanup, from a record or backup. */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { DEFAULT_RECORD_DIR } from '../response/record';
import {
  executionName,
  findS3Record,
  parseS3Uri,
  readS3Document,
  recordS3Client,
} from '../response/record-s3';
import {
  type RestoreRunResult,
  type RestoreSource,
  readLocalSource,
  restoreSourceAccount,
  runRestore,
} from '../response/restore-run';
import { type CommandContext, type CommonOptions, commonAction } from './common';
import { addOrgRoleOptions, type OrgRoleFlags, withIdentityAccount } from './key-arg';
import type { RunAction } from './main';
import { addChangeOptions, type ChangeOptions, emitActResult, planGate } from './plan-gate';
import { outcomeLine, renderActions } from './revoke-key';
import { withAws } from './with-aws';

const SPEC = { formats: ['table', 'json'], aws: true } as const;
export const RESTORE_SCHEMA = 'bks.restore/v1';

function renderRestoreTable(r: RestoreRunResult, ctx: CommandContext): string {
  return `restore from ${r.source} (${r.kind}, account ${r.accountId})\n\n${renderActions(r.actions, ctx)}\n\n${outcomeLine(r.outcome, r.record)}`;
}

export interface RestoreFlags extends CommonOptions, ChangeOptions, OrgRoleFlags {
  finding?: string;
  execution?: string;
  recordBucket?: string;
}

/**
 * The record or backup to restore, read before anything else: a file; `s3://BUCKET/KEY`; or the
 * pipeline record of a finding or an execution, found in the record bucket (with the caller's own
 * credentials: the bucket lives in the security account, the record may be of another account).
 */
async function loadSource(
  arg: string | undefined,
  flags: RestoreFlags,
  ctx: CommandContext,
): Promise<RestoreSource> {
  const given = [arg, flags.finding, flags.execution].filter((x) => x !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      'name exactly one of: a RECORD (file or s3://BUCKET/KEY), --finding ID, --execution NAME',
    );
  }
  if (arg !== undefined && !arg.startsWith('s3://')) return readLocalSource(arg);
  if (arg === undefined) {
    if (flags.finding !== undefined && flags.finding.trim() === '')
      throw new UsageError('--finding: empty finding id');
    if (flags.execution !== undefined) executionName(flags.execution);
  } else {
    parseS3Uri(arg);
  }
  const bucket = flags.recordBucket || process.env['BKS_RECORD_BUCKET'] || undefined;
  if (arg === undefined && !bucket) {
    throw new UsageError(
      '--finding and --execution need the record bucket: --record-bucket NAME or BKS_RECORD_BUCKET',
    );
  }
  return withAws(ctx, async (caller) => {
    const s3 = recordS3Client(caller);
    const uri =
      arg ??
      (await findS3Record(
        s3,
        bucket as string,
        flags.finding !== undefined ? { findingId: flags.finding } : { execution: flags.execution as string },
      ));
    const read = await readS3Document(s3, uri);
    if (!read.doc || typeof read.doc !== 'object') throw new UsageError(`${uri}: not a bks record`);
    if (arg === undefined) ctx.warn(`record: ${read.location}`);
    return { location: read.location, doc: read.doc as RestoreSource['doc'] };
  });
}

export async function restoreCommand(
  arg: string | undefined,
  flags: RestoreFlags,
  ctx: CommandContext,
): Promise<number> {
  if (flags.dryRun && flags.yes) throw new UsageError('--dry-run and --yes contradict each other');
  const source = await loadSource(arg, flags, ctx);
  const account = restoreSourceAccount(source);
  return withIdentityAccount(ctx, flags, account, { command: 'restore', what: 'the record' }, async (aws) => {
    const result = await runRestore(aws, source, {
      gate: planGate(ctx, flags, 'Apply this restore plan?'),
      recordDir: flags.recordDir ?? DEFAULT_RECORD_DIR,
    });
    return emitActResult(result, ctx, {
      table: renderRestoreTable,
      schema: RESTORE_SCHEMA,
      head: (r) => ({ source: r.source }),
    });
  });
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('restore')
    .description(
      'undo a revoke-key or a pipeline revocation (from its record) or recreate users deleted by cleanup (from a backup or the cleanup record)',
    )
    .argument(
      '[RECORD]',
      'a revoke-key or cleanup record (./bks-records/…), a backup (./bks-backups/…), or a pipeline record s3://BUCKET/KEY',
    )
    .option('--finding <id>', "the pipeline's record of this Security Hub finding (in --record-bucket)")
    .option('--execution <name>', "the pipeline's record of this workflow execution (name or ARN)")
    .option('--record-bucket <name>', "the pipeline's record bucket (default: $BKS_RECORD_BUCKET)");
  addChangeOptions(cmd, 'where the restore’s own record goes');
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, restoreCommand);
}
