/**
 * `bks compliance`: the org-wide compliance report (HTML, markdown, JSON, CSV) from a fresh org
 * inventory or from saved `bks.scan/v1` files, with the trend against a previous report.
 * Exit 3 when accounts failed (the report names them), 1 per `--fail-on`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describeAwsError } from '../aws';
import { AwsFailure, UsageError } from '../errors';
import { type ScanResult, scanInventory } from '../inventory';
import {
  buildComplianceReport,
  type ComplianceReport,
  mergeScans,
  parseComplianceReport,
  parseScanResult,
  summaryText,
} from '../report/compliance';
import { renderComplianceHtml } from '../report/render-html';
import { renderComplianceCsv, renderComplianceJson, renderComplianceMarkdown } from '../report/render-text';
import { addCommonOptions, EXIT, emit, makeContext, type Renderers } from './common';
import type { RunAction } from './main';
import {
  accountProgressLine,
  addInventoryOptions,
  failsOn,
  type InventoryFlags,
  parseInventoryFlags,
} from './scan';
import { withAws } from './with-aws';

const FORMATS = ['html', 'markdown', 'json', 'csv'] as const;
const SPEC = { formats: FORMATS, aws: true };

interface ComplianceFlags extends InventoryFlags {
  from?: string[];
  previous?: string;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('compliance')
    .description('org-wide compliance report of API keys and phantom users (HTML, markdown, JSON, CSV)')
    .option('--from <files...>', 'build the report from saved bks.scan/v1 JSON files instead of scanning')
    .option('--previous <file>', 'a previous report (bks.compliance/v1 JSON): adds the trend and history');
  addInventoryOptions(cmd);
  addCommonOptions(cmd, SPEC);
  cmd.action(run(async (flags: ComplianceFlags) => complianceCommand(flags)));
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
}

export async function complianceCommand(
  flags: ComplianceFlags,
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
): Promise<number> {
  const ctx = makeContext(flags, SPEC, io);
  const { services, maxAgeDays, scan } = parseInventoryFlags(flags);
  if (flags.from && flags.org)
    throw new UsageError('--from reads saved scans: it cannot be combined with --org');
  const previous: ComplianceReport | undefined = flags.previous
    ? parseComplianceReport(readText(flags.previous, '--previous'), `--previous ${flags.previous}`)
    : undefined;

  let scans: ScanResult[];
  if (flags.from) {
    scans = flags.from.map((file) => parseScanResult(readText(file, '--from'), file));
  } else {
    scans = await withAws(ctx, async (aws) => {
      try {
        return [
          await scanInventory(aws, {
            ...scan,
            onProgress: (done, total, a) => ctx.log(accountProgressLine(done, total, a)),
          }),
        ];
      } catch (err) {
        throw new AwsFailure(`compliance scan failed: ${describeAwsError(err)}`);
      }
    });
  }
  const merged = mergeScans(scans);
  if (flags.from && flags.service && flags.service !== 'all') {
    const keep = new Set(services.map((s) => s.id));
    merged.services = merged.services.filter((s) => keep.has(s));
    merged.accounts = merged.accounts.map((a) => ({
      ...a,
      users: a.users.filter((u) => keep.has(u.service)),
    }));
  }
  if (previous && previous.generatedAt >= merged.generatedAt) {
    throw new UsageError(
      `--previous ${flags.previous} (${previous.generatedAt}) is not older than this report (${merged.generatedAt})`,
    );
  }
  const report = buildComplianceReport(merged, { previous, maxAgeDays });
  emit(report, renderers, ctx);
  ctx.log(summaryText(report));
  for (const f of report.failedAccounts) ctx.warn(`account ${f.accountId}: ${f.error}`);
  if (report.totals.accountsFailed > 0) return EXIT.FAILURE;
  if (flags.failOn && failsOn({ accounts: merged.accounts } as ScanResult, flags.failOn))
    return EXIT.FINDINGS;
  return EXIT.OK;
}

const renderers: Renderers<ComplianceReport> = {
  html: renderComplianceHtml,
  markdown: renderComplianceMarkdown,
  json: renderComplianceJson,
  csv: renderComplianceCsv,
};
