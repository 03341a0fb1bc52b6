/**
 * A clock for code that waits on the local pipeline (`bks-sim --pipeline`, in this process) by
 * polling: `sleep(ms)` returns once nothing is in flight any more — no event delivery pending (Lambda
 * targets' async invocations included), no workflow execution running — and then moves the clock on
 * by `ms`. A poll loop on it reads exactly what it would read after waiting for real, and a loop that
 * waits out a timeout (an expected rule that never fires) gets there without idling through it.
 *
 * Only for runs whose executions end by themselves: an execution paused on a task token (an analyst's
 * approval) is running, so `sleep` would wait for it until the test's own timeout fails the test.
 */

import type { SimHandle } from '../../sim/server';
import { executionDone, listExecutions } from '../../sim/services/stepfunctions';
import type { Clock } from '../../src/aws';

/** Resolves when the pipeline has nothing in flight: no delivery pending, no execution running. */
export async function pipelineIdle(sim: SimHandle): Promise<void> {
  for (;;) {
    await sim.deliveriesSettled();
    const running = listExecutions(sim.ctx).filter((e) => e.status === 'RUNNING');
    if (running.length === 0) return;
    // An execution's steps deliver events of their own (findings, notices): settle those too.
    await Promise.all(running.map((e) => executionDone(sim.ctx, e.executionArn)));
  }
}

export function pipelineClock(sim: () => SimHandle): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    sleep: async (ms: number) => {
      await pipelineIdle(sim());
      offset += ms;
    },
  };
}
