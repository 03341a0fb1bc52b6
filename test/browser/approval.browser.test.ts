/**
 * The approval page in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) opens the link of a real notification of the live local pipeline, is sent to the
 * simulator's identity provider and back, renders the page without a console error or a request
 * to anywhere else, chooses "this key only" and submits; the leaked key then gets 403 from the
 * simulated Bedrock runtime and its sibling 200, and the page reports what was done. Screenshots
 * land in test/artifacts/ (gitignored). Without Chromium the test is skipped with a message —
 * except in CI, where it must run (test/helpers/tools.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachUserPolicyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import { chromiumPath, skipWithout, TOOLS } from '../helpers/tools';
import { until } from '../helpers/until';

const skip = skipWithout(TOOLS.chromium);
const CHROMIUM = chromiumPath() ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const SEC = '111111111111';
const MEMBER = '222222222222';
const ATTACKER = { accessKeyId: 'AKIAATTACKER00000001', secretAccessKey: 'attacker-secret' };
const USER = 'BedrockAPIKey-b7rw';

const keyOf = (c: { ServiceCredentialAlias?: string; ServiceCredentialSecret?: string }) =>
  `ABSK${Buffer.from(`${c.ServiceCredentialAlias}:${c.ServiceCredentialSecret}`).toString('base64')}`;

async function bearer(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/model/anthropic.claude-3-haiku-20240307-v1:0/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  return res.status;
}

describe.skipIf(skip)('the approval page in headless Chromium', () => {
  let p: LivePipeline;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    p = new LivePipeline({
      scenario: {
        now: new Date().toISOString(),
        principals: [{ ...ATTACKER, account: MEMBER, arn: `arn:aws:iam::${MEMBER}:user/dev-ci` }],
        accounts: [
          { id: SEC, regions: ['us-east-1'] },
          { id: MEMBER, regions: ['us-east-1', 'us-west-2'] },
        ],
      },
    });
    await p.start();
  }, 60_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('signs in, shows the request, revokes "this key only": the leaked key 403, its sibling 200', async () => {
    // Two keys on one phantom user; the attacker uses the first.
    const iam = new IAMClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: { ...ATTACKER } });
    await iam.send(new CreateUserCommand({ UserName: USER }));
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: USER,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess',
      }),
    );
    const sibling = (
      await iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: USER, ServiceName: 'bedrock.amazonaws.com' }),
      )
    ).ServiceSpecificCredential!;
    const leaked = (
      await iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: USER, ServiceName: 'bedrock.amazonaws.com' }),
      )
    ).ServiceSpecificCredential!;
    iam.destroy();
    expect(await bearer(p.sim.url, keyOf(leaked))).toBe(200);

    // The request of the second key's creation: enriched once both keys existed.
    const link = await until('the approval request of the leaked key', async () => {
      const notes = (await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as Array<{
        message: string;
      }>;
      const n = notes.find(
        (x) =>
          x.message.includes(leaked.ServiceSpecificCredentialId!) && x.message.includes('/_pipeline/approve'),
      );
      return n ? /http:\/\/\S+\/_pipeline\/approve\?\S+/.exec(n.message)?.[0] : undefined;
    });
    await fetch(`${p.sim.url}/_sim/oidc/login`, {
      method: 'POST',
      body: JSON.stringify({ sub: 'ana@acme.example', name: 'Ana Analyst', groups: ['soc'] }),
    });

    const profile = mkdtempSync(join(tmpdir(), 'bks-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 390, height: 844 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const outside: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('request', (r) => {
        if (!r.url().startsWith(p.sim.url)) outside.push(r.url());
      });
      await page.goto(link, { waitUntil: 'load' });
      // Back from the identity provider, on the link, signed in.
      expect(page.url()).toBe(link);
      const text = (await page.locator('body').textContent()) ?? '';
      expect(await page.locator('h1').textContent()).toBe('Approve revocation?');
      expect(await page.locator('.verdict').first().textContent()).toMatch(/^(HIGH|MEDIUM|CRITICAL|LOW)/);
      expect(text).toContain(USER);
      expect(text).toContain(MEMBER);
      expect(text).toContain('Signed in as Ana Analyst (ana@acme.example)');
      expect(text).toContain(leaked.ServiceSpecificCredentialId!);
      expect(text).toContain(sibling.ServiceSpecificCredentialId!);
      expect(text).not.toContain(leaked.ServiceCredentialSecret!);
      expect(text).not.toContain(keyOf(leaked));
      // Readable on a phone: nothing wider than the screen.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(ARTIFACTS, 'approval-page.png'), fullPage: true });

      await page.check(`input[name="choice"][value="credential:${leaked.ServiceSpecificCredentialId}"]`);
      await page.fill('textarea[name="reason"]', 'this is the key from the public gist');
      await page.click('button[type="submit"]');
      await page.waitForLoadState('load');
      expect(await page.locator('h1').textContent()).toBe('Decision recorded');
      // The page reloads itself (meta refresh) until the workflow reports what it did.
      await page.waitForSelector('text=What was done', { timeout: 30_000 });
      const after = (await page.locator('body').textContent()) ?? '';
      expect(after).toContain('Verified: every key the plan touched was read back from IAM as Inactive.');
      expect(after).toContain(leaked.ServiceSpecificCredentialId!);
      await page.screenshot({ path: join(ARTIFACTS, 'approval-done.png'), fullPage: true });
      expect(statSync(join(ARTIFACTS, 'approval-page.png')).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
    expect(await bearer(p.sim.url, keyOf(leaked))).toBe(403);
    expect(await bearer(p.sim.url, keyOf(sibling))).toBe(200);
  }, 120_000);
});
