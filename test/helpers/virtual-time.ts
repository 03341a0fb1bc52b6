/**
 * Virtual time for rate limits. bks paces its calls with a client-side token bucket
 * (src/aws/ratelimit.ts, on `systemClock`: CloudTrail LookupEvents at AWS's 2 requests per second),
 * and bks-sim refuses calls over the same budget. Both sides measure on one clock here, and a wait
 * the limiter asks for moves that clock on at once instead of sleeping: every call is paced and
 * judged exactly as before (a client that sent too early would be throttled by the simulator just
 * the same), without the seconds of idle a report's dozen lookups cost.
 *
 * Pass `rateClock` to bks-sim (`startSim({ rateClock })`) and call `restore()` when done. The real
 * clock keeps its own test: test/timeline/timeline-sim.test.ts paces 2/s against the sim in real time.
 */
import { vi } from 'vitest';
import { systemClock } from '../../src/aws';

export interface VirtualTime {
  /** The simulator's rate clock (milliseconds), moved on by every wait of bks's limiter. */
  rateClock: () => number;
  /** Milliseconds the limiter's waits moved the clock on. */
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
    rateClock: () => performance.now() + offset,
    get skippedMs() {
      return offset;
    },
    restore() {
      now.mockRestore();
      sleep.mockRestore();
    },
  };
}
