/**
 * `bks coverage`: would detection see an API key being abused, per account and region? One row per
 * control (trail coverage of management events, data-event selectors, the pipeline's forwarders,
 * its central bus, state machine and dead-letter queues, Security Hub and its administrator,
 * GuardDuty AI Protection, model invocation logging, the SCP controls), each `ok`, `missing`,
 * `partial`, `unknown` (a read failed: never ok on missing knowledge) or `not-checkable`, with the
 * evidence and the fix. Every read goes through the client layer (retries, rate limits, counts);
 * each account is read with its own credentials (the caller's, or `--org-role` assumed into it).
 */
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { AccountClient, paginateListRegions } from '@aws-sdk/client-account';
import {
  type AwsContext,
  describeAwsError,
  listOrgAccounts,
  mapAccounts,
  mapLimit,
  selectAccounts,
} from '../aws';
import { AwsFailure } from '../errors';
import { loadPipelineRules } from '../pipeline/load-rules';
import { IAM_REGION, type PipelineRule, partitionOfRegion } from '../pipeline/rules';
import {
  type CentralBus,
  forwarderCheck,
  homeChecks,
  type PipelineNames,
  pipelineNames,
  readCentralBus,
} from './pipeline';
import { readScpVerdicts, type ScpReading, scpChecks } from './scp';
import { bedrockLoggingCheck, guardDutyCheck, securityHubChecks } from './services';
import { TrailReader, trailChecks, type TrailView } from './trails';
import {
  type AccountCoverage,
  type CoverageCheck,
  type CoverageReport,
  summarize,
  worst,
} from './types';

export * from './types';
export { pipelineNames, requiredState } from './pipeline';

