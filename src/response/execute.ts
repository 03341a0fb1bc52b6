/**
 * Executes a plan step by step, rewriting the record after every step. Steps that share a `group`
 * (cleanup: one user) are ordered: the first failure stops the rest of that group, which stay
 * `not-run` in the record. Steps without a group (revoke) are independent: containment goes on with
 * the next credential even if one call failed.
 */
import { describeError } from '../errors';
import type { PlanStep } from './plan';
import type { RecordWriter, StepStatus } from './record';

export type StepRunner = (step: PlanStep) => Promise<void>;

export interface ExecuteHooks {
  /**
   * Called once before the first step of each group; a returned string aborts the group with that
   * reason (cleanup re-reads the user here and aborts when anything changed).
   */
  beforeGroup?: (group: string, writer: RecordWriter) => Promise<string | undefined>;
  onStep?: (step: PlanStep, status: StepStatus, error?: string) => void;
}

export interface ExecuteOutcome {
  done: number;
  failed: number;
  notRun: number;
  /** Per group (or per step number for ungrouped steps): the first error or abort reason. */
  errors: Map<string, string>;
}

export function groupOf(step: PlanStep): string {
  return step.group ?? `#${step.n}`;
}

export async function executePlan(
  steps: PlanStep[],
  run: StepRunner,
  writer: RecordWriter,
  hooks: ExecuteHooks = {},
): Promise<ExecuteOutcome> {
  const outcome: ExecuteOutcome = { done: 0, failed: 0, notRun: 0, errors: new Map() };
  const seenGroups = new Set<string>();
  const setStatus = (n: number, status: StepStatus, error?: string) =>
    writer.update((r) => {
      const s = r.steps.find((x) => x.n === n);
      if (s) {
        s.status = status;
        s.at = new Date().toISOString();
        if (error) s.error = error;
      }
    });
  await writer.update((r) => {
    r.state = 'running';
  });
  for (const step of steps) {
    const group = groupOf(step);
    if (!seenGroups.has(group)) {
      seenGroups.add(group);
      if (step.group && hooks.beforeGroup) {
        let reason: string | undefined;
        try {
          reason = await hooks.beforeGroup(group, writer);
        } catch (err) {
          reason = `could not re-read before acting: ${describeError(err)}`;
        }
        if (reason) outcome.errors.set(group, reason);
      }
    }
    const blocked = step.group ? outcome.errors.get(group) : undefined;
    if (blocked) {
      outcome.notRun++;
      await setStatus(step.n, 'not-run', blocked);
      hooks.onStep?.(step, 'not-run', blocked);
      continue;
    }
    let failure: string | undefined;
    try {
      await run(step);
    } catch (err) {
      failure = describeError(err);
    }
    // Outside the try: a record that cannot be stored is not a failed step, it stops the run
    // (the step's change is made; what was stored before says it was about to be).
    if (failure === undefined) {
      outcome.done++;
      await setStatus(step.n, 'done');
      hooks.onStep?.(step, 'done');
    } else {
      outcome.failed++;
      outcome.errors.set(group, `step ${step.n} iam:${step.action} failed: ${failure}`);
      await setStatus(step.n, 'failed', failure);
      hooks.onStep?.(step, 'failed', failure);
    }
  }
  await writer.update((r) => {
    r.state = outcome.failed > 0 || outcome.notRun > 0 ? 'failed' : 'completed';
  });
  return outcome;
}
