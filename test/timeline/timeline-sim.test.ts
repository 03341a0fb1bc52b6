/**
 * timeline against bks-sim: CloudTrail's 2 requests/s per region enforced by the sim, 20% of
 * LookupEvents calls throttled on top, and still every event of every region comes back —
 * merged across the Username and AccessKeyId lookups, de-duplicated, tagged by src/detect.
 * That first test paces in real time (bks's limiter sleeps, the sim refills its budget as time
 * passes); the others count the same budget on virtual time (test/helpers/virtual-time.ts).
 */

import { afterEach, describe, expect, it } from 'vitest';
import { trailRecord } from '../helpers/cloudtrail';
import {
  ACCT,
  allText,
  baseScenario,
  LIMITED,
  longTermKey,
  type SimEnv,
  type SimEnvOptions,
  secret,
  simEnv,
} from '../response/sim-helpers';

const USER = 'BedrockAPIKey-t1me';
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

function record(i: number, region: string, extra: Record<string, unknown> = {}) {
  return trailRecord(
    {
      account: ACCT,
      userName: USER,
      region,
      time: new Date(Date.now() - (i + 5) * 60_000),
      id: `evt-${region}-${i}`,
      requestId: `req-${region}-${i}`,
      principalId: 'AIDAEXAMPLETIMELINE1',
      eventName: i % 10 === 0 ? 'ListFoundationModels' : 'InvokeModel',
      sourceIp: i % 2 ? '203.0.113.7' : '198.51.100.9',
      bearer: true,
    },
    extra,
  );
}

let env: SimEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start(perRegion: number, faults: object[] = [], opts: SimEnvOptions = {}) {
  const events = REGIONS.flatMap((region) => Array.from({ length: perRegion }, (_, i) => record(i, region)));
  env = await simEnv(
    baseScenario({
      rateLimits: { 'cloudtrail:LookupEvents': 2 },
      faults: faults as never,
      accounts: [
        {
          id: ACCT,
          regions: REGIONS,
          users: [
            { name: 'secops' },
            {
              name: USER,
              managedPolicies: [LIMITED],
              accessKeys: [{ status: 'Active', secret: secret('tl') }],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('t'), status: 'Active' },
              ],
            },
          ],
          events: events as never,
        },
      ],
    }),
    opts,
  );
  return env;
}

