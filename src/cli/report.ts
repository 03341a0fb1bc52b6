/** `bks report USER|KEY`: the incident lead's document (markdown, self-contained HTML, JSON). */
import type { Command } from 'commander';
import { buildIncidentReport } from '../report/incident';
import { REPORT_SCHEMA, renderHtml, renderMarkdown, reportJson } from '../report/render';
import { type CommandContext, commonAction, emit, renderJson } from './common';
import { addOrgRoleOptions } from './key-arg';
import type { RunAction } from './main';
import { addWindowOptions, incompleteRegionsExit, type WindowFlags, withTimelineWindow } from './timeline';

const SPEC = { formats: ['markdown', 'html', 'json'], aws: true } as const;

export async function reportCommand(
  rawArg: string,
  flags: WindowFlags,
  ctx: CommandContext,
): Promise<number> {
  return withTimelineWindow(rawArg, flags, ctx, 'report', async (aws, { arg, days, regions }) => {
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
    return incompleteRegionsExit(ctx, report.timeline.summary.failedRegions, "the report's timeline");
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
    );
  addWindowOptions(cmd);
  addOrgRoleOptions(cmd);
  commonAction(cmd, SPEC, run, reportCommand);
}
