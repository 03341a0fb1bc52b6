/**
 * `bks detections list|export|build`: the rule set for people and other engines.
 * - list: the rules (table or JSON);
 * - export --format eventbridge|sigma|athena|cloudtrail-lake: render the rules for EventBridge (what
 *   the infra deploys), Sigma, Athena SQL or CloudTrail Lake SQL;
 * - build: regenerate detections/*.json from SERVICES and the event tables (for maintainers).
 */
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { writeRuleFiles } from '../detect/build-rules';
import { exportEventBridge } from '../detect/export';
import { exportSigma } from '../detect/export-sigma';
import { exportSql } from '../detect/export-sql';
import { loadRules } from '../detect/rule-files';
import { defaultRulesDir, type Rule, RuleError } from '../detect/rules';
import { UsageError } from '../errors';
import {
  addCommonOptions,
  type CommandContext,
  type CommonOptions,
  commonAction,
  EXIT,
  emit,
  makeContext,
  renderJson,
  renderTable,
} from './common';
import type { RunAction } from './main';

const EXPORT_FORMATS = ['eventbridge', 'sigma', 'athena', 'cloudtrail-lake'] as const;

function load(dir: string | undefined): Rule[] {
  try {
    return loadRules(dir ?? defaultRulesDir());
  } catch (err) {
    if (err instanceof RuleError) throw new UsageError(`--rules: ${err.message}`);
    throw err;
  }
}

interface ExportFlags extends CommonOptions {
  format?: string;
  rules?: string;
  table?: string;
  eventDataStore?: string;
}

export function register(program: Command, run: RunAction): void {
  const group = program
    .command('detections')
    .description('list, export (EventBridge, Sigma, Athena, CloudTrail Lake) and build the detection rules');

  const listSpec = { formats: ['table', 'json'] } as const;
  const list = group
    .command('list')
    .description('list the detection rules')
    .option('--rules <dir>', 'rule directory (default: the bundled detections/)');
  commonAction(
    list,
    listSpec,
    run,
    async (flags: CommonOptions & { rules?: string }, ctx: CommandContext) => {
      const rules = load(flags.rules);
      emit(
        rules,
        {
          json: (r) =>
            renderJson('bks.detections/v1', {
              rules: r.map(({ samples: _s, ...rule }) => rule),
            }),
          table: (r) =>
            renderTable(
              ['ID', 'SEVERITY', 'KIND', 'DEPLOY', 'TITLE'],
              r.map((x) => [x.id, x.severity, x.kind, x.deploy, x.title]),
            ),
        },
        ctx,
      );
      return EXIT.OK;
    },
  );

  const exportSpec = { formats: EXPORT_FORMATS } as const;
  const exp = group
    .command('export')
    .description('render the rules for EventBridge, Sigma, Athena or CloudTrail Lake')
    .option('--format <format>', `the same as -o: one of ${EXPORT_FORMATS.join(', ')}`)
    .option('--rules <dir>', 'rule directory (default: the bundled detections/)')
    .option('--table <name>', 'Athena CloudTrail table (default cloudtrail_logs)')
    .option(
      '--event-data-store <id>',
      'CloudTrail Lake event data store id (default: the placeholder "eventdatastore")',
    );
  addCommonOptions(exp, exportSpec);
  exp.action(
    run(async (flags: ExportFlags) => {
      // `--format` is the older spelling of `-o` (kept for scripts); either picks the rendering.
      if (flags.format !== undefined && !EXPORT_FORMATS.includes(flags.format as never)) {
        throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')} (got "${flags.format}")`);
      }
      const ctx = makeContext({ ...flags, output: flags.format ?? flags.output }, exportSpec);
      const format = ctx.format as (typeof EXPORT_FORMATS)[number];
      if (flags.table !== undefined && !/^[A-Za-z_][A-Za-z0-9_.]*$/.test(flags.table)) {
        throw new UsageError(`--table must be a table name (got "${flags.table}")`);
      }
      if (flags.eventDataStore !== undefined && !/^[A-Za-z0-9-]+$/.test(flags.eventDataStore)) {
        throw new UsageError(
          `--event-data-store must be an event data store id (got "${flags.eventDataStore}")`,
        );
      }
      const rules = load(flags.rules);
      const render = (r: Rule[]): string => {
        switch (format) {
          case 'eventbridge':
            return renderJson('bks.detections.eventbridge/v1', exportEventBridge(r));
          case 'sigma':
            return exportSigma(r);
          case 'athena':
            return exportSql(r, 'athena', { from: flags.table });
          case 'cloudtrail-lake':
            return exportSql(r, 'cloudtrail-lake', { from: flags.eventDataStore });
        }
      };
      emit(rules, Object.fromEntries(EXPORT_FORMATS.map((f) => [f, render])), ctx);
      return EXIT.OK;
    }),
  );

  const buildSpec = { formats: ['table', 'json'] } as const;
  const build = group
    .command('build')
    .description('regenerate the rule files from SERVICES and the event tables (maintainers)')
    .option('--dir <dir>', 'where to write (default: the bundled detections/)');
  commonAction(
    build,
    buildSpec,
    run,
    async (flags: CommonOptions & { dir?: string }, ctx: CommandContext) => {
      const dir = flags.dir ?? defaultRulesDir();
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new UsageError(`--dir ${dir}: cannot create it (${(err as Error).message.split('\n')[0]})`);
      }
      const result = writeRuleFiles(dir);
      emit(
        result,
        {
          json: (r) => renderJson('bks.detections-build/v1', r),
          table: (r) =>
            `wrote ${r.written.length} rule file(s) to ${r.dir}${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}`,
        },
        ctx,
      );
      return EXIT.OK;
    },
  );
}
