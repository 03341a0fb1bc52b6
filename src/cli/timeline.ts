/** `bks timeline USER|KEY|ACCESS_KEY_ID`: what this identity did, in every region, within CloudTrail's limits. */
import type { Command } from 'commander';
import type { AwsContext } from '../aws';
import { UsageError } from '../errors';
import { type RegionOutcomeJson, regionOutcomesJson } from '../timeline/collect';
import { parseRegions } from '../timeline/regions';
import { MAX_DAYS, resolveTimelineTarget, runTimeline, type TimelineResult } from '../timeline/run';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  forFlag,
  renderJson,
  renderTable,
} from './common';
import {
  addOrgRoleOptions,
  identityAccountOf,
  type OrgRoleFlags,
  resolveKeyArg,
  withIdentityAccount,
} from './key-arg';
import type { RunAction } from './main';

const SPEC = { formats: ['table', 'json'], aws: true } as const;
export const TIMELINE_SCHEMA = 'bks.timeline/v1';

interface TimelineFlags extends WindowFlags {
  summary?: boolean;
}

/** `-o json` (bks.timeline/v1, schemas/timeline.schema.json). */
export interface TimelineJson {
  target: TimelineResult['target'];
  window: TimelineResult['window'];
  lookups: TimelineResult['lookups'];
  regions: RegionOutcomeJson[];
  summary: TimelineResult['summary'];
  calls: { lookupEvents: number; throttled: number };
  /** Kinds of events the timeline cannot contain (UNKNOWN, not absent). */
  notRead: TimelineResult['notRead'];
  events: {
    time: string;
    region: string;
    eventName: string;
    eventSource: string;
    sourceIp: string | null;
    userAgent: string | null;
    errorCode: string | null;
    bearerToken: boolean;
    tags: string[];
    eventId: string;
    actor: string | null;
    accessKeyId: string | null;
  }[];
}

export function timelineJson(r: TimelineResult): TimelineJson {
  return {
    target: r.target,
    window: r.window,
    lookups: r.lookups,
    regions: regionOutcomesJson(r.regions),
    summary: r.summary,
    calls: { lookupEvents: r.calls, throttled: r.throttled },
    notRead: r.notRead,
    events: r.events.map((e) => ({
      time: e.time,
      region: e.region,
      eventName: e.eventName,
      eventSource: e.eventSource,
      sourceIp: e.sourceIp ?? null,
      userAgent: e.userAgent ?? null,
      errorCode: e.errorCode ?? null,
      bearerToken: e.bearerToken,
      tags: e.tags,
      eventId: e.eventId,
      actor: e.actor ?? null,
      accessKeyId: e.accessKeyId ?? null,
    })),
  };
}

/** The table; `summary` leaves out the per-event rows (header lines, tags and per-region table stay). */
export function renderTimelineTable(r: TimelineResult, ctx: CommandContext, summary = false): string {
  const s = r.summary;
  const lines: string[] = [];
  lines.push(
    `timeline of ${r.target.label} (${r.target.kind}), last ${r.window.days} day(s): ${s.events} management event(s)`,
  );
  for (const n of r.target.notes) lines.push(ctx.style.dim(`note: ${n}`));
  if (s.firstSeen)
    lines.push(
      `first seen ${s.firstSeen}, last seen ${s.lastSeen}; ${s.bearerTokenEvents} with a bearer token`,
    );
  if (s.sourceIps.length)
    lines.push(`source IPs: ${s.sourceIps.map((c) => `${c.value} (${c.count})`).join(', ')}`);
  if (s.userAgents.length)
    lines.push(`user agents: ${s.userAgents.map((c) => `${c.value} (${c.count})`).join(', ')}`);
  if (s.tags.length) lines.push(`tags: ${s.tags.map((c) => `${c.value} (${c.count})`).join(', ')}`);
  lines.push('');
  lines.push(
    renderTable(
      ['region', 'status', 'events', 'first seen', 'last seen'],
      s.regions
        .filter((x) => x.status === 'error' || x.events > 0)
        .map((x) => [
          x.region,
          x.status === 'ok' ? ctx.style.green('ok') : ctx.style.red(`error: ${x.error ?? ''}`),
          String(x.events),
          x.firstSeen ?? '',
          x.lastSeen ?? '',
        ]),
    ),
  );
  const quiet = s.regions.filter((x) => x.status === 'ok' && x.events === 0).length;
  if (quiet) lines.push(ctx.style.dim(`${quiet} other region(s) searched: no management events`));
  for (const n of r.notRead) {
    lines.push(ctx.style.yellow(`not read: ${n.events} (${n.reason}): ${n.calls} are UNKNOWN here`));
    lines.push(ctx.style.dim(`  they are only in ${n.readWith}`));
  }
  if (r.events.length && !summary) {
    lines.push('');
    lines.push(
      renderTable(
        ['time', 'region', 'event', 'source', 'ip', 'bearer', 'tags', 'error'],
        r.events.map((e) => [
          e.time,
          e.region,
          e.eventName,
          e.eventSource.replace('.amazonaws.com', ''),
          e.sourceIp ?? '',
          e.bearerToken ? 'yes' : '',
          e.tags.join(','),
          e.errorCode ?? '',
        ]),
      ),
    );
  }
  if (s.failedRegions.length) {
    lines.push('');
    lines.push(
      ctx.style.red(`incomplete: ${s.failedRegions.length} region(s) failed: ${s.failedRegions.join(', ')}`),
    );
  }
  return lines.join('\n');
}

