/**
 * The shared "plan, then act" sequence of every changing command: refuse if the planner refused,
 * show the plan, stop when there is nothing to do or on `--dry-run`, ask, write the record, then
 * execute step by step. Logic never prints: showing and asking are the front end's callbacks.
 */
import { UsageError } from '../errors';
import { type ExecuteHooks, executePlan, type StepRunner } from './execute';
import type { Plan, PlanNote, PlanStep } from './plan';
import {
  type RecordedStep,
  type RecordSubject,
  type RecordTarget,
  RecordWriter,
  type StepStatus,
} from './record';

export interface PlanGate {
  /** Shows the plan (the CLI prints it on stderr before asking). */
  show(plan: Plan): void;
  /** `--dry-run` → 'dry-run', `--yes` → 'yes', a TTY is asked, no TTY refuses (throws). */
  confirm(plan: Plan): Promise<'yes' | 'no' | 'dry-run'>;
}

export type RunOutcome = 'nothing-to-do' | 'dry-run' | 'declined' | 'completed' | 'failed';

export interface Action {
  /** `iam:UpdateServiceSpecificCredential`, or `none` for a note. */
  action: string;
  target: string;
  /** planned | done | failed | not-run | unchanged | absent | refused | info */
  status: StepStatus | 'planned' | PlanNote['status'];
  reason?: string;
  error?: string;
}

export interface ActResult {
  outcome: RunOutcome;
  /** Path of the record, when one was written (something was to be changed and the user agreed). */
  record?: string;
  actions: Action[];
  /** The executed steps with their final status (absent when nothing ran). */
  steps?: RecordedStep[];
}

export function actionsOf(
  steps: (PlanStep & { status?: StepStatus; error?: string })[],
  notes: PlanNote[],
): Action[] {
  return [
    ...steps.map((s) => ({
      action: `iam:${s.action}`,
      target: s.target,
      status: s.status ?? ('planned' as const),
      reason: s.reason,
      ...(s.error ? { error: s.error } : {}),
    })),
    ...notes.map((n) => ({ action: 'none', target: n.target, status: n.status, reason: n.message })),
  ];
}

export async function actOnPlan(
  plan: Plan,
  opts: {
    gate: PlanGate;
    /** Where the record goes: a directory, or durable storage (the pipeline's S3 bucket). */
    recordDir: RecordTarget;
    caller: string;
    target: string;
    subjects: RecordSubject[];
    run: StepRunner;
    hooks?: ExecuteHooks;
    backups?: string[];
    restoredFrom?: string;
  },
): Promise<ActResult> {
  if (plan.refused) throw new UsageError(plan.refused);
  opts.gate.show(plan);
  if (plan.steps.length === 0) return { outcome: 'nothing-to-do', actions: actionsOf([], plan.notes) };
  const answer = await opts.gate.confirm(plan);
  if (answer === 'dry-run') return { outcome: 'dry-run', actions: actionsOf(plan.steps, plan.notes) };
  if (answer === 'no') return { outcome: 'declined', actions: actionsOf(plan.steps, plan.notes) };
  const writer = await RecordWriter.create(opts.recordDir, {
    command: plan.command,
    accountId: plan.accountId,
    partition: plan.partition,
    caller: opts.caller,
    target: opts.target,
    subjects: opts.subjects,
    steps: plan.steps,
    notes: plan.notes,
    ...(opts.backups ? { backups: opts.backups } : {}),
    ...(opts.restoredFrom ? { restoredFrom: opts.restoredFrom } : {}),
  });
  const outcome = await executePlan(plan.steps, opts.run, writer, opts.hooks);
  return {
    outcome: outcome.failed > 0 || outcome.notRun > 0 ? 'failed' : 'completed',
    record: writer.path,
    actions: actionsOf(writer.current.steps, plan.notes),
    steps: writer.current.steps,
  };
}
