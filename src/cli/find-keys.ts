/**
 * `bks find-keys PATH… | -`: find API keys in files, directory trees, stdin or (with `--git`) every
 * blob of a repository's history. Every candidate is decoded and validated; findings carry the
 * key's owner and a fingerprint of its secret, never the key. Exit 1 when keys are found.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { DEFAULT_MAX_FILE_SIZE, type Finding, type FindKeysResult, findKeysInPaths, toSarif } from '../keys';
import { packageVersion } from '../paths';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';

const SPEC = { formats: ['table', 'json', 'sarif'] } as const;
export const FIND_KEYS_SCHEMA = 'bks.find-keys/v1';

interface FindKeysCliOptions extends CommonOptions {
  git?: boolean;
  maxFileSize?: string;
  bearerEnv?: boolean;
  stdin?: NodeJS.ReadableStream;
}

/** `25MB`, `512k`, `1048576` → bytes. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag} must be a size such as 25MB, 512KB or 1048576 (got "${value}")`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const n = Math.floor(Number(m[1]) * mult);
  if (n < 1) throw new UsageError(`${flag} must be at least 1 byte`);
  return n;
}

function toolVersion(): string {
  return packageVersion();
}

function owner(f: Finding): string {
  if (f.kind === 'long-term') return `${f.userName}${f.credentialIndex ? ` (+${f.credentialIndex})` : ''}`;
  if (f.kind === 'short-term') return f.accessKeyId ?? '';
  return f.envVar ?? '';
}

function status(f: Finding, ctx: CommandContext): string {
  if (f.expired === true) return ctx.style.dim(`expired ${f.expiresAt}`);
  if (f.expired === false) return ctx.style.red(`valid until ${f.expiresAt}`);
  return ctx.style.yellow('no expiry in key');
}

function renderFindingsTable(r: FindKeysResult, ctx: CommandContext): string {
  const rows = r.findings.flatMap((f) =>
    f.locations.map((l) => [
      `${l.path}:${l.line}:${l.column}${l.commits?.length ? ` @${l.commits.map((c) => c.slice(0, 8)).join(',')}` : ''}`,
      f.service,
      f.kind,
      f.accountId ?? '',
      owner(f),
      status(f, ctx),
      f.secretSha256.slice(0, 16),
    ]),
  );
  const scanned = `${r.scanned.files} file${r.scanned.files === 1 ? '' : 's'}${r.scanned.gitBlobs ? `, ${r.scanned.gitBlobs} git blob${r.scanned.gitBlobs === 1 ? '' : 's'}` : ''}, ${(r.scanned.bytes / 1024 / 1024).toFixed(1)} MiB`;
  const skipped = r.skipped.length ? `; skipped ${r.skipped.length} (${summarizeSkipped(r)})` : '';
  const head = `${r.findings.length} key${r.findings.length === 1 ? '' : 's'} in ${rows.length} location${rows.length === 1 ? '' : 's'} (scanned ${scanned}${skipped})`;
  if (rows.length === 0) return ctx.style.green(head);
  return `${renderTable(['location', 'service', 'kind', 'account', 'user / key id / variable', 'expiry', 'secret sha256'], rows)}\n\n${ctx.style.bold(head)}`;
}

function summarizeSkipped(r: FindKeysResult): string {
  const counts = new Map<string, number>();
  for (const s of r.skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
}

export async function findKeysCommand(
  paths: string[],
  opts: FindKeysCliOptions,
  ctx: CommandContext,
): Promise<number> {
  const maxFileSize =
    opts.maxFileSize !== undefined ? parseSize('--max-file-size', opts.maxFileSize) : DEFAULT_MAX_FILE_SIZE;
  const targets = paths.length > 0 ? paths : opts.git ? ['.'] : [];
  if (targets.length === 0) throw new UsageError('give at least one PATH (or - for stdin)');
  if (opts.git && targets.includes('-')) {
    throw new UsageError('--git scans repositories: - (stdin) cannot be combined with it');
  }
  const result = await findKeysInPaths(targets, {
    git: opts.git,
    maxFileSize,
    bearerAssignments: opts.bearerEnv !== false,
    stdin: opts.stdin,
  });
  const tooLarge = result.skipped.filter((s) => s.reason === 'too-large' || s.reason === 'unreadable');
  for (const s of tooLarge) ctx.warn(`not scanned (${s.reason}): ${s.path}`);
  emit(
    result,
    {
      table: renderFindingsTable,
      json: (r) => renderJson(FIND_KEYS_SCHEMA, r),
      sarif: (r) => JSON.stringify(toSarif(r, toolVersion()), null, 2),
    },
    ctx,
  );
  return result.findings.length > 0 ? EXIT.FINDINGS : EXIT.OK;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('find-keys')
    .description(
      'find API keys in files, directories, stdin or git history; decode and validate each (never prints a key)',
    )
    .argument(
      '[paths...]',
      'files and directories to scan; "-" reads stdin; with --git, repositories (default .)',
    )
    .option('--git', "scan every blob reachable in each repository's history, reporting the commits")
    .option('--max-file-size <size>', 'skip (and list) files and blobs larger than this', '25MB')
    .option('--no-bearer-env', 'do not report AWS_BEARER_TOKEN_* assignments whose value is not a key');
  commonAction(cmd, SPEC, run, findKeysCommand);
}
