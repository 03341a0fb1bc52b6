/**
 * Stateful rules: windowed counters per principal, the part of the rule set one EventBridge pattern
 * cannot express (invocation volume, distinct regions). Used by `bks hunt` (in-memory store) and by
 * the pipeline's Lambda (a DynamoDB-backed store behind the same `CounterStore` interface).
 *
 * - Deterministic on event time: the clock is the events' `eventTime`, never the wall clock.
 * - Sliding windows made of `bucketsPerWindow` buckets (window/10 by default): an event is checked
 *   against every window that contains it (before and after it), so late or out-of-order events
 *   count the same as in-order ones; windows are exact to one bucket.
 * - One alert per rule, principal and aligned window (`claim`): at-least-once delivery and
 *   re-runs do not multiply alerts when the store is shared.
 * - No I/O here; the store decides. The in-memory store evicts buckets whose window has passed
 *   (memory stays bounded by the principals active within the longest window).
 */
import { type CloudTrailRecord, principalOf } from './knowledge';
import type { CompiledRule, Rule, StatefulSpec } from './rules';
import { envelopeOf } from './rules';

export type MaybePromise<T> = T | Promise<T>;

/** Where counters live. Methods may be synchronous (memory) or asynchronous (DynamoDB). */
export interface CounterStore {
  /** Adds `by` to the counter of `key` in `bucket`; the entry may be dropped after `expiresAtMs`. */
  increment(key: string, bucket: number, by: number, expiresAtMs: number): MaybePromise<void>;
  /** Adds `member` to the set of `key` in `bucket`. */
  addMember(key: string, bucket: number, member: string, expiresAtMs: number): MaybePromise<void>;
  /** The non-empty counters of `key` in buckets `from..to` (inclusive), as [bucket, count]. */
  counts(key: string, fromBucket: number, toBucket: number): MaybePromise<[number, number][]>;
  /** The non-empty sets of `key` in buckets `from..to` (inclusive), as [bucket, members]. */
  members(key: string, fromBucket: number, toBucket: number): MaybePromise<[number, string[]][]>;
  /** True the first time `id` is claimed (until it expires): one alert per window. */
  claim(id: string, expiresAtMs: number): MaybePromise<boolean>;
  /** The event clock moved to `nowMs`: a store may drop entries that expired (optional). */
  advance?(nowMs: number): MaybePromise<void>;
}

interface Bucketed<T> {
  expiresAt: number;
  value: T;
}

/** The in-memory store of `bks hunt`: bounded by eviction on the event clock. */
export class MemoryCounterStore implements CounterStore {
  private readonly countMap = new Map<string, Map<number, Bucketed<number>>>();
  private readonly sets = new Map<string, Map<number, Bucketed<Set<string>>>>();
  private readonly claims = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly sweepEveryMs = 60_000) {}

  increment(key: string, bucket: number, by: number, expiresAtMs: number): void {
    let buckets = this.countMap.get(key);
    if (!buckets) {
      buckets = new Map();
      this.countMap.set(key, buckets);
    }
    const b = buckets.get(bucket);
    if (b) {
      b.value += by;
      b.expiresAt = Math.max(b.expiresAt, expiresAtMs);
    } else {
      buckets.set(bucket, { expiresAt: expiresAtMs, value: by });
    }
  }

  addMember(key: string, bucket: number, member: string, expiresAtMs: number): void {
    let buckets = this.sets.get(key);
    if (!buckets) {
      buckets = new Map();
      this.sets.set(key, buckets);
    }
    const b = buckets.get(bucket);
    if (b) {
      b.value.add(member);
      b.expiresAt = Math.max(b.expiresAt, expiresAtMs);
    } else {
      buckets.set(bucket, { expiresAt: expiresAtMs, value: new Set([member]) });
    }
  }

  counts(key: string, from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    const buckets = this.countMap.get(key);
    if (buckets) for (const [b, v] of buckets) if (b >= from && b <= to) out.push([b, v.value]);
    return out;
  }

  members(key: string, from: number, to: number): [number, string[]][] {
    const out: [number, string[]][] = [];
    const buckets = this.sets.get(key);
    if (buckets) for (const [b, v] of buckets) if (b >= from && b <= to) out.push([b, [...v.value]]);
    return out;
  }

  claim(id: string, expiresAtMs: number): boolean {
    if (this.claims.has(id)) return false;
    this.claims.set(id, expiresAtMs);
    return true;
  }

  advance(nowMs: number): void {
    if (nowMs - this.lastSweep < this.sweepEveryMs) return;
    this.lastSweep = nowMs;
    for (const map of [this.countMap, this.sets] as Map<string, Map<number, Bucketed<unknown>>>[]) {
      for (const [key, buckets] of map) {
        for (const [b, v] of buckets) if (v.expiresAt <= nowMs) buckets.delete(b);
        if (buckets.size === 0) map.delete(key);
      }
    }
    for (const [id, exp] of this.claims) if (exp <= nowMs) this.claims.delete(id);
  }

  /** Entries held (for tests and the benchmark's memory check). */
  size(): number {
    let n = this.claims.size;
    for (const m of [this.countMap, this.sets] as Map<string, Map<number, unknown>>[])
      for (const b of m.values()) n += b.size;
    return n;
  }
}

