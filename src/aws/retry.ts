/**
 * Retries with capped exponential backoff and full jitter. Unlike the SDK's standard strategy it
 * keeps no shared retry quota: a long inventory under sustained throttling keeps retrying each
 * call up to `maxAttempts` instead of giving up for every call once the quota is spent. Client
 * errors (AccessDenied, NoSuchEntity, …) are never retried.
 */
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

export interface RetryOptions {
  /** Attempts per call, the first included (default 8). */
  maxAttempts?: number;
  /** Base delay in ms for throttling errors (default 500; transient/server errors use a fifth). */
  baseDelayMs?: number;
  /** Upper bound of one delay in ms (default 20 000). */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

class Token implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

export class JitterRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'bks-jitter';
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError('maxAttempts must be a whole number ≥ 1');
    }
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.random = options.random ?? Math.random;
  }

  async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const retries = token.getRetryCount();
    if (info.errorType === 'CLIENT_ERROR' || retries + 1 >= this.maxAttempts) {
      throw new Error('no retry');
    }
    return new Token(retries + 1, this.delayFor(retries, info));
  }

  recordSuccess(_token: RetryToken): void {}

  /** Full jitter: uniform in [0, min(cap, base · 2^retry)], at least a Retry-After hint. */
  delayFor(retries: number, info: Pick<RetryErrorInfo, 'errorType' | 'retryAfterHint'>): number {
    const base = info.errorType === 'THROTTLING' ? this.baseDelayMs : this.baseDelayMs / 5;
    const ceiling = Math.min(this.maxDelayMs, base * 2 ** retries);
    let delay = Math.floor(this.random() * ceiling);
    if (info.retryAfterHint) {
      delay = Math.max(delay, Math.min(this.maxDelayMs, info.retryAfterHint.getTime() - Date.now()));
    }
    return delay;
  }
}
