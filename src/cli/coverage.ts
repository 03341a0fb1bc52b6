/**
 * `bks coverage [--org] [--regions all|LIST]`: would detection see an API key being abused, per
 * account and region (logic in src/coverage). Exit 0 when every check is ok, 1 when one is missing
 * or partial, 3 when one is unknown or an account could not be read.
 */
import type { Command } from 'commander';
import { DEFAULT_ORG_ROLE } from '../aws/org';
import { coverageExitCode, runCoverage } from '../coverage';
import {
  renderCoverageAsff,
  renderCoverageJson,
  renderCoverageMarkdown,
  renderCoverageTable,
} from '../coverage/render';
import { UsageError } from '../errors';
import { parseRegions, partitionOfRegion } from '../timeline/regions';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  emit,
  forFlag,
  parseAccountList,
  parseIntFlag,
} from './common';
import type { RunAction } from './main';
import { withAws } from './with-aws';

const FORMATS = ['table', 'markdown', 'json', 'asff'] as const;
const SPEC = { formats: FORMATS, aws: true };
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

interface CoverageFlags extends CommonOptions {
  org?: boolean;
  orgRole?: string;
  externalId?: string;
  accounts?: string;
  skipAccounts?: string;
  regions?: string;
  securityAccount?: string;
  homeRegion?: string;
  namePrefix?: string;
  concurrency?: string;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('coverage')
    .description(
      'would detection see an API key being abused? trails, selectors, pipeline, Security Hub, GuardDuty, logging, SCPs per account and region',
    )
    .option(
      '--org',
      'every active account of the organization (run from the management or a delegated account)',
    )
    .option('--org-role <name>', 'role assumed in the other accounts', DEFAULT_ORG_ROLE)
    .option('--external-id <id>', 'external id for AssumeRole')
    .option('--accounts <ids>', 'with --org: only these accounts (comma-separated)')
    .option('--skip-accounts <ids>', 'with --org: skip these accounts (comma-separated)')
    .option('--regions <list>', 'all (the regions enabled in each account) or a comma-separated list', 'all')
    .option(
      '--security-account <id>',
      "the pipeline's account (central bus, state machine); default the caller's",
    )
    .option('--home-region <region>', "the pipeline's home region; default the resolved region")
    .option('--name-prefix <prefix>', "name prefix of the pipeline's resources", 'bks')
    .option('--concurrency <n>', 'accounts read at once (1..32, default 4)');
  commonAction(cmd, SPEC, run, coverageCommand);
}

/** `all` (the regions enabled in each account, read from AWS) or a list of one partition's regions. */
function regionsFlag(value: string | undefined): 'all' | string[] {
  if (value === undefined || value.trim() === 'all') return 'all';
  const first = value.split(',')[0]?.trim() ?? '';
  return forFlag('--regions', () => {
    if (value.split(',').some((r) => r.trim() === 'all')) {
      throw new UsageError('give all (every enabled region) or a list of regions, not both');
    }
    return parseRegions(value, partitionOfRegion(first));
  });
}

export async function coverageCommand(flags: CoverageFlags, ctx: CommandContext): Promise<number> {
  const regions = regionsFlag(flags.regions);
  const accounts = parseAccountList('--accounts', flags.accounts);
  const skipAccounts = parseAccountList('--skip-accounts', flags.skipAccounts);
  if (!flags.org && (accounts || skipAccounts))
    throw new UsageError('--accounts and --skip-accounts need --org');
  if (flags.securityAccount !== undefined && !/^\d{12}$/.test(flags.securityAccount)) {
    throw new UsageError(`--security-account must be a 12-digit account id (got "${flags.securityAccount}")`);
  }
  if (flags.homeRegion !== undefined && !REGION_RE.test(flags.homeRegion)) {
    throw new UsageError(`--home-region: "${flags.homeRegion}" is not a region name`);
  }
  const prefix = flags.namePrefix ?? 'bks';
  if (!/^[A-Za-z0-9][\w.-]{0,39}$/.test(prefix)) {
    throw new UsageError(`--name-prefix "${prefix}" must be 1-40 letters, digits, ., _ or -`);
  }
  if (flags.orgRole !== undefined && !/^[\w+=,.@/-]{1,64}$|^arn:/.test(flags.orgRole)) {
    throw new UsageError(`--org-role "${flags.orgRole}" is not a role name`);
  }
  const concurrency = parseIntFlag('--concurrency', flags.concurrency, 1, 32) ?? 4;

  return withAws(ctx, async (aws) => {
    ctx.log('reading detection coverage…');
    const report = await runCoverage(aws, {
      org: flags.org,
      orgRole: flags.orgRole ?? DEFAULT_ORG_ROLE,
      externalId: flags.externalId,
      accounts,
      skipAccounts,
      regions,
      securityAccount: flags.securityAccount,
      homeRegion: flags.homeRegion,
      namePrefix: prefix,
      concurrency,
      onProgress: (done, total) => ctx.log(`${done}/${total} accounts read`),
    });
    emit(
      report,
      {
        table: (r, c) => renderCoverageTable(r, c.style),
        markdown: renderCoverageMarkdown,
        json: renderCoverageJson,
        asff: renderCoverageAsff,
      },
      ctx,
    );
    for (const a of report.accounts) if (a.error) ctx.warn(`account ${a.accountId} not read: ${a.error}`);
    return coverageExitCode(report);
  });
}