export interface CoverageOptions {
  /** Every active account of the organization (else the caller's account). */
  org?: boolean;
  /** Role assumed in the other accounts (`--org-role`). */
  orgRole: string;
  externalId?: string;
  accounts?: string[];
  skipAccounts?: string[];
  /** `all`: the regions enabled in each account (Account Management ListRegions). */
  regions: 'all' | string[];
  /** Account of the pipeline (central bus, state machine); default the caller's. */
  securityAccount?: string;
  /** The pipeline's home region; default the context's region. */
  homeRegion?: string;
  /** Name prefix of the pipeline's resources (default `bks`). */
  namePrefix?: string;
  /** The detection rules the forwarders carry (default `detections/`). */
  rules?: readonly PipelineRule[];
  /** Accounts read at once (default 4); regions of an account at once: 4. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The rule set as the pipeline deploys it. */
export const pipelineRules = loadPipelineRules;

/** Control order within a region, as rows print. */
const ORDER = [
  'regions',
  'cloudtrail.management',
  'cloudtrail.data.bedrock-mantle',
  'cloudtrail.data.bedrock-agents',
  'pipeline.forwarders',
  'pipeline.central-bus',
  'pipeline.state-machine',
  'pipeline.dlq',
  'securityhub.enabled',
  'securityhub.administrator',
  'guardduty.ai-protection',
  'bedrock.invocation-logging',
];

function sortChecks(checks: CoverageCheck[]): CoverageCheck[] {
  const rank = (c: CoverageCheck) => {
    const i = ORDER.indexOf(c.control);
    return i < 0 ? ORDER.length : i;
  };
  return checks.sort((a, b) =>
    a.region === b.region
      ? rank(a) - rank(b) || a.control.localeCompare(b.control)
      : a.region === 'global'
        ? 1
        : b.region === 'global'
          ? -1
          : a.region.localeCompare(b.region),
  );
}

async function enabledRegions(aws: AwsContext): Promise<string[]> {
  const client = aws.client('account', AccountClient, aws.homeRegion);
  const out: string[] = [];
  const input = { RegionOptStatusContains: ['ENABLED' as const, 'ENABLED_BY_DEFAULT' as const] };
  for await (const page of paginateListRegions({ client }, input)) {
    for (const r of page.Regions ?? []) if (r.RegionName) out.push(r.RegionName);
  }
  return out.sort();
}

interface RunContext {
  opts: CoverageOptions;
  rules: readonly PipelineRule[];
  names: PipelineNames;
  securityAccount: string;
  homeRegion: string;
  central: CentralBus;
  scp: ScpReading;
}

async function accountChecks(aws: AwsContext, accountId: string, run: RunContext): Promise<CoverageCheck[]> {
  let regions: string[];
  if (run.opts.regions === 'all') {
    try {
      regions = await enabledRegions(aws);
    } catch (err) {
      return [
        {
          region: 'global',
          control: 'regions',
          status: 'unknown',
          detail: `cannot list the account's enabled regions (account:ListRegions): ${describeAwsError(err)}`,
          fix: 'grant account:ListRegions, or name the regions: bks coverage --regions REGION,…',
        },
        ...scpChecks(accountId, run.scp),
      ];
    }
  } else {
    regions = run.opts.regions;
  }
  const iamRegion = IAM_REGION[partitionOfRegion(run.homeRegion)] ?? 'us-east-1';
  const trails = new TrailReader(aws);
  const perRegion = await mapLimit(regions, 4, async (region) => {
    let read: { views: TrailView[] } | { error: string };
    try {
      read = { views: await trails.region(region) };
    } catch (err) {
      read = { error: describeAwsError(err) };
    }
    const [forwarders, hub, gd, logging] = await Promise.all([
      forwarderCheck(aws, accountId, region, run.rules, run.names, run.central, run.securityAccount),
      securityHubChecks(aws, accountId, region, run.securityAccount),
      guardDutyCheck(aws, region),
      bedrockLoggingCheck(aws, region),
    ]);
    return [...trailChecks(region, iamRegion, read), forwarders, ...hub, gd, logging];
  });
  const checks = perRegion.flat();
  if (accountId === run.securityAccount) {
    checks.push(...(await homeChecks(aws, run.homeRegion, run.securityAccount, run.rules, run.names, run.central)));
  }
  checks.push(...scpChecks(accountId, run.scp));
  return sortChecks(checks);
}

export async function runCoverage(aws: AwsContext, opts: CoverageOptions): Promise<CoverageReport> {
  const self = (await aws.identity()).accountId;
  const securityAccount = opts.securityAccount ?? self;
  const homeRegion = opts.homeRegion ?? aws.region;
  const names = pipelineNames(opts.namePrefix);
  const rules = opts.rules ?? pipelineRules();

  let accountIds: string[];
  if (opts.org) {
    try {
      const all = await listOrgAccounts(aws);
      accountIds = selectAccounts(all, { include: opts.accounts, skip: opts.skipAccounts }).map((a) => a.id);
    } catch (err) {
      throw new AwsFailure(`cannot list the organization's accounts: ${describeAwsError(err)}`);
    }
  } else {
    accountIds = [self];
  }

  let organizationId: string | undefined;
  try {
    organizationId = (await aws.organizations().send(new DescribeOrganizationCommand({}))).Organization?.Id;
  } catch {
    organizationId = undefined;
  }
  // The central bus is read once, from the security account.
  let central: CentralBus;
  const centralArn = aws.arn('events', homeRegion, securityAccount, `event-bus/${names.centralBus}`);
  if (securityAccount === self) {
    central = await readCentralBus(aws, homeRegion, securityAccount, names, organizationId);
  } else {
    try {
      const ctx = await aws.forAccount(securityAccount, {
        role: opts.orgRole,
        externalId: opts.externalId,
        command: 'coverage',
      });
      try {
        central = await readCentralBus(ctx, homeRegion, securityAccount, names, organizationId);
      } finally {
        ctx.destroy();
      }
    } catch (err) {
      central = { arn: centralArn, organizationId, error: `cannot assume ${opts.orgRole} into ${securityAccount}: ${describeAwsError(err)}` };
    }
  }
  const scp = await readScpVerdicts(aws.organizations());
  const run: RunContext = { opts, rules, names, securityAccount, homeRegion, central, scp };

  const outcomes = await mapAccounts(aws, accountIds, (ctx, id) => accountChecks(ctx, id, run), {
    role: opts.orgRole,
    externalId: opts.externalId,
    command: 'coverage',
    concurrency: opts.concurrency ?? 4,
    onProgress: opts.onProgress ? (done, total) => opts.onProgress?.(done, total) : undefined,
  });
  const accounts: AccountCoverage[] = outcomes.map((o) =>
    o.ok
      ? { accountId: o.accountId, status: worst(o.value.map((c) => c.status)), checks: o.value }
      : { accountId: o.accountId, status: 'unknown', error: o.error, checks: [] },
  );
  return {
    schema: 'bks.coverage/v1',
    generatedAt: new Date().toISOString(),
    pipeline: { securityAccount, homeRegion, namePrefix: names.prefix },
    accounts,
    summary: summarize(accounts),
  };
}