/** `--days` of `timeline` and `report`: one default, long enough for an attack that began weeks ago. */
export const DEFAULT_DAYS = 30;

/** `--days`: whole days back, 1 to 90 (what CloudTrail event history keeps); `fallback` when absent. */
export function parseDays(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--days must be a whole number (got "${value}")`);
  const n = Number(value);
  if (n < 1 || n > MAX_DAYS)
    throw new UsageError(
      `--days must be between 1 and ${MAX_DAYS}: CloudTrail event history keeps 90 days (got ${n})`,
    );
  return n;
}

/** The flags `timeline` and `report` share (`addWindowOptions`, `addOrgRoleOptions`). */
export interface WindowFlags extends CommonOptions, OrgRoleFlags {
  days?: string;
  regions?: string;
}

/** `--days` and `--regions` of `timeline` and `report`: how far back and where CloudTrail is read. */
export function addWindowOptions(cmd: Command): Command {
  return cmd
    .option('--days <n>', 'how far back, 1 to 90 (CloudTrail event history)', String(DEFAULT_DAYS))
    .option(
      '--regions <list>',
      '"all" (the partition’s default-enabled regions), a comma list, or both: all,me-central-1',
      'all',
    );
}

/**
 * What `timeline` and `report` do before reading CloudTrail: the argument (an API key from stdin
 * with "-"), `--days`, the identity's own account (reached with the org-role flags) and `--regions`
 * in that account's partition.
 */
export async function withTimelineWindow(
  rawArg: string,
  flags: WindowFlags,
  ctx: CommandContext,
  command: string,
  fn: (aws: AwsContext, window: { arg: string; days: number; regions: string[] }) => Promise<number>,
): Promise<number> {
  const arg = await resolveKeyArg(rawArg, (flags as { stdin?: NodeJS.ReadableStream }).stdin);
  const days = parseDays(flags.days, DEFAULT_DAYS);
  return withIdentityAccount(ctx, flags, identityAccountOf(arg), { command }, async (aws) => {
    const regions = forFlag('--regions', () => parseRegions(flags.regions, aws.partition));
    return fn(aws, { arg, days, regions });
  });
}

/** Exit 1 with one warning when regions could not be read (`what` is then incomplete), else 0. */
export function incompleteRegionsExit(ctx: CommandContext, failed: readonly string[], what: string): number {
  if (failed.length === 0) return EXIT.OK;
  ctx.warn(`${failed.length} region(s) failed: ${failed.join(', ')} (${what} is incomplete)`);
  return EXIT.FAILURE;
}

export async function timelineCommand(
  rawArg: string,
  flags: TimelineFlags,
  ctx: CommandContext,
): Promise<number> {
  return withTimelineWindow(rawArg, flags, ctx, 'timeline', async (aws, { arg, days, regions }) => {
    const target = await resolveTimelineTarget(aws, arg);
    ctx.log(`searching ${regions.length} region(s) for ${target.label} (${days} days)…`);
    const result = await runTimeline(aws, target, { days, regions });
    emit(
      result,
      {
        table: (r, c) => renderTimelineTable(r, c, flags.summary === true),
        json: (r) => renderJson(TIMELINE_SCHEMA, timelineJson(r)),
      },
      ctx,
    );
    return incompleteRegionsExit(ctx, result.summary.failedRegions, 'the timeline');
  });
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('timeline')
    .description(
      'what a user, an API key or an access key did, from CloudTrail in every region (2 requests/s per region, throttled pages retried)',
    )
    .argument(
      '<USER|KEY|ACCESS_KEY_ID>',
      'an IAM user name, an API key ("-" reads it from stdin), or an AKIA…/ASIA… access key id',
    );
  addWindowOptions(cmd).option(
    '--summary',
    'table: header lines, tags and per-region counts without the per-event rows (JSON is unchanged)',
  );
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, timelineCommand);
}
