import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Clock,
  createAws,
  iamUserArn,
  isAccessDenied,
  isActiveAccount,
  JitterRetryStrategy,
  mapLimit,
  parseArn,
  partitionInfo,
  partitionOf,
  RateLimiter,
  selectAccounts,
  sessionNameFor,
  TokenBucket,
} from '../../src/aws';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };

function fakeClock(): Clock & { t: number; slept: number[] } {
  const c = {
    t: 0,
    slept: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.slept.push(ms);
      c.t += ms;
    },
  };
  return c;
}

describe('partitions', () => {
  it.each([
    ['us-east-1', 'aws', 'us-east-1'],
    ['eu-west-3', 'aws', 'us-east-1'],
    ['us-gov-west-1', 'aws-us-gov', 'us-gov-west-1'],
    ['us-gov-east-1', 'aws-us-gov', 'us-gov-west-1'],
    ['cn-northwest-1', 'aws-cn', 'cn-north-1'],
  ])('%s is in %s, IAM home %s', (region, partition, home) => {
    expect(partitionOf(region)).toBe(partition);
    expect(partitionInfo(partitionOf(region)).iamHomeRegion).toBe(home);
  });

  it('builds ARNs in the partition', () => {
    expect(iamUserArn('aws-us-gov', '123456789012', 'BedrockAPIKey-ab12')).toBe(
      'arn:aws-us-gov:iam::123456789012:user/BedrockAPIKey-ab12',
    );
    expect(parseArn('arn:aws-cn:iam::123456789012:user/x')?.partition).toBe('aws-cn');
    const aws = createAws({ region: 'us-gov-west-1', credentials: creds });
    expect(aws.partition).toBe('aws-us-gov');
    expect(aws.homeRegion).toBe('us-gov-west-1');
    expect(aws.arn('securityhub', 'us-gov-west-1', '123456789012', 'x')).toBe(
      'arn:aws-us-gov:securityhub:us-gov-west-1:123456789012:x',
    );
  });

  it('signs IAM for the home region whatever the run region is', async () => {
    const aws = createAws({ region: 'cn-northwest-1', credentials: creds });
    expect(await aws.iam().config.region()).toBe('cn-north-1');
    expect(await aws.cloudtrail().config.region()).toBe('cn-northwest-1');
  });
});

describe('token bucket', () => {
  it('lets a burst through, then spaces calls at the rate, in order', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(2, 2, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([
      0, 0, 500, 1000,
    ]);
    clock.t += 2000;
    expect(bucket.reserve()).toBe(0);
  });

  it('never exceeds the rate over a long run', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ 'cloudtrail:LookupEvents': 2 }, clock);
    for (let i = 0; i < 21; i++)
      await limiter.acquire('111111111111', 'us-east-1', 'cloudtrail', 'LookupEvents');
    // 21 calls at 2/s with a burst of 2: the last goes out after 9.5 s.
    expect(clock.t).toBe(9500);
  });

  it('keys buckets by account and region, and falls back to service:*', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ 'iam:*': 1, 'cloudtrail:LookupEvents': 2 }, clock);
    expect(limiter.limitFor('iam', 'ListUsers')).toBe(1);
    expect(limiter.limitFor('sts', 'AssumeRole')).toBeUndefined();
    await limiter.acquire('a', 'us-east-1', 'cloudtrail', 'LookupEvents');
    await limiter.acquire('a', 'us-east-1', 'cloudtrail', 'LookupEvents');
    await limiter.acquire('a', 'us-west-2', 'cloudtrail', 'LookupEvents');
    await limiter.acquire('b', 'us-east-1', 'cloudtrail', 'LookupEvents');
    expect(clock.t).toBe(0);
    await limiter.acquire('a', 'us-east-1', 'cloudtrail', 'LookupEvents');
    expect(clock.t).toBe(500);
  });

  it('rejects a malformed limit', () => {
    expect(() => new RateLimiter({ LookupEvents: 2 })).toThrow(/service:Operation/);
    expect(() => new RateLimiter({ 'cloudtrail:LookupEvents': 0 })).toThrow();
  });
});

