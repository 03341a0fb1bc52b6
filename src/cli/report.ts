/** `bks report USER|KEY`: the incident lead's document (markdown, self-contained HTML, JSON). */
import type { Command } from 'commander';
import { buildIncidentReport } from '../report/incident';
import { REPORT_SCHEMA, renderHtml, renderMarkdown, reportJson } from '../report/render';
import { parseRegions } from '../timeline/regions';
import {
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  forFlag,
  renderJson,
} from './common';
import {
  addOrgRoleOptions,
  identityAccountOf,
  type OrgRoleFlags,
  resolveKeyArg,
  withIdentityAccount,
} from './key-arg';
import type { RunAction } from './main';
import { DEFAULT_DAYS, parseDays } from './timeline';

const SPEC = { formats: ['markdown', 'html', 'json'], aws: true } as const;

interface ReportFlags extends CommonOptions, OrgRoleFlags {
  days?: string;
  regions?: string;
}

export async function reportCommand(
  rawArg: string,
  flags: ReportFlags,
  ctx: CommandContext,
): Promise<number> {
  const arg = await resolveKeyArg(rawArg, (flags as { stdin?: NodeJS.ReadableStream }).stdin);
  const days = parseDays(flags.days, DEFAULT_DAYS);
  return withIdentityAccount(ctx, flags, identityAccountOf(arg), { command: 'report' }, async (aws) => {
    const regions = forFlag('--regions', () => parseRegions(flags.regions, aws.partition));
    ctx.log(
      `building the report for ${arg.length > 40 ? 'the key' : arg} (${regions.length} regions, ${days} days)…`,
    );
    const report = await buildIncidentReport(aws, arg, { days, regions });
    emit(
      report,
      {
        markdown: renderMarkdown,
        html: renderHtml,
        json: (r) => renderJson(REPORT_SCHEMA, reportJson(r)),
      },
      ctx,
    );
    const failed = report.timeline.summary.failedRegions;
    if (failed.length > 0) {
      ctx.warn(
        `${failed.length} region(s) failed: ${failed.join(', ')} (the report's timeline is incomplete)`,
      );
      return EXIT.FAILURE;
    }
    return EXIT.OK;
  });
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('report')
    .description(
      'incident report for a user or key: identity, keys, creators, access keys, policies, timeline with a chart, risk, commands',
    )
    .argument(
      '<USER|KEY>',
      'an IAM user name, an API key ("-" reads it from stdin), or an AKIA…/ASIA… access key id',
    )
    .option('--days <n>', 'timeline window, 1 to 90', String(DEFAULT_DAYS))
    .option('--regions <list>', '"all" (default-enabled regions), a comma list, or both', 'all');
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, reportCommand);
}
