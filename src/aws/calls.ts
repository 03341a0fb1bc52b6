/**
 * Counts every attempt sent to AWS per `service:Operation` (retries included), so tests can
 * assert costs and benchmarks can print them. Also counts error codes per `service:Operation`.
 */
export class CallCounter {
  private readonly counts = new Map<string, number>();
  private readonly errorCounts = new Map<string, number>();

  /** Records one attempt of `service:Operation`. */
  record(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** Records an attempt that failed with `code`. */
  recordError(service: string, operation: string, code: string): void {
    const key = `${service}:${operation}:${code}`;
    this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
  }

  /** Attempts of one `service:Operation` (or of all operations of a service with `service:*`). */
  get(key: string): number {
    if (key.endsWith(':*')) {
      const prefix = key.slice(0, -1);
      let n = 0;
      for (const [k, v] of this.counts) if (k.startsWith(prefix)) n += v;
      return n;
    }
    return this.counts.get(key) ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** `{ "iam:ListUsers": 3, … }`, sorted by key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** `{ "iam:ListUsers:Throttling": 2, … }`. */
  errors(): Record<string, number> {
    return Object.fromEntries([...this.errorCounts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
    this.errorCounts.clear();
  }
}
