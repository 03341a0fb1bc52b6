/**
 * `timeline`: resolve what the responder typed to the lookups that matter, then collect every
 * region in parallel. CloudTrail calls go through src/aws (one token bucket per region at
 * 2 requests/s, call counting); the SDK's own retries are off for them so that a throttled page is
 * re-asked by ./collect through the bucket at once, instead of sleeping a backoff while the
 * region's budget goes unused.
 */
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { paginateListAccessKeys } from '@aws-sdk/client-iam';
import { type AwsContext, createAws } from '../aws';
import { UsageError } from '../errors';
import { decodeKey, unwrapKeyText } from '../keys';
import { looksLikeKey } from '../response/target';
import { isNoSuchEntity } from '../response/user-state';
import {
  type CollectOptions,
  collectTimeline,
  type LookupAttributeKey,
  type LookupPage,
  type RegionOutcome,
  type TimelineEvent,
} from './collect';
import { summarize, type TimelineSummary } from './summary';

export const MAX_DAYS = 90;

export interface TimelineTarget {
  kind: 'user' | 'long-term-key' | 'short-term-key' | 'access-key';
  /** User name, key alias or access key id (never a key). */
  label: string;
  userName?: string;
  accessKeyIds: string[];
  /** A short-term key's own region (where its calls, and so its signer, are logged). */
  region?: string;
  notes: string[];
}

/** What a timeline cannot show whatever it finds: a kind of event LookupEvents never returns. */
export interface NotRead {
  /** The kind of event (`data events`). */
  events: string;
  /** The identity's calls that are of that kind, for people. */
  calls: string;
  /** Why the timeline does not have them. */
  reason: string;
  /** Where they can be read instead. */
  readWith: string;
}

/**
 * CloudTrail's event history, which LookupEvents reads, "supports only management events"
 * (CloudTrail user guide, "Logging management events"); data events exist only where a trail or an
 * event data store selected them. bedrock-mantle logs its inference and file calls as data events
 * (Bedrock user guide, "Monitor bedrock-mantle API calls using CloudTrail"), Bedrock its agent,
 * knowledge-base, flow, guardrail and prompt calls (`src/pipeline/data-events.ts`). Whether a key
 * made such calls is therefore UNKNOWN to every timeline: it says so instead of counting them as 0.
 */
export const DATA_EVENTS_NOT_READ: NotRead = {
  events: 'data events',
  calls:
    'bedrock-mantle inference and file calls (CreateInference, CountTokens, CreateFile, …) and Bedrock agent, knowledge-base, flow, guardrail and prompt calls',
  reason: 'CloudTrail LookupEvents returns management events only',
  readWith:
    'the log files of a trail whose data-event selectors select them (bks coverage: cloudtrail.data.*), read with bks hunt',
};

export interface TimelineResult {
  target: TimelineTarget;
  window: { start: string; end: string; days: number };
  lookups: { attributeKey: LookupAttributeKey; attributeValue: string }[];
  regions: RegionOutcome[];
  events: TimelineEvent[];
  summary: TimelineSummary;
  /** LookupEvents calls made (every attempt), and the throttled ones among them. */
  calls: number;
  throttled: number;
  /** What the timeline could not read at all (UNKNOWN, never "0 calls"). */
  notRead: NotRead[];
}

const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z2-7]{16}$/;
const IAM_USER_NAME = /^[\w+=,.@-]{1,64}$/;

/** What to look up for USER | KEY | ACCESS_KEY_ID (the user's access keys are read from IAM). */
export async function resolveTimelineTarget(aws: AwsContext, text: string): Promise<TimelineTarget> {
  const t = unwrapKeyText(text);
  if (looksLikeKey(t)) {
    const key = decodeKey(t);
    if (key.kind === 'short-term') {
      return {
        kind: 'short-term-key',
        label: key.accessKeyId,
        accessKeyIds: [key.accessKeyId],
        region: key.region,
        notes: [],
      };
    }
    const target = await userTarget(aws, key.userName);
    return {
      ...target,
      kind: 'long-term-key',
      label: key.alias,
      notes: [
        ...target.notes,
        'CloudTrail names the user, not which of its API keys made a call: events of all its keys are shown',
      ],
    };
  }
  if (ACCESS_KEY_ID.test(t)) return { kind: 'access-key', label: t, accessKeyIds: [t], notes: [] };
  if (!IAM_USER_NAME.test(t))
    throw new UsageError('expected an IAM user name, an API key or an access key id (AKIA…/ASIA…)');
  return userTarget(aws, t);
}

async function userTarget(aws: AwsContext, userName: string): Promise<TimelineTarget> {
  const ids: string[] = [];
  const notes: string[] = [];
  try {
    for await (const r of paginateListAccessKeys({ client: aws.iam() }, { UserName: userName })) {
      for (const k of r.AccessKeyMetadata ?? []) if (k.AccessKeyId) ids.push(k.AccessKeyId);
    }
  } catch (err) {
    if (!isNoSuchEntity(err)) throw err;
    notes.push(
      `user ${userName} does not exist (any more): searching by its name only; deleted access keys cannot be listed`,
    );
  }
  return { kind: 'user', label: userName, userName, accessKeyIds: ids, notes };
}

/** A LookupEvents page through src/aws, one attempt per call (./collect retries through the limiter). */
export function cloudTrailLookup(aws: AwsContext): LookupPage & { destroy(): void } {
  const single = createAws({
    ...aws.options,
    retry: { maxAttempts: 1 },
    calls: aws.calls,
    limiter: aws.limiter,
  });
  const lookup: LookupPage = async (input) => {
    const r = await single.cloudtrail(input.region).send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: input.attributeKey, AttributeValue: input.attributeValue }],
        StartTime: input.startTime,
        EndTime: input.endTime,
        MaxResults: 50,
        NextToken: input.nextToken,
      }),
    );
    return { events: r.Events ?? [], nextToken: r.NextToken };
  };
  return Object.assign(lookup, { destroy: () => single.destroy() });
}

export async function runTimeline(
  aws: AwsContext,
  target: TimelineTarget,
  opts: { days: number; regions: string[]; now?: Date; lookup?: LookupPage; collect?: CollectOptions },
): Promise<TimelineResult> {
  const end = opts.now ?? new Date();
  const start = new Date(end.getTime() - opts.days * 86_400_000);
  const lookups = [
    ...(target.userName ? [{ attributeKey: 'Username' as const, attributeValue: target.userName }] : []),
    ...target.accessKeyIds.map((id) => ({ attributeKey: 'AccessKeyId' as const, attributeValue: id })),
  ];
  const own = opts.lookup ? undefined : cloudTrailLookup(aws);
  const collected = await collectTimeline({
    regions: opts.regions,
    lookups,
    startTime: start,
    endTime: end,
    lookup: opts.lookup ?? (own as LookupPage),
    options: opts.collect,
  }).finally(() => own?.destroy());
  return {
    target,
    window: { start: start.toISOString(), end: end.toISOString(), days: opts.days },
    lookups,
    regions: collected.regions,
    events: collected.events,
    summary: summarize(collected.events, collected.regions),
    calls: collected.regions.reduce((s, r) => s + r.calls, 0),
    throttled: collected.regions.reduce((s, r) => s + r.throttled, 0),
    notRead: [DATA_EVENTS_NOT_READ],
  };
}
