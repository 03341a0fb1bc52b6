/** `bks hunt FILE|DIR…`: run the detection rules (stateful ones included) over CloudTrail log files. */
import type { Command } from 'commander';
import { HuntInputError, type HuntResult, hunt } from '../detect/hunt';
import { loadRules } from '../detect/rule-files';
import {
  compileRules,
  defaultRulesDir,
  RuleError,
  SEVERITIES,
  type Severity,
  severityRank,
} from '../detect/rules';
import type { StatefulOverrides } from '../detect/stateful';
import { UsageError } from '../errors';
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
import type { RunAction } from './main';

const SPEC = { formats: ['table', 'json', 'markdown'] } as const;

interface HuntFlags extends CommonOptions {
  failOn?: string;
  minSeverity?: string;
  rules?: string;
  volumeThreshold?: string;
  volumeWindow?: string;
  regionsThreshold?: string;
  regionsWindow?: string;
}

function parseSeverity(value: string | undefined, flag = '--fail-on'): Severity | undefined {
  if (value === undefined) return undefined;
  const s = value.toUpperCase();
  if (!SEVERITIES.includes(s as Severity)) {
    throw new UsageError(
      `${flag} must be one of ${SEVERITIES.map((x) => x.toLowerCase()).join(', ')} (got "${value}")`,
    );
  }
  return s as Severity;
}

type Shown = HuntResult & { hidden?: { minSeverity: Severity; matches: number } };

function renderText(r: Shown, markdown: boolean): string {
  const rows = r.matches.map((m) => [
    m.eventTime ?? '-',
    m.severity,
    m.ruleId,
    m.eventName ?? '-',
    m.region ?? '-',
    m.principal,
    m.value !== undefined ? `${m.value}${m.regions ? ` (${m.regions.join(',')})` : ''}` : '',
  ]);
  const headers = ['TIME', 'SEVERITY', 'RULE', 'EVENT', 'REGION', 'PRINCIPAL', 'COUNT'];
  const bySeverity = SEVERITIES.map(
    (s) => [s, r.matches.filter((m) => m.severity === s).length] as const,
  ).filter(([, n]) => n > 0);
  const hidden = r.hidden
    ? `; ${r.hidden.matches} below ${r.hidden.minSeverity} not shown (--min-severity)`
    : '';
  const summary = `${r.matches.length} match(es) in ${r.scanned} record(s) from ${r.files.length} file(s), ${r.rules.length} rules${
    bySeverity.length ? `: ${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')}` : ''
  }${hidden}`;
  const unread =
    r.dataEvents === 0 && r.scanned > 0
      ? '\nno data events in the input: a trail logs bedrock-mantle inference and file calls and Bedrock agent, knowledge-base, flow, guardrail and prompt calls only with data-event selectors (bks coverage: cloudtrail.data.*) — no match on them here says nothing about them'
      : '';
  if (markdown) {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    const table = [
      `| ${headers.join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...rows.map((row) => `| ${row.map(esc).join(' | ')} |`),
    ].join('\n');
    return `# bks hunt\n\n${summary}${unread}\n\n${rows.length ? table : '_No matches._'}\n`;
  }
  return rows.length ? `${renderTable(headers, rows)}\n\n${summary}${unread}` : `${summary}${unread}`;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('hunt')
    .description('run the detection rules (stateful ones included) over CloudTrail log files or directories')
    .argument(
      '<paths...>',
      'CloudTrail log files (.json, .json.gz, {"Records":[…]} or one record per line) or directories',
    )
    .option(
      '--fail-on <severity>',
      `exit 1 when a match is at or above this severity (${SEVERITIES.map((s) => s.toLowerCase()).join('|')})`,
    )
    .option(
      '--min-severity <severity>',
      `show only matches at or above this severity (${SEVERITIES.map((s) => s.toLowerCase()).join('|')}); the summary counts the others`,
    )
    .option('--rules <dir>', 'rule directory (default: the bundled detections/)')
    .option(
      '--volume-threshold <n>',
      'invocations per principal that fire the volume rule (default from the rule: 100)',
    )
    .option('--volume-window <seconds>', 'window of the volume rule (default 300)')
    .option('--regions-threshold <n>', 'distinct regions per principal that fire the region rule (default 2)')
    .option('--regions-window <seconds>', 'window of the region rule (default 1800)');
  commonAction(cmd, SPEC, run, async (paths: string[], flags: HuntFlags, ctx: CommandContext) => {
    const failOn = parseSeverity(flags.failOn);
    const minSeverity = parseSeverity(flags.minSeverity, '--min-severity');
    const overrides: StatefulOverrides = {
      count: {
        threshold: parseIntFlag('--volume-threshold', flags.volumeThreshold, 1, 1_000_000_000),
        windowSeconds: parseIntFlag('--volume-window', flags.volumeWindow, 1, 86_400 * 31),
      },
      'distinct-regions': {
        threshold: parseIntFlag('--regions-threshold', flags.regionsThreshold, 2, 1000),
        windowSeconds: parseIntFlag('--regions-window', flags.regionsWindow, 1, 86_400 * 31),
      },
    };
    let set: ReturnType<typeof compileRules>;
    try {
      set = compileRules(loadRules(flags.rules ?? defaultRulesDir()));
    } catch (err) {
      if (err instanceof RuleError) throw new UsageError(`--rules: ${err.message}`);
      throw err;
    }
    let result: HuntResult;
    try {
      result = await hunt(set, paths, { overrides, onFile: (f, n) => ctx.log(`${f}: ${n} records`) });
    } catch (err) {
      if (err instanceof HuntInputError) throw new UsageError(err.message);
      throw err;
    }
    const shownMatches = minSeverity
      ? result.matches.filter((m) => severityRank(m.severity) >= severityRank(minSeverity))
      : result.matches;
    const shown: Shown = minSeverity
      ? {
          ...result,
          matches: shownMatches,
          hidden: { minSeverity, matches: result.matches.length - shownMatches.length },
        }
      : result;
    emit(
      shown,
      {
        json: (r) => renderJson('bks.hunt/v1', r),
        table: (r) => renderText(r, false),
        markdown: (r) => renderText(r, true),
      },
      ctx,
    );
    if (failOn && result.matches.some((m) => severityRank(m.severity) >= severityRank(failOn)))
      return EXIT.FINDINGS;
    return EXIT.OK;
  });
}
