/**
 * What an identity did, from CloudTrail LookupEvents, in every region at once. Each region pages
 * through every lookup that matters (Username for a user, AccessKeyId for each access key and for
 * short-term keys) under its own 2 requests/s budget (the lookup function given here is already
 * rate limited per region). A throttled page is asked again — same NextToken — until it answers,
 * so no event is lost to throttling; a region that still fails is reported as failed, never as
 * "no events". Events are merged and de-duplicated by eventId, and tagged by src/detect's
 * `tagEvent` (the same tables the detection rules are built from).
 */
import { type CloudTrailRecord, isBearerTokenCall, tagEvent } from '../detect/knowledge';
import { describeError } from '../errors';
import { maskKeysDeep } from '../keys/mask';

export type LookupAttributeKey = 'Username' | 'AccessKeyId';

export interface LookupPageInput {
  region: string;
  attributeKey: LookupAttributeKey;
  attributeValue: string;
  startTime: Date;
  endTime: Date;
  nextToken?: string;
}

export interface LookupPageOutput {
  events: { EventId?: string; CloudTrailEvent?: string }[];
  nextToken?: string;
}

/** One LookupEvents call (MaxResults 50), already paced within the region's rate limit. */
export type LookupPage = (input: LookupPageInput) => Promise<LookupPageOutput>;

export interface TimelineEvent {
  eventId: string;
  time: string;
  region: string;
  eventName: string;
  eventSource: string;
  sourceIp?: string;
  userAgent?: string;
  errorCode?: string;
  bearerToken: boolean;
  tags: string[];
  /** `userIdentity.arn` (or type) of the caller. */
  actor?: string;
  accessKeyId?: string;
  /** The model a Bedrock runtime call named (`requestParameters.modelId`). */
  modelId?: string;
}

export interface RegionOutcome {
  region: string;
  status: 'ok' | 'error';
  events: number;
  /** LookupEvents calls made, throttled answers among them, pages read. */
  calls: number;
  throttled: number;
  pages: number;
  error?: string;
}

/** A region's outcome in the JSON documents (`bks.timeline/v1`, `bks.report/v1`): no call counts. */
export type RegionOutcomeJson = Pick<RegionOutcome, 'region' | 'status' | 'events' | 'error'>;

export function regionOutcomesJson(regions: readonly RegionOutcome[]): RegionOutcomeJson[] {
  return regions.map((x) => ({
    region: x.region,
    status: x.status,
    events: x.events,
    ...(x.error ? { error: x.error } : {}),
  }));
}

export interface CollectOptions {
  /** Throttled answers tolerated per page before the region is declared failed. */
  maxThrottleRetries?: number;
  /** Other retryable errors (5xx, network) per page. */
  maxErrorRetries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Collected {
  events: TimelineEvent[];
  regions: RegionOutcome[];
}

export function isThrottle(err: unknown): boolean {
  const e = err as {
    name?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
  };
  return (
    e?.$retryable?.throttling === true ||
    ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded'].includes(
      e?.name ?? '',
    ) ||
    e?.$metadata?.httpStatusCode === 429
  );
}

function isTransient(err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; code?: string; name?: string };
  const status = e?.$metadata?.httpStatusCode;
  return (
    (status !== undefined && status >= 500) ||
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(e?.code ?? '') ||
    e?.name === 'TimeoutError'
  );
}

/** A CloudTrail record (as LookupEvents returns it, JSON text) as a timeline event. */
export function toTimelineEvent(
  record: Record<string, unknown>,
  region: string,
  fallbackId: string | undefined,
): TimelineEvent | undefined {
  const id = (record.eventID as string | undefined) ?? fallbackId;
  if (!id) return undefined;
  const ui = (record.userIdentity ?? {}) as { arn?: string; type?: string; accessKeyId?: string };
  const modelId = (record.requestParameters as { modelId?: unknown } | null | undefined)?.modelId;
  return {
    eventId: id,
    time: String(record.eventTime ?? ''),
    region: String(record.awsRegion ?? region),
    eventName: String(record.eventName ?? ''),
    eventSource: String(record.eventSource ?? ''),
    sourceIp: record.sourceIPAddress as string | undefined,
    userAgent: record.userAgent as string | undefined,
    errorCode: record.errorCode as string | undefined,
    bearerToken: isBearerTokenCall(record as CloudTrailRecord),
    tags: tagEvent(record as CloudTrailRecord),
    actor: ui.arn ?? ui.type,
    accessKeyId: ui.accessKeyId,
    ...(typeof modelId === 'string' && modelId !== '' ? { modelId } : {}),
  };
}

async function fetchLookup(
  lookup: LookupPage,
  input: Omit<LookupPageInput, 'nextToken'>,
  outcome: RegionOutcome,
  opts: Required<CollectOptions>,
  sink: (e: { EventId?: string; CloudTrailEvent?: string }) => void,
): Promise<void> {
  let nextToken: string | undefined;
  do {
    let throttles = 0;
    let errors = 0;
    for (;;) {
      outcome.calls++;
      try {
        const page = await lookup({ ...input, nextToken });
        outcome.pages++;
        for (const e of page.events) sink(e);
        nextToken = page.nextToken;
        break;
      } catch (err) {
        if (isThrottle(err) && throttles < opts.maxThrottleRetries) {
          throttles++;
          outcome.throttled++;
          continue; // the limiter paces the retry; the same page is asked again
        }
        if (isTransient(err) && errors < opts.maxErrorRetries) {
          errors++;
          await opts.sleep(200 * 2 ** errors * (0.5 + Math.random()));
          continue;
        }
        if (isThrottle(err)) outcome.throttled++;
        throw err;
      }
    }
  } while (nextToken);
}

export async function collectTimeline(input: {
  regions: readonly string[];
  lookups: readonly { attributeKey: LookupAttributeKey; attributeValue: string }[];
  startTime: Date;
  endTime: Date;
  lookup: LookupPage;
  options?: CollectOptions;
}): Promise<Collected> {
  const opts: Required<CollectOptions> = {
    maxThrottleRetries: input.options?.maxThrottleRetries ?? 50,
    maxErrorRetries: input.options?.maxErrorRetries ?? 4,
    sleep: input.options?.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  };
  const byId = new Map<string, TimelineEvent>();
  const regions = await Promise.all(
    input.regions.map(async (region): Promise<RegionOutcome> => {
      const outcome: RegionOutcome = { region, status: 'ok', events: 0, calls: 0, throttled: 0, pages: 0 };
      const seen = new Set<string>();
      try {
        await Promise.all(
          input.lookups.map((l) =>
            fetchLookup(
              input.lookup,
              { region, ...l, startTime: input.startTime, endTime: input.endTime },
              outcome,
              opts,
              (raw) => {
                let record: Record<string, unknown> = {};
                try {
                  // A key a caller put in any field (user agent, parameters) is never printed.
                  record = maskKeysDeep(JSON.parse(raw.CloudTrailEvent ?? '{}') as Record<string, unknown>);
                } catch {
                  record = {};
                }
                const ev = toTimelineEvent(record, region, raw.EventId);
                if (!ev || seen.has(ev.eventId)) return;
                seen.add(ev.eventId);
                if (!byId.has(ev.eventId)) byId.set(ev.eventId, ev);
              },
            ),
          ),
        );
      } catch (err) {
        outcome.status = 'error';
        outcome.error = describeError(err);
      }
      outcome.events = seen.size;
      return outcome;
    }),
  );
  const events = [...byId.values()].sort(
    (a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId),
  );
  return { events, regions };
}
