/** Summaries of a timeline: per region, first/last seen, source IPs, user agents, tags, calls per hour. */
import type { RegionOutcome, TimelineEvent } from './collect';

export interface Counted {
  value: string;
  count: number;
}

export interface TimelineSummary {
  events: number;
  firstSeen?: string;
  lastSeen?: string;
  bearerTokenEvents: number;
  errors: number;
  sourceIps: Counted[];
  userAgents: Counted[];
  tags: Counted[];
  eventNames: Counted[];
  regions: {
    region: string;
    status: RegionOutcome['status'];
    events: number;
    firstSeen?: string;
    lastSeen?: string;
    error?: string;
  }[];
  failedRegions: string[];
}

function counts(values: (string | undefined)[]): Counted[] {
  const m = new Map<string, number>();
  for (const v of values) if (v) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

export function summarize(events: TimelineEvent[], regions: RegionOutcome[]): TimelineSummary {
  const times = events.map((e) => e.time).sort();
  return {
    events: events.length,
    firstSeen: times[0],
    lastSeen: times[times.length - 1],
    bearerTokenEvents: events.filter((e) => e.bearerToken).length,
    errors: events.filter((e) => e.errorCode).length,
    sourceIps: counts(events.map((e) => e.sourceIp)),
    userAgents: counts(events.map((e) => e.userAgent)),
    tags: counts(events.flatMap((e) => e.tags)),
    eventNames: counts(events.map((e) => e.eventName)),
    regions: regions.map((r) => {
      const mine = events
        .filter((e) => e.region === r.region)
        .map((e) => e.time)
        .sort();
      return {
        region: r.region,
        status: r.status,
        events: mine.length,
        firstSeen: mine[0],
        lastSeen: mine[mine.length - 1],
        ...(r.error ? { error: r.error } : {}),
      };
    }),
    failedRegions: regions.filter((r) => r.status === 'error').map((r) => r.region),
  };
}

/** Calls per hour per region: `{hour (ISO, truncated), region, count}`, for the report's chart. */
export function callsPerHour(events: TimelineEvent[]): { hour: string; region: string; count: number }[] {
  const m = new Map<string, number>();
  for (const e of events) {
    const t = Date.parse(e.time);
    if (Number.isNaN(t)) continue;
    const hour = new Date(Math.floor(t / 3_600_000) * 3_600_000).toISOString();
    const key = `${hour}|${e.region}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m.entries()]
    .map(([k, count]) => {
      const [hour, region] = k.split('|') as [string, string];
      return { hour, region, count };
    })
    .sort((a, b) => a.hour.localeCompare(b.hour) || a.region.localeCompare(b.region));
}
