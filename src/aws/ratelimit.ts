/**
 * Client-side rate limits: one token bucket per account + region + API, so that a run never
 * exceeds a documented limit (CloudTrail `LookupEvents`: 2 requests per second per account per
 * region) no matter how many tasks share it. Every attempt, retries included, takes a token.
 */

/** Calls per second by `service:Operation` or `service:*`. */
export type RateLimits = Record<string, number>;

/** Documented AWS limits the toolkit honours by default. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  'cloudtrail:LookupEvents': 2,
  'securityhub:BatchImportFindings': 10,
};

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * The clock bks waits on: the rate limiter's pacing and the credential report's polls
 * (src/inventory/credential-report.ts) call it at each use, so a test can tell them the time
 * (test/helpers/virtual-time.ts) instead of sleeping.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket that hands out reservations: `reserve()` takes a token now and returns how long
 * the caller must wait before using it. Tokens may go negative, which queues callers in order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('rate must be positive');
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes one token; returns the wait in milliseconds before the call may go out. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait);
  }
}

/** The buckets of one run, created on demand from the limits. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly limits: RateLimits = DEFAULT_RATE_LIMITS,
    private readonly clock: Clock = systemClock,
  ) {
    for (const [key, rate] of Object.entries(limits)) {
      if (!/^[a-z0-9-]+:(\*|[A-Za-z0-9]+)$/.test(key) || !(rate > 0)) {
        throw new RangeError(`rate limit "${key}": expected service:Operation with a positive rate`);
      }
    }
  }

  /** The limit for an API (exact `service:Operation` first, then `service:*`), if any. */
  limitFor(service: string, operation: string): number | undefined {
    return this.limits[`${service}:${operation}`] ?? this.limits[`${service}:*`];
  }

  /** Waits until a call of `service:Operation` may go out for this account and region. */
  async acquire(account: string, region: string, service: string, operation: string): Promise<void> {
    const rate = this.limitFor(service, operation);
    if (rate === undefined) return;
    const scope = this.limits[`${service}:${operation}`] !== undefined ? operation : '*';
    const key = `${account}:${region}:${service}:${scope}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, Math.max(1, rate), this.clock);
      this.buckets.set(key, bucket);
    }
    await bucket.take();
  }
}
