/**
 * The paging, retry and merge logic of timeline over an in-memory LookupEvents (the wire is
 * tested against bks-sim in timeline-sim.test.ts; here a throttling pattern is scripted exactly).
 */
import { describe, expect, it } from 'vitest';
import { collectTimeline, type LookupPage } from '../../src/timeline/collect';
import { parseRegions } from '../../src/timeline/regions';
import { callsPerHour, summarize } from '../../src/timeline/summary';
import { trailRecord } from '../helpers/cloudtrail';

function record(id: string, region: string, minute: number, extra: object = {}) {
  return trailRecord(
    {
      account: '123456789012',
      userName: 'BedrockAPIKey-h42z',
      region,
      time: new Date(Date.UTC(2026, 10, 20, 10, minute)),
      id,
      sourceIp: '198.51.100.7',
      userAgent: 'curl/8',
    },
    { additionalEventData: { callWithBearerToken: 'true' }, ...extra },
  );
}

/** Pages of `perPage` from a list; `throttle(callNo)` decides which calls answer ThrottlingException. */
function fakeLookup(data: Record<string, object[]>, perPage: number, throttle: (n: number) => boolean) {
  let n = 0;
  const calls: string[] = [];
  const lookup: LookupPage = async (input) => {
    n++;
    calls.push(`${input.region}:${input.attributeKey}:${input.nextToken ?? '-'}`);
    if (throttle(n)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const all = data[`${input.region}:${input.attributeKey}`] ?? [];
    const start = Number(input.nextToken ?? 0);
    const slice = all.slice(start, start + perPage);
    return {
      events: slice.map((r) => ({
        EventId: (r as { eventID: string }).eventID,
        CloudTrailEvent: JSON.stringify(r),
      })),
      nextToken: start + perPage < all.length ? String(start + perPage) : undefined,
    };
  };
  return { lookup, calls };
}

describe('collectTimeline', () => {
  it('retries throttled pages until every event is in, and merges both lookups by eventId', async () => {
    const east = Array.from({ length: 7 }, (_, i) => record(`e${i}`, 'us-east-1', i));
    const data = {
      'us-east-1:Username': east,
      'us-east-1:AccessKeyId': [east[2], east[3], record('k1', 'us-east-1', 30)],
      'eu-west-1:Username': [record('w1', 'eu-west-1', 5, { additionalEventData: {} })],
    };
    const { lookup, calls } = fakeLookup(data as Record<string, object[]>, 2, (n) => n % 3 === 0);
    const result = await collectTimeline({
      regions: ['us-east-1', 'eu-west-1'],
      lookups: [
        { attributeKey: 'Username', attributeValue: 'BedrockAPIKey-h42z' },
        { attributeKey: 'AccessKeyId', attributeValue: 'AKIAEXAMPLE000000001' },
      ],
      startTime: new Date(0),
      endTime: new Date(),
      lookup,
    });
    expect(result.events.map((e) => e.eventId)).toEqual([
      'e0',
      'e1',
      'e2',
      'e3',
      'e4',
      'e5',
      'w1',
      'e6',
      'k1',
    ]);
    expect(result.regions.every((r) => r.status === 'ok')).toBe(true);
    const east1 = result.regions.find((r) => r.region === 'us-east-1');
    expect(east1?.events).toBe(8);
    const throttled = result.regions.reduce((s, r) => s + r.throttled, 0);
    expect(throttled).toBeGreaterThan(0);
    expect(result.regions.reduce((s, r) => s + r.calls, 0)).toBe(calls.length);
    expect(result.events[0]).toMatchObject({
      bearerToken: true,
      tags: ['invoke', 'bearer-token'],
      sourceIp: '198.51.100.7',
    });
    expect(result.events.find((e) => e.eventId === 'w1')?.bearerToken).toBe(false);
  });

  it('a region that keeps failing is reported as failed, not as empty', async () => {
    const { lookup } = fakeLookup({ 'us-east-1:Username': [record('e0', 'us-east-1', 0)] }, 50, () => false);
    const failing: LookupPage = async (input) => {
      if (input.region === 'eu-west-1')
        throw Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' });
      return lookup(input);
    };
    const result = await collectTimeline({
      regions: ['us-east-1', 'eu-west-1'],
      lookups: [{ attributeKey: 'Username', attributeValue: 'u' }],
      startTime: new Date(0),
      endTime: new Date(),
      lookup: failing,
    });
    expect(result.regions).toMatchObject([
      { region: 'us-east-1', status: 'ok', events: 1 },
      { region: 'eu-west-1', status: 'error', error: expect.stringMatching(/not authorized/) },
    ]);
    expect(summarize(result.events, result.regions).failedRegions).toEqual(['eu-west-1']);
  });

  it('gives up on endless throttling after the retry budget and says so', async () => {
    const { lookup } = fakeLookup({}, 50, () => true);
    const result = await collectTimeline({
      regions: ['us-east-1'],
      lookups: [{ attributeKey: 'Username', attributeValue: 'u' }],
      startTime: new Date(0),
      endTime: new Date(),
      lookup,
      options: { maxThrottleRetries: 3 },
    });
    expect(result.regions[0]).toMatchObject({ status: 'error', calls: 4, throttled: 4 });
  });
});

describe('summaries', () => {
  it('counts calls per hour per region', () => {
    const events = [
      { eventId: 'a', time: '2026-11-20T10:05:00Z', region: 'us-east-1' },
      { eventId: 'b', time: '2026-11-20T10:55:00Z', region: 'us-east-1' },
      { eventId: 'c', time: '2026-11-20T11:00:00Z', region: 'eu-west-1' },
    ].map((e) => ({ ...e, eventName: 'x', eventSource: 'y', bearerToken: false, tags: [] }));
    expect(callsPerHour(events)).toEqual([
      { hour: '2026-11-20T10:00:00.000Z', region: 'us-east-1', count: 2 },
      { hour: '2026-11-20T11:00:00.000Z', region: 'eu-west-1', count: 1 },
    ]);
  });
});

describe('parseRegions', () => {
  it('all = the partition default-enabled regions; opt-in regions by name', () => {
    expect(parseRegions('all', 'aws')).toHaveLength(17);
    expect(parseRegions(undefined, 'aws-us-gov')).toEqual(['us-gov-west-1', 'us-gov-east-1']);
    expect(parseRegions('all,me-central-1', 'aws')).toContain('me-central-1');
    expect(() => parseRegions('us-east-1,nowhere', 'aws')).toThrow(/"nowhere" is not a region/);
    expect(() => parseRegions('cn-north-1', 'aws')).toThrow(/not in partition aws/);
  });
});
