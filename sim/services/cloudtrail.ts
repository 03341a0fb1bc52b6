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
import { type SimTrail, trailsCovering, type VisibleTrail } from '../trails';

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

// ---------------------------------------------------------------------------------------------
// Trails: DescribeTrails, GetTrailStatus, GetEventSelectors, answered from `accounts[].cloudtrail`

/** Trails a caller sees in a region: its own trails of that home region, and (shadow) multi-region
 * and organization trails of other home regions. */
function visibleTrails(ctx: SimContext, req: SimRequest, shadows: boolean): VisibleTrail[] {
  return trailsCovering(ctx.state, req.caller.account).filter(({ trail, owner }) => {
    if (trail.HomeRegion === req.region && owner === req.caller.account) return true;
    if (!shadows) return false;
    return trail.IsMultiRegionTrail || trail.HomeRegion === req.region;
  });
}

/** A trail's DescribeTrails object (without the simulator's status and selector members). */
function describeTrail(trail: SimTrail): Record<string, unknown> {
  const { IsLogging: _l, EventSelectors: _e, AdvancedEventSelectors: _a, ...rest } = trail;
  return rest;
}

/**
 * The trail a `Name`/`TrailName` names: a name finds the caller's own trail of this home region
 * only; a shadow trail (another home region) or an organization trail needs its ARN, as on AWS.
 */
function resolveTrail(ctx: SimContext, req: SimRequest, member: string): SimTrail {
  const name = req.params[member];
  if (typeof name !== 'string' || name === '') {
    throw new SimError(
      'InvalidTrailNameException',
      `Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).`,
      400,
    );
  }
  const isArn = name.startsWith('arn:');
  if (isArn && !/^arn:[\w-]+:cloudtrail:[a-z0-9-]+:\d{12}:trail\/.+$/.test(name)) {
    throw new SimError('CloudTrailARNInvalidException', `${name} is not a valid trail ARN.`, 400);
  }
  const found = visibleTrails(ctx, req, true).find(({ trail, owner }) =>
    isArn
      ? trail.TrailARN === name
      : trail.Name === name && trail.HomeRegion === req.region && owner === req.caller.account,
  );
  if (!found) {
    throw new SimError(
      'TrailNotFoundException',
      `Unknown trail: ${name} for the user: ${req.caller.account}`,
      400,
    );
  }
  return found.trail;
}

function describeTrails(ctx: SimContext, req: SimRequest): unknown {
  const names = req.params.trailNameList;
  if (names !== undefined && names !== null && !Array.isArray(names)) {
    throw new SimError('InvalidTrailNameException', 'trailNameList must be a list.', 400);
  }
  const shadows = req.params.includeShadowTrails !== false;
  let list = visibleTrails(ctx, req, shadows);
  if (Array.isArray(names) && names.length > 0) {
    list = list.filter(({ trail, owner }) =>
      (names as unknown[]).some(
        (n) =>
          n === trail.TrailARN ||
          (n === trail.Name && trail.HomeRegion === req.region && owner === req.caller.account),
      ),
    );
  }
  return { trailList: list.map(({ trail }) => describeTrail(trail)) };
}

function getTrailStatus(ctx: SimContext, req: SimRequest): unknown {
  const trail = resolveTrail(ctx, req, 'Name');
  const out: Record<string, unknown> = { IsLogging: trail.IsLogging };
  if (trail.IsLogging) {
    const started = new Date(Date.parse(ctx.state.now) - 24 * 3600 * 1000);
    out.StartLoggingTime = started;
    out.TimeLoggingStarted = started.toISOString();
    out.LatestDeliveryTime = new Date(ctx.nowMs() - 5 * 60 * 1000);
  } else {
    out.StopLoggingTime = new Date(Date.parse(ctx.state.now) - 3600 * 1000);
  }
  return out;
}

function getEventSelectors(ctx: SimContext, req: SimRequest): unknown {
  const trail = resolveTrail(ctx, req, 'TrailName');
  if (trail.AdvancedEventSelectors && trail.AdvancedEventSelectors.length > 0) {
    return { TrailARN: trail.TrailARN, AdvancedEventSelectors: trail.AdvancedEventSelectors };
  }
  return { TrailARN: trail.TrailARN, EventSelectors: trail.EventSelectors ?? [] };
}

export const cloudtrail: ServiceModule = {
  service: 'cloudtrail',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
  throttlingCode: 'ThrottlingException',
  eventSource: 'cloudtrail.amazonaws.com',
  actions: {
    LookupEvents: lookupEvents,
    DescribeTrails: describeTrails,
    GetTrailStatus: getTrailStatus,
    GetEventSelectors: getEventSelectors,
  },
  // Read-only; the simulator does not record its own CloudTrail reads (they would flood the
  // history that timelines read).
  management: () => undefined,
};
