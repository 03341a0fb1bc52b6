/**
 * The plan-then-confirm front end shared by `revoke-key`, `cleanup` and `restore`: the plan goes
 * to stderr (stdout stays the one result document), then `confirmPlan` decides. With `--dry-run`
 * the result itself lists the planned calls, so the plan is not printed twice.
 */
import type { PlanGate } from '../response/act';
import { renderPlanText } from '../response/plan';
import { type CommandContext, type ConfirmOptions, confirmPlan } from './common';

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
