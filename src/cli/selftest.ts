/**
 * `bks selftest`: a canary proves the detection pipeline fires, end to end (logic in src/selftest).
 * It changes the account (a user, a key, both removed at the end), so it prints its plan and asks
 * first (`-y`, `--dry-run`). Ctrl-C stops the run and removes the canary; a second Ctrl-C leaves at
 * once (the record lets the next run finish the cleanup). Exit 0 every expected rule fired, 1 some
 * did not (or a rule fired that must not), 3 something could not be read or the canary could not be
 * removed, 130 interrupted.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { DEFAULT_STACK_NAME } from '../pipeline/stack-outputs';
import { DEFAULT_MODEL_ID, runSelftest, selftestExitCode } from '../selftest';
import { defaultRecordDir } from '../selftest/record';
import {
  assertCanConfirm,
  type CommandContext,
  type CommonOptions,
  commonAction,
  confirmPlan,
  emit,
  parseIntFlag,
} from './common';
import type { RunAction } from './main';
import { addChangeOptions } from './plan-gate';
import { renderSelftestJson, renderSelftestMarkdown, renderSelftestTable } from './selftest-render';
import { withAws } from './with-aws';

const FORMATS = ['table', 'markdown', 'json'] as const;
const SPEC = { formats: FORMATS, aws: true };
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

interface SelftestFlags extends CommonOptions {
  stackName?: string;
  bearerRegion?: string;
  timeout?: string;
  poll?: string;
  model?: string;
  recordDir?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export function register(program: Command, run: RunAction): void {
  const cmd = program
    .command('selftest')
    .description(
      'prove the pipeline fires end to end: a canary phantom user, a 1-day key, one bearer call; findings per rule; the canary removed',
    )
    .option(
      '--stack-name <name>',
      "the pipeline's stack (its outputs locate the deployment)",
      DEFAULT_STACK_NAME,
    )
    .option('--bearer-region <region>', "where the bearer call goes (default the pipeline's home region)")
    .option('--timeout <seconds>', 'how long to wait for the findings (10..3600)', '600')
    .option('--poll <ms>', 'how often Security Hub is read (100..60000)', '2000')
    .option('--model <id>', 'model of the bearer call (InvokeModel, one output token)', DEFAULT_MODEL_ID);
  addChangeOptions(cmd, 'folder of the run records (cleanup after an interruption)', defaultRecordDir());
  commonAction(cmd, SPEC, run, (flags: SelftestFlags, ctx: CommandContext) => selftestCommand(flags, ctx));
}

export async function selftestCommand(
  flags: SelftestFlags,
  ctx: CommandContext,
  io: { stdin?: NodeJS.ReadableStream; signal?: AbortSignal } = {},
): Promise<number> {
  const timeoutSeconds = parseIntFlag('--timeout', flags.timeout, 10, 3600) ?? 600;
  const pollMs = parseIntFlag('--poll', flags.poll, 100, 60_000) ?? 2000;
  if (flags.bearerRegion !== undefined && !REGION_RE.test(flags.bearerRegion)) {
    throw new UsageError(`--bearer-region: "${flags.bearerRegion}" is not a region name`);
  }
  const stackName = flags.stackName ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$|^arn:/.test(stackName)) {
    throw new UsageError(`--stack-name "${stackName}" is not a stack name`);
  }
  const modelId = flags.model ?? DEFAULT_MODEL_ID;
  if (!/^[\w.:/-]{1,256}$/.test(modelId)) throw new UsageError(`--model "${modelId}" is not a model id`);

  const controller = new AbortController();
  io.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      ctx.warn('interrupted: removing the canary (Ctrl-C again to leave now; the next run then finishes it)');
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    // Refused before anything is read: without -y or a terminal the canary could never be confirmed.
    assertCanConfirm(flags, { stdin: io.stdin });
    const report = await withAws(ctx, (aws) =>
      runSelftest(aws, {
        stackName,
        ...(flags.bearerRegion ? { region: flags.bearerRegion } : {}),
        recordDir: flags.recordDir ?? defaultRecordDir(),
        timeoutSeconds,
        pollMs,
        modelId,
        endpointUrl: ctx.aws.endpointUrl ?? process.env['AWS_ENDPOINT_URL'],
        signal: controller.signal,
        log: (line) => ctx.log(line),
        confirm: async (plan) => {
          if (!ctx.quiet || flags.dryRun) ctx.stderr.write(`${plan.join('\n')}\n`);
          return confirmPlan('Run the canary?', flags, { stdin: io.stdin, stderr: ctx.stderr });
        },
      }),
    );
    if (!report) return 0;
    emit(
      report,
      {
        table: (r, c) => renderSelftestTable(r, c.style),
        markdown: renderSelftestMarkdown,
        json: renderSelftestJson,
      },
      ctx,
    );
    if (report.cleanup.status === 'failed') {
      ctx.warn(`the canary ${report.canary.userName} was not fully removed: rerun bks selftest to finish it`);
    }
    if (controller.signal.aborted) return 130;
    return selftestExitCode(report);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
