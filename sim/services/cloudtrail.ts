/**
 * CloudTrail (JSON 1.1, `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.*`): LookupEvents
 * over the account's event history in the request's region, as AWS answers it: one lookup
 * attribute at most, StartTime/EndTime inclusive, a 90-day window, MaxResults 1..50 (default 50),
 * NextToken bound to the query, newest first, `CloudTrailEvent` as the record's JSON text.
 */
import {
  EventStore,
  LOOKUP_ATTRIBUTE_KEYS,
  type LookupAttributeKey,
  type LookupQuery,
  queryDigest,
} from '../cloudtrail';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

const NINETY_DAYS_MS = 90 * 24 * 3600 * 1000;

/** The event index of a simulator context (one per context, synced with the state lazily). */
export function eventIndex(ctx: SimContext): EventStore {
  let store = ctx.scratch.get('cloudtrail:index') as EventStore | undefined;
  if (!store) {
    store = new EventStore();
    ctx.scratch.set('cloudtrail:index', store);
  }
  store.sync(ctx.state);
  return store;
}

/** A JSON-protocol timestamp (epoch seconds, possibly fractional) or an ISO string, as ms. */
function timestampMs(v: unknown, member: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new SimError('SerializationException', `Cannot parse ${member} as a timestamp`, 400);
  }
  return ms;
}

interface TokenBody {
  t: number;
  s: number;
  d: string;
}

function encodeToken(pos: { time: number; seq: number }, digest: string): string {
  return Buffer.from(JSON.stringify({ t: pos.time, s: pos.seq, d: digest } satisfies TokenBody)).toString(
    'base64',
  );
}

function decodeToken(token: string, digest: string): { time: number; seq: number } {
  let body: Partial<TokenBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Partial<TokenBody>;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.t !== 'number' || typeof body.s !== 'number' || body.d !== digest) {
    throw new SimError('InvalidNextTokenException', 'Invalid next token.', 400);
  }
  return { time: body.t, seq: body.s };
}

function lookupEvents(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const attrs = p.LookupAttributes;
  let attribute: LookupQuery['attribute'];
  if (attrs !== undefined && attrs !== null) {
    if (!Array.isArray(attrs)) {
      throw new SimError('InvalidLookupAttributesException', 'LookupAttributes must be a list.', 400);
    }
    if (attrs.length > 1) {
      throw new SimError(
        'InvalidLookupAttributesException',
        'You can only specify one lookup attribute per request.',
        400,
      );
    }
    const a = attrs[0] as { AttributeKey?: unknown; AttributeValue?: unknown } | undefined;
    if (a) {
      if (!LOOKUP_ATTRIBUTE_KEYS.includes(a.AttributeKey as LookupAttributeKey)) {
        throw new SimError(
          'InvalidLookupAttributesException',
          `Invalid attribute key ${JSON.stringify(a.AttributeKey)}. Valid keys: ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}.`,
          400,
        );
      }
      if (
        typeof a.AttributeValue !== 'string' ||
        a.AttributeValue.length < 1 ||
        a.AttributeValue.length > 2000
      ) {
        throw new SimError(
          'InvalidLookupAttributesException',
          'The attribute value must be between 1 and 2000 characters.',
          400,
        );
      }
      attribute = { key: a.AttributeKey as LookupAttributeKey, value: a.AttributeValue };
    }
  }

  let maxResults = 50;
  if (p.MaxResults !== undefined && p.MaxResults !== null) {
    const m = Number(p.MaxResults);
    if (!Number.isInteger(m) || m < 1 || m > 50) {
      throw new SimError(
        'InvalidMaxResultsException',
        'The maximum results value must be between 1 and 50.',
        400,
      );
    }
    maxResults = m;
  }

  const startIn = timestampMs(p.StartTime, 'StartTime');
  const endIn = timestampMs(p.EndTime, 'EndTime');
  if (startIn !== undefined && endIn !== undefined && startIn > endIn) {
    throw new SimError('InvalidTimeRangeException', 'Start time must be before end time.', 400);
  }
  const floor = ctx.nowMs() - NINETY_DAYS_MS;
  const start = Math.max(startIn ?? floor, floor);
  const end = endIn;

  if (p.EventCategory !== undefined && p.EventCategory !== null && p.EventCategory !== 'insight') {
    throw new SimError('InvalidEventCategoryException', 'The event category is not valid.', 400);
  }
  // Insights events: the simulator has none.
  if (p.EventCategory === 'insight') return { Events: [] };

  const digest = queryDigest([attribute?.key, attribute?.value, startIn ?? null, endIn ?? null]);
  const after =
    typeof p.NextToken === 'string' && p.NextToken !== '' ? decodeToken(p.NextToken, digest) : undefined;
  if (p.NextToken !== undefined && p.NextToken !== null && typeof p.NextToken !== 'string') {
    throw new SimError('InvalidNextTokenException', 'Invalid next token.', 400);
  }

  const page = eventIndex(ctx).lookup(req.caller.account, req.region, {
    attribute,
    start,
    end,
    maxResults,
    after,
  });
  const out: { Events: unknown[]; NextToken?: string } = { Events: page.events };
  if (page.next) out.NextToken = encodeToken(page.next, digest);
  return out;
}

export const cloudtrail: ServiceModule = {
  service: 'cloudtrail',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
  throttlingCode: 'ThrottlingException',
  eventSource: 'cloudtrail.amazonaws.com',
  actions: { LookupEvents: lookupEvents },
  // LookupEvents is read-only; the simulator does not record its own lookups (they would flood the
  // history that timelines read).
  management: () => undefined,
};
