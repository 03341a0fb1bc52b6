import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trailRecord } from '../helpers/cloudtrail';
import { chromiumPath, skipWithout, TOOLS } from '../helpers/tools';
import {
  ACCT,
  allText,
  baseScenario,
  LIMITED,
  longTermKey,
  type SimEnv,
  secret,
  simEnv,
} from './sim-helpers';

const USER = 'BedrockAPIKey-r3pt';
const KEY = () => longTermKey(`${USER}-at-${ACCT}`, secret('r'));

function ev(i: number, region: string, name: string, source: string, extra: Record<string, unknown> = {}) {
  return trailRecord(
    {
      account: ACCT,
      userName: USER,
      region,
      time: new Date(Date.now() - i * 600_000),
      id: `e-${region}-${i}-${name}`,
      requestId: `r-${region}-${i}-${name}`,
      eventName: name,
      eventSource: source,
      userAgent: 'python-requests/2.32.5 <script>',
      requestParameters: {},
      bearer: true,
      readOnly: false,
    },
    extra,
  );
}

/** HTML without the report's word spans and break hints (what a reader sees, still escaped). */
const textOf = (html: string) => html.replace(/<span class="w">|<\/span>|<wbr>/g, '');
const LONG_UA = `aws-sdk-js/3.700.0 ${Array.from({ length: 24 }, (_, i) => `md/feature#${i}`).join(',')}`;

const admin = {
  type: 'IAMUser',
  arn: `arn:aws:iam::${ACCT}:user/mallory`,
  accountId: ACCT,
  userName: 'mallory',
};

let env: SimEnv;
beforeAll(async () => {
  env = await simEnv(
    baseScenario({
      accounts: [
        {
          id: ACCT,
          regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
          users: [
            { name: 'secops' },
            {
              name: USER,
              managedPolicies: [LIMITED],
              accessKeys: [
                {
                  status: 'Active',
                  secret: secret('rak'),
                  lastUsedAt: new Date().toISOString(),
                  lastUsedService: 'bedrock',
                  lastUsedRegion: 'us-west-2',
                },
              ],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', secret: secret('r'), status: 'Active' },
              ],
            },
          ],
          events: [
            ev(40, 'us-east-1', 'CreateUser', 'iam.amazonaws.com', {
              userIdentity: admin,
              requestParameters: { userName: USER },
              additionalEventData: {},
            }),
            ev(39, 'us-east-1', 'AttachUserPolicy', 'iam.amazonaws.com', {
              userIdentity: admin,
              requestParameters: { userName: USER, policyArn: LIMITED },
              additionalEventData: {},
            }),
            ev(38, 'us-east-1', 'CreateServiceSpecificCredential', 'iam.amazonaws.com', {
              userIdentity: admin,
              requestParameters: { userName: USER, serviceName: 'bedrock.amazonaws.com' },
              additionalEventData: {},
              // A long user agent with no break opportunity (SDK metadata runs): must wrap in HTML.
              userAgent: LONG_UA,
            }),
            ev(37, 'us-east-1', 'CreateUser', 'iam.amazonaws.com', {
              userIdentity: admin,
              requestParameters: { userName: 'someone-else' },
              additionalEventData: {},
            }),
            ...[1, 2, 3, 4, 5].map((i) => ev(i, 'us-west-2', 'InvokeModel', 'bedrock.amazonaws.com')),
            ev(6, 'eu-west-1', 'ListFoundationModels', 'bedrock.amazonaws.com'),
            ev(7, 'eu-west-1', 'CreateProvisionedModelThroughput', 'bedrock.amazonaws.com'),
          ] as never,
        },
      ],
    }),
  );
});
afterAll(async () => {
  await env.close();
});

const ARGS = ['--regions', 'us-east-1,us-west-2,eu-west-1', '--days', '7'];

