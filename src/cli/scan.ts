/**
 * `bks scan`: inventory of every API key and phantom user, in one account or an organization.
 * Flags, parse, call `scanInventory`, render. Exit 3 when any account failed, 1 per `--fail-on`.
 */
import type { Command } from 'commander';
import { describeAwsError } from '../aws';
import { AwsFailure, UsageError } from '../errors';
import { scanUserFinding } from '../findings';
import { userFix } from '../findings/posture';
import {
  type AccountScan,
  DEFAULT_ORG_ROLE,
  type ScanOptions,
  type ScanResult,
  type ScanUser,
  STATUS_ORDER,
  scanInventory,
  type UserStatus,
} from '../inventory';
import { selectServices } from '../services';
import { csvCell } from '../util/csv';
import {
  addCommonOptions,
  type CommandContext,
  type CommonOptions,
  EXIT,
  emit,
  makeContext,
  parseAccountList,
  parseIntFlag,
  type Renderers,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';
import { withAws } from './with-aws';

export const SCAN_SCHEMA = 'bks.scan/v1';
const FORMATS = ['table', 'json', 'csv', 'markdown', 'asff'] as const;
const SPEC = { formats: FORMATS, aws: true };

/** The flags of `addInventoryOptions`, as commander parses them. */
export interface InventoryFlags extends CommonOptions {
  service?: string;
  org?: boolean;
  orgRole?: string;
  externalId?: string;
  accounts?: string;
  skipAccounts?: string;
  maxAgeDays?: string;
  concurrency?: string;
  failOn?: string;
}

interface ScanFlags extends InventoryFlags {
  fresh?: boolean;
}

/** `--fail-on` thresholds: a status fails the run when it ranks at or above the threshold. */
const FAIL_ON: Record<string, number> = { 'at-risk': 4, unknown: 3, active: 2, orphaned: 1, any: 0 };
const RANK: Record<UserStatus, number> = { AT_RISK: 4, UNKNOWN: 3, ACTIVE: 2, ORPHANED: 1 };

export function failsOn(result: ScanResult, threshold: string): boolean {
  const min = FAIL_ON[threshold] ?? Number.POSITIVE_INFINITY;
  return result.accounts.some((a) => a.users.some((u) => RANK[u.status] >= min));
}

/** The inventory flags `bks scan` and `bks compliance` share (one account, or the organization). */
export function addInventoryOptions(cmd: Command): Command {
  return cmd
    .option('--service <id>', 'bedrock, claude-platform or all', 'all')
    .option('--org', 'scan every active account of the organization')
    .option('--org-role <name>', 'role assumed in member accounts', DEFAULT_ORG_ROLE)
    .option('--external-id <id>', 'external id for AssumeRole')
    .option('--accounts <ids>', 'with --org: only these accounts (comma-separated)')
    .option('--skip-accounts <ids>', 'with --org: skip these accounts (comma-separated)')
    .option('--max-age-days <n>', 'credentials and access keys older than this are a finding')
    .option('--concurrency <n>', 'accounts scanned at once with --org', '8')
    .option('--fail-on <level>', 'exit 1 when a user at or above: at-risk, unknown, active, orphaned, any');
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('scan')
    .description('inventory every API key and phantom user (one account, or the organization with --org)')
    .option('--fresh', 'read access keys per user instead of the (up to 4 h old) credential report');
  addInventoryOptions(cmd);
  addCommonOptions(cmd, SPEC);
  cmd.action(run(async (flags: ScanFlags) => scanCommand(flags)));
}

/** The flags `addInventoryOptions` adds, validated (exit 2 with the flag named), for scan and compliance. */
export function parseInventoryFlags(flags: InventoryFlags) {
  const services = selectServices(flags.service);
  if (flags.failOn !== undefined && !(flags.failOn in FAIL_ON)) {
    throw new UsageError(
      `--fail-on must be one of ${Object.keys(FAIL_ON).join(', ')} (got "${flags.failOn}")`,
    );
  }
  const accounts = parseAccountList('--accounts', flags.accounts);
  const skipAccounts = parseAccountList('--skip-accounts', flags.skipAccounts);
  if (!flags.org && (accounts || skipAccounts)) {
    throw new UsageError('--accounts and --skip-accounts need --org');
  }
  const maxAgeDays = parseIntFlag('--max-age-days', flags.maxAgeDays, 1, 36600);
  const concurrency = parseIntFlag('--concurrency', flags.concurrency, 1, 64) ?? 8;
  if (flags.orgRole !== undefined && !/^[\w+=,.@/-]{1,64}$|^arn:/.test(flags.orgRole)) {
    throw new UsageError(`--org-role "${flags.orgRole}" is not a role name`);
  }
  return {
    services,
    accounts,
    skipAccounts,
    maxAgeDays,
    concurrency,
    /** What `scanInventory` takes from these flags. */
    scan: {
      services,
      maxAgeDays,
      org: flags.org,
      orgRole: flags.orgRole,
      externalId: flags.externalId,
      accounts,
      skipAccounts,
      accountConcurrency: concurrency,
    } satisfies ScanOptions,
  };
}

/** The progress line of one scanned account (`[3/12] account 111122223333: 4 users`). */
export function accountProgressLine(done: number, total: number, account: AccountScan): string {
  return `[${done}/${total}] account ${account.accountId}: ${account.status === 'ok' ? `${account.users.length} user${account.users.length === 1 ? '' : 's'}` : `error: ${account.error}`}`;
}

export async function scanCommand(
  flags: ScanFlags,
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const ctx = makeContext(flags, SPEC, io);
  const { maxAgeDays, scan } = parseInventoryFlags(flags);

  return withAws(ctx, async (aws) => {
    const progress = progressReporter(ctx);
    let result: ScanResult;
    try {
      result = await scanInventory(aws, { ...scan, fresh: flags.fresh, onProgress: progress.update });
    } catch (err) {
      throw new AwsFailure(`scan failed: ${describeAwsError(err)}`);
    } finally {
      progress.done();
    }
    emit(result, renderers(aws.region, maxAgeDays), ctx);
    for (const a of result.accounts) {
      if (a.status === 'error') ctx.warn(`account ${a.accountId}: ${a.error}`);
    }
    if (result.summary.accountsFailed > 0) return EXIT.FAILURE;
    if (flags.failOn && failsOn(result, flags.failOn)) return EXIT.FINDINGS;
    return EXIT.OK;
  });
}

/** A bar on a TTY; one line per account with --verbose elsewhere; nothing otherwise. */
function progressReporter(ctx: CommandContext) {
  const tty = Boolean((ctx.stderr as { isTTY?: boolean }).isTTY) && !ctx.quiet;
  let failed = 0;
  let drawn = false;
  return {
    update: (done: number, total: number, account: AccountScan) => {
      if (account.status === 'error') failed++;
      if (tty && total > 1) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        ctx.stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} accounts${failed ? `, ${failed} failed` : ''}`,
        );
        drawn = true;
      } else if (ctx.verbose) {
        ctx.log(accountProgressLine(done, total, account));
      }
    },
    done: () => {
      // Erase the bar: the result follows on a clean line, with nothing left over on the terminal.
      if (drawn) ctx.stderr.write('\r\u001b[2K');
      drawn = false;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Renderers

export function toJson(result: ScanResult): string {
  return renderJson(SCAN_SCHEMA, result);
}

const credSummary = (u: ScanUser) => {
  if (u.credentials.length === 0) return '-';
  const counts = new Map<string, number>();
  for (const c of u.credentials) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ');
};
const keySummary = (u: ScanUser) => {
  if (u.status === 'UNKNOWN' && u.accessKeys.length === 0) return '?';
  if (u.accessKeys.length === 0) return '-';
  const active = u.accessKeys.filter((k) => k.status === 'Active').length;
  const inactive = u.accessKeys.length - active;
  return [active ? `${active} active` : '', inactive ? `${inactive} inactive` : '']
    .filter(Boolean)
    .join(', ');
};

/**
 * What deals with a user, when something must: the fix of its most severe posture finding (the same
 * rule table `bks compliance` reads), with what that fix does.
 */
export function nextCommand(
  u: ScanUser,
  accountId: string,
  result: Pick<ScanResult, 'generatedAt'>,
  maxAgeDays?: number,
): { fix: string; effect: string } | undefined {
  return userFix(u, accountId, new Date(result.generatedAt), maxAgeDays);
}

/** The distinct fixes of some users, in order (one `cleanup` line covers every orphaned phantom). */
function nextCommands(
  users: readonly ScanUser[],
  accountId: string,
  result: Pick<ScanResult, 'generatedAt'>,
  maxAgeDays?: number,
): { fix: string; effect: string }[] {
  const byFix = new Map<string, { fix: string; effect: string }>();
  for (const u of users) {
    const n = nextCommand(u, accountId, result, maxAgeDays);
    if (n && !byFix.has(n.fix)) byFix.set(n.fix, n);
  }
  return [...byFix.values()];
}

export function renderScanTable(result: ScanResult, ctx: CommandContext, maxAgeDays?: number): string {
  const s = ctx.style;
  const colour: Record<UserStatus, (x: string) => string> = {
    AT_RISK: s.red,
    UNKNOWN: s.yellow,
    ACTIVE: s.cyan,
    ORPHANED: s.dim,
  };
  const out: string[] = [];
  const multi = result.accounts.length > 1;
  for (const a of result.accounts) {
    const head = `Account ${a.accountId}${a.name ? ` (${a.name})` : ''}`;
    if (a.status === 'error') {
      out.push(s.bold(head), `  ${s.red('ERROR')}: ${a.error}`);
      if (a.users.length === 0) {
        out.push('');
        continue;
      }
    } else {
      out.push(`${s.bold(head)}: ${a.users.length} user${a.users.length === 1 ? '' : 's'}`);
    }
    if (a.dataAsOf)
      out.push(
        s.dim(
          `  access keys, passwords and MFA as of ${a.dataAsOf} (credential report; --fresh reads them now)`,
        ),
      );
    for (const note of a.notes ?? []) out.push(s.dim(`  note: ${note}`));
    for (const status of STATUS_ORDER) {
      const users = a.users.filter((u) => u.status === status);
      if (users.length === 0) continue;
      out.push('', `  ${colour[status](status)} (${users.length})`);
      const rows = users.map((u) => [
        u.userName,
        u.service,
        u.phantom ? 'yes' : 'no',
        credSummary(u),
        keySummary(u),
      ]);
      const [head, rule, ...lines] = renderTable(
        ['USER', 'SERVICE', 'PHANTOM', 'API KEYS', 'ACCESS KEYS'],
        rows,
      ).split('\n');
      out.push(`    ${head}`, `    ${rule}`);
      lines.forEach((line, i) => {
        out.push(`    ${line}`);
        for (const reason of users[i]?.reasons ?? []) out.push(s.dim(`      - ${reason}`));
      });
      for (const c of nextCommands(users, a.accountId, result, maxAgeDays)) {
        out.push(`    → ${c.fix}${multi ? s.dim(`   (with credentials for ${a.accountId})`) : ''}`);
        out.push(s.dim(`      ${c.effect}`));
      }
    }
    if (a.users.length === 0 && a.status === 'ok') out.push(s.dim('  no API keys or phantom users'));
    out.push('');
  }
  const sum = result.summary;
  out.push(
    `${sum.accounts} account${sum.accounts === 1 ? '' : 's'} (${sum.accountsFailed} failed), ${sum.users} user${sum.users === 1 ? '' : 's'}: ` +
      STATUS_ORDER.map((st) => `${sum.byStatus[st]} ${st}`).join(', ') +
      `; ${sum.apiCalls} API calls`,
  );
  return out.join('\n');
}

export function renderScanCsv(result: ScanResult): string {
  const header = [
    'accountId',
    'accountStatus',
    'userName',
    'arn',
    'service',
    'phantom',
    'status',
    'evidence',
    'credentials',
    'accessKeys',
    'consolePassword',
    'mfa',
    'dataAsOf',
    'reasons',
  ];
  const lines = [header.join(',')];
  for (const a of result.accounts) {
    if (a.users.length === 0) {
      lines.push(
        [a.accountId, a.status, '', '', '', '', '', '', '', '', '', '', '', a.error ?? '']
          .map(csvCell)
          .join(','),
      );
    }
    for (const u of a.users) {
      lines.push(
        [
          a.accountId,
          a.status,
          u.userName,
          u.arn,
          u.service,
          u.phantom,
          u.status,
          u.evidence.join(' '),
          u.credentials.map((c) => `${c.id}:${c.status}:${c.expiresAt ?? 'never'}`).join(' '),
          u.accessKeys.map((k) => `${k.id ?? 'key'}:${k.status}:${k.lastUsedAt ?? 'unused'}`).join(' '),
          u.consolePassword ?? '',
          u.mfa ?? '',
          u.dataAsOf ?? '',
          u.reasons.join('; '),
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return lines.join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderScanMarkdown(result: ScanResult, maxAgeDays?: number): string {
  const out = [`# bks scan — ${result.generatedAt}`, ''];
  const sum = result.summary;
  out.push(
    `${sum.accounts} account(s), ${sum.accountsFailed} failed; ${sum.users} users: ` +
      STATUS_ORDER.map((st) => `**${sum.byStatus[st]}** ${st}`).join(', '),
    '',
  );
  for (const a of result.accounts) {
    out.push(`## Account ${a.accountId}${a.name ? ` (${mdCell(a.name)})` : ''}`, '');
    if (a.status === 'error') out.push(`**Error:** ${mdCell(a.error ?? '')}`, '');
    if (a.dataAsOf) out.push(`_Access keys as of ${a.dataAsOf} (credential report)._`, '');
    if (a.users.length === 0) {
      if (a.status === 'ok') out.push('No API keys or phantom users.', '');
      continue;
    }
    out.push(
      '| Status | User | Service | Phantom | API keys | Access keys | Reasons |',
      '|---|---|---|---|---|---|---|',
    );
    for (const u of a.users) {
      out.push(
        `| ${u.status} | \`${mdCell(u.userName)}\` | ${u.service} | ${u.phantom ? 'yes' : 'no'} | ${credSummary(u)} | ${keySummary(u)} | ${mdCell(u.reasons.join('; '))} |`,
      );
    }
    const next = nextCommands(a.users, a.accountId, result, maxAgeDays);
    if (next.length) out.push('', 'Next:', ...next.map((c) => `- \`${c.fix}\`: ${mdCell(c.effect)}`));
    out.push('');
  }
  return out.join('\n');
}

export function renderScanAsff(result: ScanResult, region: string, maxAgeDays?: number): string {
  const findings = result.accounts.flatMap((a) =>
    a.users.map((u) =>
      scanUserFinding(u, {
        account: a.accountId,
        region,
        partition: result.partition,
        generatedAt: result.generatedAt,
        maxAgeDays,
      }),
    ),
  );
  return JSON.stringify(findings, null, 2);
}

function renderers(region: string, maxAgeDays?: number): Renderers<ScanResult> {
  return {
    table: (r, ctx) => renderScanTable(r, ctx, maxAgeDays),
    json: toJson,
    csv: renderScanCsv,
    markdown: (r) => renderScanMarkdown(r, maxAgeDays),
    asff: (r) => renderScanAsff(r, region, maxAgeDays),
  };
}
