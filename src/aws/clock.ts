/**
 * AWS's clock as its responses state it. Conditions such as `aws:TokenIssueTime` and
 * `aws:CurrentTime` are evaluated on AWS's clock, not on the machine running `bks`: a deny that cuts
 * off sessions "issued before now" must use AWS's now, or a skewed laptop (or any clock that is not
 * AWS's) writes a cut-off that misses the sessions issued since. Every response carries an HTTP
 * `Date` header (second precision); the clock keeps the latest one with the local time it arrived
 * and answers with the latest time AWS's clock can show now.
 */
export class AwsClock {
  private serverMs: number | undefined;
  private localMs = 0;

  /** Records a response's `Date` header (ignored when absent or unreadable). */
  observe(dateHeader: unknown, localMs: number = Date.now()): void {
    if (typeof dateHeader !== 'string') return;
    const t = Date.parse(dateHeader);
    if (Number.isNaN(t)) return;
    this.serverMs = t;
    this.localMs = localMs;
  }

  /** Whether any response stated AWS's time yet. */
  get observed(): boolean {
    return this.serverMs !== undefined;
  }

  /**
   * AWS's time now: the last stated time plus what elapsed locally since, plus the fraction of a
   * second the header's precision hides (the latest AWS's clock can show); the local clock until a
   * response has stated one.
   */
  now(localMs: number = Date.now()): Date {
    if (this.serverMs === undefined) return new Date(localMs);
    return new Date(this.serverMs + 999 + Math.max(0, localMs - this.localMs));
  }
}

/** The `Date` header of an SDK middleware result or error (`$response`), if any. */
export function responseDate(outputOrError: unknown): unknown {
  const o = outputOrError as {
    response?: { headers?: Record<string, unknown> };
    $response?: { headers?: Record<string, unknown> };
  } | null;
  const headers = o?.response?.headers ?? o?.$response?.headers;
  return headers?.['date'] ?? headers?.['Date'];
}
