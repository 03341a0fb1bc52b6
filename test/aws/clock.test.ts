import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { createAws } from '../../src/aws';
import { AwsClock } from '../../src/aws/clock';

describe("AwsClock: AWS's time, as STS states it", () => {
  it('is the local clock until AWS stated a time', () => {
    const c = new AwsClock();
    expect(c.observed).toBe(false);
    expect(c.now(1_000_000).getTime()).toBe(1_000_000);
  });

  it("follows AWS's clock however far the local clock is off, and moves with local time", () => {
    const c = new AwsClock();
    const local = Date.parse('2026-12-07T07:00:00Z');
    // A one-hour session expiring at 04:00:00 was issued at 03:00:00 on AWS's clock.
    c.observeSession(new Date('2026-11-09T04:00:00Z'), 3600, local);
    expect(c.observed).toBe(true);
    // Second precision: the latest AWS's clock can show is .999 later.
    expect(c.now(local).toISOString()).toBe('2026-11-09T03:00:00.999Z');
    expect(c.now(local + 5_000).toISOString()).toBe('2026-11-09T03:00:05.999Z');
  });

  it('ignores an answer without an expiration', () => {
    const c = new AwsClock();
    c.observeSession(undefined, 3600, 0);
    c.observe(Number.NaN);
    expect(c.observed).toBe(false);
  });
});

describe('AwsContext.forAccount reads the clock from the AssumeRole answer (bks-sim)', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSim({
      port: 0,
      scenario: {
        now: '2026-11-09T03:00:00Z',
        accounts: [{ id: '123456789012', roles: [{ name: 'r', trustedAccounts: ['123456789012'] }] }],
      },
    });
  });
  afterAll(() => sim.close());

  it("the simulator's clock, not this machine's", async () => {
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: sim.url,
      credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE01', secretAccessKey: 'x' },
    });
    const member = await aws.forAccount('123456789012', { role: 'r', command: 'test' });
    const simNow = sim.ctx.nowMs();
    const now = member.clock.now().getTime();
    expect(Math.abs(now - simNow)).toBeLessThan(5_000);
    expect(Math.abs(Date.now() - now)).toBeGreaterThan(86_400_000);
    aws.destroy();
  });
});