describe('retry strategy', () => {
  it('uses full jitter under a capped exponential ceiling', () => {
    const high = new JitterRetryStrategy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
    expect(high.delayFor(0, { errorType: 'THROTTLING' })).toBe(99);
    expect(high.delayFor(3, { errorType: 'THROTTLING' })).toBe(799);
    expect(high.delayFor(10, { errorType: 'THROTTLING' })).toBe(999);
    expect(high.delayFor(0, { errorType: 'TRANSIENT' })).toBe(19);
    const low = new JitterRetryStrategy({ random: () => 0 });
    expect(low.delayFor(5, { errorType: 'THROTTLING' })).toBe(0);
  });

  it('never retries a client error and stops at maxAttempts', async () => {
    const s = new JitterRetryStrategy({ maxAttempts: 2 });
    const t0 = await s.acquireInitialRetryToken('');
    await expect(s.refreshRetryTokenForRetry(t0, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
    const t1 = await s.refreshRetryTokenForRetry(t0, { errorType: 'THROTTLING' });
    expect(t1.getRetryCount()).toBe(1);
    await expect(s.refreshRetryTokenForRetry(t1, { errorType: 'THROTTLING' })).rejects.toThrow();
  });
});

describe('organizations', () => {
  it('filters on State and reads the retired Status only when State is absent', () => {
    expect(isActiveAccount({ Id: '1', State: 'ACTIVE', Status: 'SUSPENDED' })).toBe(true);
    expect(isActiveAccount({ Id: '1', State: 'SUSPENDED', Status: 'ACTIVE' })).toBe(false);
    expect(isActiveAccount({ Id: '1', State: 'PENDING_CLOSURE' })).toBe(false);
    expect(isActiveAccount({ Id: '1', Status: 'ACTIVE' })).toBe(true);
    expect(isActiveAccount({ Id: '1' })).toBe(false);
  });

  it('applies --accounts and --skip-accounts to active accounts only', () => {
    const all = [
      { id: '111111111111', state: 'ACTIVE' },
      { id: '222222222222', state: 'ACTIVE' },
      { id: '333333333333', state: 'SUSPENDED' },
    ];
    expect(selectAccounts(all).map((a) => a.id)).toEqual(['111111111111', '222222222222']);
    expect(selectAccounts(all, { skip: ['111111111111'] }).map((a) => a.id)).toEqual(['222222222222']);
    expect(selectAccounts(all, { include: ['333333333333', '111111111111'] }).map((a) => a.id)).toEqual([
      '111111111111',
    ]);
  });

  it('names sessions bks-<command>-<timestamp> within the AssumeRole limits', () => {
    const name = sessionNameFor('scan', new Date('2026-11-29T01:02:03.456Z'));
    expect(name).toBe('bks-scan-20261129T010203Z');
    expect(sessionNameFor('x'.repeat(100)).length).toBeLessThanOrEqual(64);
  });

  it('bounds concurrency and keeps order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });
});

// A minimal STS endpoint on the loopback interface, to exercise the middleware wiring over HTTP
// with the real SDK client (no simulator needed): the first `throttle` answers are `Throttling`.
describe('client layer over HTTP', () => {
  let server: Server;
  let url: string;
  let throttle = 0;
  let deny = false;
  let seen = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen++;
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'text/xml');
        const err = (code: string, status: number) => {
          res.statusCode = status;
          res.end(
            `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${code} here</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
        };
        if (deny) return err('AccessDenied', 403);
        if (throttle > 0) {
          throttle--;
          return err('Throttling', 400);
        }
        res.end(
          '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/me</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('counts every attempt, retries included, and the endpoint flag wins over AWS_ENDPOINT_URL', async () => {
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9'; // nothing listens there
    try {
      throttle = 2;
      deny = false;
      const aws = createAws({
        region: 'us-east-1',
        endpointUrl: url,
        credentials: creds,
        retry: { baseDelayMs: 1 },
      });
      expect((await aws.identity()).accountId).toBe('123456789012');
      expect(aws.calls.get('sts:GetCallerIdentity')).toBe(3);
      expect(aws.calls.errors()).toEqual({ 'sts:GetCallerIdentity:Throttling': 2 });
      expect(aws.calls.total).toBe(3);
      await aws.identity(); // cached
      expect(aws.calls.total).toBe(3);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  });

  it('does not retry AccessDenied', async () => {
    deny = true;
    const before = seen;
    const aws = createAws({ region: 'us-east-1', endpointUrl: url, credentials: creds });
    const err = await aws
      .sts()
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    expect(isAccessDenied(err)).toBe(true);
    expect(seen - before).toBe(1);
    expect(aws.calls.get('sts:*')).toBe(1);
    deny = false;
  });

  it('reads AWS_MAX_ATTEMPTS when no explicit maxAttempts is given', async () => {
    throttle = 100;
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: url,
      credentials: creds,
      retry: { baseDelayMs: 1 },
      env: { AWS_MAX_ATTEMPTS: '4' },
    });
    await expect(aws.sts().send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
    });
    expect(aws.calls.get('sts:GetCallerIdentity')).toBe(4);
    throttle = 0;
  });

  it('gives up after maxAttempts under sustained throttling', async () => {
    throttle = 100;
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: url,
      credentials: creds,
      retry: { maxAttempts: 3, baseDelayMs: 1 },
    });
    await expect(aws.sts().send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
    });
    expect(aws.calls.get('sts:GetCallerIdentity')).toBe(3);
    throttle = 0;
  });

  it('takes a rate-limit token per attempt, inside the retry loop and before signing', async () => {
    throttle = 1;
    const clock = fakeClock();
    const limiter = new RateLimiter({ 'sts:GetCallerIdentity': 1 }, clock);
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: url,
      credentials: creds,
      limiter,
      retry: { baseDelayMs: 1 },
    });
    await aws.identity();
    expect(clock.slept).toEqual([1000]); // second attempt waited for its token
    const stack = (aws.sts().middlewareStack as unknown as { identify(): string[] }).identify();
    const at = (name: string) => stack.findIndex((s) => s.startsWith(name));
    expect(at('retryMiddleware')).toBeLessThan(at('bksAccountingMiddleware'));
    expect(at('bksAccountingMiddleware')).toBeLessThan(at('httpSigningMiddleware'));
  });
});
