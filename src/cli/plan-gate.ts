/**
 * The plan-then-confirm front end shared by `revoke-key`, `cleanup` and `restore`: the plan goes
 * to stderr (stdout stays the one result document), then `confirmPlan` decides. With `--dry-run`
 * the result itself lists the planned calls, so the plan is not printed twice.
 */
import type { Command } from 'commander';
import type { ActResult, PlanGate } from '../response/act';
import { renderPlanText } from '../response/plan';
import { DEFAULT_RECORD_DIR } from '../response/record';
import { type CommandContext, type ConfirmOptions, confirmPlan, EXIT, emit, renderJson } from './common';

export interface ChangeOptions extends ConfirmOptions {
  recordDir?: string;
  stdin?: NodeJS.ReadableStream;
}

export function planGate(ctx: CommandContext, opts: ChangeOptions, question: string): PlanGate {
  return {
    show(plan) {
      if (!opts.dryRun && !ctx.quiet) ctx.stderr.write(renderPlanText(plan));
    },
    confirm: () => confirmPlan(question, opts, { stdin: opts.stdin, stderr: ctx.stderr }),
  };
}

/** The flags of every changing command: `--dry-run`, `-y/--yes` and `--record-dir` (what the record is for). */
export function addChangeOptions(
  cmd: Command,
  recordDirHelp: string,
  recordDir = DEFAULT_RECORD_DIR,
): Command {
  return cmd
    .option('--record-dir <dir>', recordDirHelp, recordDir)
    .option('--dry-run', 'print the plan and stop')
    .option('-y, --yes', 'do not ask for confirmation');
}

/**
 * The result of `revoke-key` or `restore`: the command's table, or one JSON document of `schema` —
 * what was acted on (`head`), the kind and account, the outcome, `extra`, the actions and the
 * record. Returns the exit code: 1 when the run failed.
 */
export function emitActResult<T extends ActResult & { kind: string; accountId: string }>(
  result: T,
  ctx: CommandContext,
  render: {
    table: (r: T, ctx: CommandContext) => string;
    schema: string;
    head: (r: T) => object;
    extra?: (r: T) => object;
  },
): number {
  emit(
    result,
    {
      table: render.table,
      json: (r) =>
        renderJson(render.schema, {
          ...render.head(r),
          kind: r.kind,
          accountId: r.accountId,
          outcome: r.outcome,
          ...render.extra?.(r),
          actions: r.actions,
          record: r.record ?? null,
        }),
    },
    ctx,
  );
  return result.outcome === 'failed' ? EXIT.FAILURE : EXIT.OK;
}
