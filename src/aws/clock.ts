/**
 * AWS's clock, as AWS states it. Conditions such as `aws:TokenIssueTime` and `aws:CurrentTime` are
 * evaluated on AWS's clock, not on the machine running `bks`: a deny that cuts off sessions "issued
 * before now", or a judgement that a key signed at a CloudTrail event time has expired by now, must
 * use AWS's now, or a clock that is not AWS's (a skewed laptop; a simulator's scenario time) writes
 * a cut-off that misses the sessions issued since, or calls a live key expired.
 *
 * The statement used is the one STS makes on every AssumeRole: the credentials' `Expiration` is
 * AWS's time of issue plus the granted `DurationSeconds` (second precision). The clock keeps the
 * latest such time with the local time it was asked for, and answers with the latest time AWS's
 * clock can show now.
 */
export class AwsClock {
  private serverMs: number | undefined;
  private localMs = 0;

  /** AWS's time was `awsMs` (second precision) at the local time `localMs`. */
  observe(awsMs: number, localMs: number = Date.now()): void {
    if (!Number.isFinite(awsMs)) return;
    this.serverMs = awsMs;
    this.localMs = localMs;
  }

  /** Records an AssumeRole answer: issued at `expiration - durationSeconds` on AWS's clock. */
  observeSession(expiration: Date | undefined, durationSeconds: number, requestedAtMs: number): void {
    if (!expiration) return;
    this.observe(expiration.getTime() - durationSeconds * 1000, requestedAtMs);
  }

  /** Whether AWS stated its time yet. */
  get observed(): boolean {
    return this.serverMs !== undefined;
  }

  /**
   * AWS's time now: the last stated time plus what elapsed locally since, plus the fraction of a
   * second the statement's precision hides (the latest AWS's clock can show); the local clock until
   * AWS has stated one.
   */
  now(localMs: number = Date.now()): Date {
    if (this.serverMs === undefined) return new Date(localMs);
    return new Date(this.serverMs + 999 + Math.max(0, localMs - this.localMs));
  }
}