describe('report (bks-sim)', () => {
  it('JSON: creators, access keys, verdict, timeline, risk and commands', async () => {
    const r = await env.run(['report', KEY(), ...ARGS, '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.schema).toBe('bks.report/v1');
    expect(out.user).toMatchObject({ userName: USER, phantomOf: ['bedrock'] });
    expect(out.creation.map((c: { what: string; by: string }) => `${c.what} by ${c.by}`)).toEqual([
      `user created by arn:aws:iam::${ACCT}:user/mallory`,
      `policy attached (AmazonBedrockLimitedAccess) by arn:aws:iam::${ACCT}:user/mallory`,
      `API key created by arn:aws:iam::${ACCT}:user/mallory`,
    ]);
    expect(out.accessKeys[0]).toMatchObject({ status: 'Active', lastUsedAt: expect.any(String) });
    expect(out.classification).toEqual([
      { service: 'bedrock', status: 'AT_RISK', reasons: expect.any(Array) },
    ]);
    expect(out.risk.level).toBe('high');
    const reasons = out.risk.items.map((i: { reason: string }) => i.reason).join('\n');
    expect(reasons).toMatch(/cost events/);
    expect(reasons).toMatch(/reconnaissance/);
    expect(reasons).toMatch(/activity in 2 regions/);
    expect(out.timeline.summary.events).toBe(7); // the user's own calls (the creators' IAM calls are mallory's)
    // LookupEvents has management events only: the key's data events are UNKNOWN, and said so.
    expect(out.timeline.notRead.map((n: { events: string }) => n.events)).toEqual(['data events']);
    expect(out.callsPerHour.reduce((s: number, c: { count: number }) => s + c.count, 0)).toBe(7);
    expect(out.commands.map((c: { command: string }) => c.command)).toContain('bks revoke-key "$LEAKED_KEY"');
  });

  it('HTML is self-contained, has the inline SVG chart, and escapes what CloudTrail said', async () => {
    const r = await env.run(['report', USER, ...ARGS, '-o', 'html']);
    expect(r.code).toBe(0);
    const html = r.stdout;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).toMatch(/<rect [^>]*fill="#/);
    expect(html).not.toMatch(/<script|\ssrc=|\shref=|url\(|@import/i);
    // Words are wrapped in no-break spans (issue 15: no mid-word breaks): compare the text without them.
    expect(textOf(html)).toContain('python-requests/2.32.5 &lt;script&gt;');
  });

  it.skipIf(skipWithout(TOOLS.chromium))(
    'HTML: long cells wrap, so the page never scrolls sideways at 1280 px (Chromium)',
    async () => {
      const exe = chromiumPath() as string;
      const r = await env.run(['report', USER, ...ARGS, '-o', 'html']);
      expect(textOf(r.stdout)).toContain(LONG_UA.slice(0, 60));
      const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.setContent(r.stdout);
        const width = await page.evaluate('document.documentElement.scrollWidth');
        expect(width).toBeLessThanOrEqual(1280);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('markdown has every section; no secret in any format', async () => {
    const md = await env.run(['report', KEY(), ...ARGS]);
    expect(md.code).toBe(0);
    for (const h of [
      '## Identity',
      '## API keys',
      '## IAM access keys',
      '## Who created',
      '## Policies',
      '## Timeline summary',
      '## Risk assessment: HIGH',
      '## Contain and clean up',
      '## Calls per hour per region',
    ]) {
      expect(md.stdout).toContain(h);
    }
    expect(md.stdout).toMatch(
      /^Not read: data events \(CloudTrail LookupEvents returns management events only\): .* are UNKNOWN here/m,
    );
    const html = await env.run(['report', KEY(), ...ARGS, '-o', 'html']);
    expect(html.stdout.replace(/<[^>]+>/g, '')).toMatch(
      /management event\(s\) in \d+ days.*; data events: not read/,
    );
    const json = await env.run(['report', KEY(), ...ARGS, '-o', 'json']);
    const text = allText(md, html, json);
    for (const tag of ['r', 'rak']) expect(text).not.toContain(secret(tag));
    expect(text).not.toContain(KEY().slice(8, 50));
  });
});