describe('timeline (bks-sim)', () => {
  it('loses no event under 2/s per region and 20% throttling; merges both lookups by eventId; tags from src/detect', async () => {
    const e = await start(
      120,
      [{ action: 'cloudtrail:LookupEvents', error: 'ThrottlingException', probability: 0.2 }],
      { realTime: true },
    );
    const akia = (await e.state()).accounts[0]?.users.find((u) => u.name === USER)?.accessKeys?.[0]
      ?.id as string;
    // A few events made with the phantom's access key: found by both lookups, listed once.
    await e.control('POST', '/_sim/events', {
      account: ACCT,
      events: [0, 1, 2].map((i) =>
        record(200 + i, 'eu-west-1', {
          eventName: 'CreateAccessKey',
          eventSource: 'iam.amazonaws.com',
          additionalEventData: {},
          userIdentity: {
            type: 'IAMUser',
            arn: `arn:aws:iam::${ACCT}:user/${USER}`,
            accountId: ACCT,
            userName: USER,
            accessKeyId: akia,
          },
        }),
      ),
    });
    await e.control('POST', '/_sim/stats/reset');
    const key = longTermKey(`${USER}-at-${ACCT}`, secret('t'));
    const r = await e.run(['timeline', key, '--regions', REGIONS.join(','), '--days', '2', '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.schema).toBe('bks.timeline/v1');
    expect(out.regions).toEqual([
      { region: 'us-east-1', status: 'ok', events: 120 },
      { region: 'us-west-2', status: 'ok', events: 120 },
      { region: 'eu-west-1', status: 'ok', events: 123 },
    ]);
    expect(out.events).toHaveLength(363);
    expect(new Set(out.events.map((x: { eventId: string }) => x.eventId)).size).toBe(363);
    expect(out.lookups).toEqual([
      { attributeKey: 'Username', attributeValue: USER },
      { attributeKey: 'AccessKeyId', attributeValue: akia },
    ]);
    const invoke = out.events.find((x: { eventName: string }) => x.eventName === 'InvokeModel');
    expect(invoke).toMatchObject({
      bearerToken: true,
      region: expect.any(String),
      sourceIp: expect.any(String),
    });
    expect(invoke.tags).toEqual(expect.arrayContaining(['invoke', 'bearer-token']));
    const recon = out.events.find((x: { eventName: string }) => x.eventName === 'ListFoundationModels');
    expect(recon.tags).toContain('recon');
    const persistence = out.events.find((x: { eventName: string }) => x.eventName === 'CreateAccessKey');
    expect(persistence.tags.join(',')).toMatch(/persistence|privilege-escalation/);
    expect(out.summary.sourceIps.map((c: { value: string }) => c.value).sort()).toEqual([
      '198.51.100.9',
      '203.0.113.7',
    ]);
    expect(out.summary.userAgents).toEqual([{ value: 'python-requests/2.32.5', count: 363 }]);
    // Call accounting: every LookupEvents the sim saw is one our client counted.
    const stats = (await e.control('GET', '/_sim/stats')) as {
      calls: Record<string, number>;
      throttled: Record<string, number>;
      faulted: Record<string, number>;
    };
    expect(out.calls.lookupEvents).toBe(stats.calls['cloudtrail:LookupEvents']);
    expect(out.calls.throttled).toBeGreaterThan(0);
    // pages: us-east-1 3 + 1 (AccessKeyId, empty), us-west-2 3 + 1, eu-west-1 3 + 1 → 12 answered pages
    expect(out.calls.lookupEvents - out.calls.throttled).toBe(12);
    expect(allText(r)).not.toContain(secret('t'));
  }, 60_000);

  it('a region that fails is reported, and the run exits 3', async () => {
    const e = await start(5, [
      { action: 'cloudtrail:LookupEvents', error: 'AccessDeniedException', region: 'us-west-2' },
    ]);
    const r = await e.run(['timeline', USER, '--regions', REGIONS.join(','), '-o', 'json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.regions.find((x: { region: string }) => x.region === 'us-west-2')).toMatchObject({
      status: 'error',
    });
    expect(out.summary.failedRegions).toEqual(['us-west-2']);
    expect(out.events).toHaveLength(10);
    expect(r.stderr).toMatch(/1 region\(s\) failed: us-west-2/);
  });

  it('validates --days and --regions (exit 2, one line)', async () => {
    const e = await start(1);
    for (const args of [
      ['--days', '91'],
      ['--days', '0'],
      ['--days', 'x'],
      ['--regions', 'mars-1'],
    ]) {
      const r = await e.run(['timeline', USER, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--summary prints the header lines, tags and per-region table without the per-event rows', async () => {
    const e = await start(12);
    const base = ['timeline', USER, '--regions', REGIONS.join(',')];
    const full = await e.run(base);
    const short = await e.run([...base, '--summary']);
    expect(short.code).toBe(0);
    expect(full.stdout).toMatch(/^time\s+region\s+event/m);
    expect(short.stdout).not.toMatch(/^time\s+region\s+event/m);
    expect(short.stdout).not.toMatch(/InvokeModel/);
    expect(short.stdout).toMatch(/: 36 management event\(s\)/);
    expect(short.stdout).toMatch(/^tags: .*invoke/m);
    expect(short.stdout).toMatch(/^region\s+status\s+events/m);
    for (const region of REGIONS) expect(short.stdout).toMatch(new RegExp(`^${region}\\s+ok\\s+12\\s`, 'm'));
    const json = await e.run([...base, '--summary', '-o', 'json']);
    expect(JSON.parse(json.stdout).events).toHaveLength(36);
  }, 30_000);

  it('a key used only on bedrock-mantle: 0 management events, and its data events said UNKNOWN, never absent', async () => {
    const e = await start(0);
    // CreateInference on bedrock-mantle, as the Bedrock user guide's example record: a data event.
    const inference = REGIONS.map((region, i) =>
      trailRecord(
        {
          account: ACCT,
          userName: USER,
          region,
          time: new Date(Date.now() - (i + 5) * 60_000),
          id: `mantle-${region}`,
          eventName: 'CreateInference',
          eventSource: 'bedrock-mantle.amazonaws.com',
          userAgent: 'OpenAI/Python 2.8.1',
          requestParameters: {
            model: 'openai.gpt-oss-120b',
            callWithBearerToken: true,
            bearerTokenType: 'LONG_TERM',
          },
          readOnly: false,
        },
        {
          managementEvent: false,
          eventCategory: 'Data',
          resources: [
            {
              accountId: ACCT,
              type: 'AWS::BedrockMantle::Project',
              ARN: `arn:aws:bedrock-mantle:${region}:${ACCT}:project/default`,
            },
          ],
        },
      ),
    );
    await e.control('POST', '/_sim/events', { account: ACCT, events: inference });
    expect((await e.state()).accounts[0]?.events).toHaveLength(3); // the calls happened
    const key = longTermKey(`${USER}-at-${ACCT}`, secret('t'));
    const table = await e.run(['timeline', key, '--regions', REGIONS.join(',')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/: 0 management event\(s\)/);
    expect(table.stdout).toMatch(/^3 other region\(s\) searched: no management events$/m);
    expect(table.stdout).not.toMatch(/: no events|: 0 event\(s\)/);
    expect(table.stdout).toMatch(
      /^not read: data events \(CloudTrail LookupEvents returns management events only\): bedrock-mantle inference .* are UNKNOWN here$/m,
    );
    expect(table.stdout).toMatch(
      /only in the log files of a trail whose data-event selectors select them .*bks hunt/,
    );
    const json = JSON.parse(
      (await e.run(['timeline', key, '--regions', REGIONS.join(','), '-o', 'json'])).stdout,
    );
    expect(json.events).toEqual([]);
    expect(json.notRead).toEqual([
      expect.objectContaining({
        events: 'data events',
        reason: expect.stringMatching(/management events only/),
      }),
    ]);
  }, 30_000);

  it('a second run gives the same timeline (read-only)', async () => {
    const e = await start(60);
    const a = await e.run(['timeline', USER, '--regions', REGIONS.join(','), '-o', 'json']);
    const b = await e.run(['timeline', USER, '--regions', REGIONS.join(','), '-o', 'json']);
    expect(JSON.parse(a.stdout).events).toEqual(JSON.parse(b.stdout).events);
    expect(JSON.parse(a.stdout).events).toHaveLength(180);
  }, 30_000);
});
