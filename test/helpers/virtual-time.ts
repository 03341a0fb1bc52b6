/**
 * Virtual time for the waits bks and bks-sim agree on. bks paces its calls with a client-side token
 * bucket (CloudTrail LookupEvents at AWS's 2 requests per second) and polls a credential report
 * that is being built (250 ms, doubling), both on `systemClock` (src/aws/ratelimit.ts); bks-sim
 * refills the same rate budgets and builds the report on its wait clock (`StartOptions.waitClock`).
 * Here both sides measure on one clock, and a wait bks asks for moves that clock on at once instead
 * of sleeping: every call is paced, polled and judged exactly as before (a client that sent too early
 * is throttled, a report read too early is still in progress), without the idle.
 *
 * Pass `waitClock` to bks-sim (`startSim({ waitClock })`) and call `restore()` when done. The real
 * clock keeps its own test: test/timeline/timeline-sim.test.ts paces 2/s against the sim in real
 * time, and test/inventory/credential-report.test.ts polls a report built in real time.
 */
import { vi } from 'vitest';
import { systemClock } from '../../src/aws';

export interface VirtualTime {
  /** bks-sim's wait clock (milliseconds), moved on by every wait of bks. */
  waitClock: () => number;
  /** Milliseconds bks's waits moved the clock on. */
  readonly skippedMs: number;
  restore(): void;
}

export function virtualTime(): VirtualTime {
  let offset = 0;
  const now = vi.spyOn(systemClock, 'now').mockImplementation(() => Date.now() + offset);
  const sleep = vi.spyOn(systemClock, 'sleep').mockImplementation(async (ms: number) => {
    offset += Math.max(0, ms);
  });
  return {
    waitClock: () => performance.now() + offset,
    get skippedMs() {
      return offset;
    },
    restore() {
      now.mockRestore();
      sleep.mockRestore();
    },
  };
}