/** Per-run overrides of a stateful rule's settings, by rule id or by stateful type. */
export type StatefulOverrides = Partial<Record<string, { threshold?: number; windowSeconds?: number }>>;

export interface StatefulMatch {
  rule: Rule;
  spec: StatefulSpec;
  principal: string;
  /** The event that reached the threshold. */
  record: CloudTrailRecord;
  /** The count (or number of distinct regions) at that event. */
  value: number;
  /** Distinct regions, for `distinct-regions`. */
  regions?: string[];
}

export interface StatefulOptions {
  store?: CounterStore;
  /** Keyed by rule id (`BKS-017`) or by type (`count`, `distinct-regions`); rule id wins. */
  overrides?: StatefulOverrides;
  bucketsPerWindow?: number;
}

interface Active {
  compiled: CompiledRule;
  spec: StatefulSpec;
  windowMs: number;
  bucketMs: number;
  buckets: number;
}

const NO_MATCHES: StatefulMatch[] = [];

const then = <T, U>(v: MaybePromise<T>, f: (t: T) => MaybePromise<U>): MaybePromise<U> =>
  v instanceof Promise ? v.then(f) : f(v);

/** The stateful half of the rule set: feed it every record, in any order, and collect matches. */
export class StatefulEngine {
  readonly store: CounterStore;
  private readonly active: Active[];
  private clock = Number.NEGATIVE_INFINITY;
  /**
   * What each window that fired went on to reach: a later event of the same window does not fire
   * again (the match stays as it was when it crossed), but `reached(match)` tells a batch reader
   * (`bks hunt`) the whole window — 3 regions, not the 2 that crossed the threshold.
   */
  private readonly fired = new Map<string, { value: number; regions?: string[] }>();
  private readonly reachedBy = new WeakMap<StatefulMatch, { value: number; regions?: string[] }>();

  /** The value (and regions) the match's window reached by the last event observed so far. */
  reached(match: StatefulMatch): { value: number; regions?: string[] } {
    const r = this.reachedBy.get(match);
    return r ? { ...r } : { value: match.value, ...(match.regions ? { regions: match.regions } : {}) };
  }

  constructor(rules: readonly CompiledRule[], opts: StatefulOptions = {}) {
    this.store = opts.store ?? new MemoryCounterStore();
    const n = opts.bucketsPerWindow ?? 10;
    this.active = rules
      .filter((c) => c.rule.kind === 'stateful' && c.rule.stateful)
      .map((compiled) => {
        const base = compiled.rule.stateful as StatefulSpec;
        const o = { ...opts.overrides?.[base.type], ...opts.overrides?.[compiled.rule.id] };
        const spec = {
          ...base,
          ...(o.threshold ? { threshold: o.threshold } : {}),
          ...(o.windowSeconds ? { windowSeconds: o.windowSeconds } : {}),
        } as StatefulSpec;
        const windowMs = spec.windowSeconds * 1000;
        const bucketMs = Math.max(1000, Math.floor(windowMs / n));
        return { compiled, spec, windowMs, bucketMs, buckets: Math.ceil(windowMs / bucketMs) };
      });
  }

  /** The settings in effect (after overrides), by rule id. */
  settings(): Record<string, StatefulSpec> {
    return Object.fromEntries(this.active.map((a) => [a.compiled.rule.id, a.spec]));
  }

  /** Observes one record; returns the stateful matches it triggers (sync with a sync store). */
  observe(
    record: CloudTrailRecord,
    envelope: Record<string, unknown> = envelopeOf(record),
  ): MaybePromise<StatefulMatch[]> {
    let hits: Active[] | undefined;
    for (const a of this.active) {
      if (!a.compiled.test(envelope)) continue;
      if (!hits) hits = [];
      hits.push(a);
    }
    if (!hits) return NO_MATCHES;
    const t = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : Number.NaN;
    if (Number.isNaN(t)) return NO_MATCHES;
    let advanced: MaybePromise<void>;
    if (t > this.clock) {
      this.clock = t;
      advanced = this.store.advance?.(t);
    } else {
      advanced = undefined;
    }
    const principal = principalOf(record);
    const out: StatefulMatch[] = [];
    const steps = hits.map(
      (a) => () => then(this.step(a, record, principal, t), (m) => void (m && out.push(m))),
    );
    let chain: MaybePromise<void> = advanced;
    for (const step of steps) chain = then(chain, step);
    return then(chain, () => out);
  }

  private step(
    a: Active,
    record: CloudTrailRecord,
    principal: string,
    t: number,
  ): MaybePromise<StatefulMatch | undefined> {
    const key = `${a.compiled.rule.id}|${principal}`;
    const bucket = Math.floor(t / a.bucketMs);
    // Every window of `buckets` buckets that contains this event starts between bucket-n+1 and bucket.
    const from = bucket - a.buckets + 1;
    const to = bucket + a.buckets - 1;
    const expiresAt = (bucket + a.buckets) * a.bucketMs + a.windowMs;
    const fire = (value: number, regions?: string[]): MaybePromise<StatefulMatch | undefined> => {
      if (value < a.spec.threshold) return undefined;
      const windowIndex = Math.floor(t / a.windowMs);
      const claimKey = `${key}|${windowIndex}`;
      return then(this.store.claim(claimKey, (windowIndex + 2) * a.windowMs), (first) => {
        if (first) {
          const m: StatefulMatch = {
            rule: a.compiled.rule,
            spec: a.spec,
            principal,
            record,
            value,
            ...(regions ? { regions } : {}),
          };
          const reached = { value, ...(regions ? { regions } : {}) };
          this.fired.set(claimKey, reached);
          this.reachedBy.set(m, reached);
          return m;
        }
        const reached = this.fired.get(claimKey);
        if (reached && value > reached.value) {
          reached.value = value;
          if (regions) reached.regions = regions;
        }
        return undefined;
      });
    };
    if (a.spec.type === 'count') {
      return then(this.store.increment(key, bucket, 1, expiresAt), () =>
        then(this.store.counts(key, from, to), (rows) => {
          const byBucket = new Map(rows);
          let best = 0;
          for (let start = from; start <= bucket; start++) {
            let sum = 0;
            for (let b = start; b < start + a.buckets; b++) sum += byBucket.get(b) ?? 0;
            if (sum > best) best = sum;
          }
          return fire(best);
        }),
      );
    }
    const region = typeof record.awsRegion === 'string' ? record.awsRegion : 'unknown';
    return then(this.store.addMember(key, bucket, region, expiresAt), () =>
      then(this.store.members(key, from, to), (rows) => {
        const byBucket = new Map(rows);
        let best: string[] = [];
        for (let start = from; start <= bucket; start++) {
          const union = new Set<string>();
          for (let b = start; b < start + a.buckets; b++) for (const m of byBucket.get(b) ?? []) union.add(m);
          if (union.size > best.length) best = [...union];
        }
        return fire(best.length, best.sort());
      }),
    );
  }
}
