/**
 * The HTML incident report as a reader sees it (issue 15, item 11), in headless Chromium (Debian's
 * `chromium` driven by playwright-core), built by `bks report` against the demo organization on
 * bks-sim for the leaked key after it was revoked:
 * - the verdict, the key, what has been done and the first steps come first, before the evidence;
 * - timestamps, IPs, key ids and words never break in the middle (each such cell is one line);
 * - the chart's axes are labelled;
 * - on a phone (390 px) the page does not scroll sideways (wide tables scroll inside their box) and
 *   the verdict is on the first screen.
 * Screenshots go to test/artifacts/ (gitignored), as for the compliance report.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { shiftScenarioToNow } from '../../sim/timeshift';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { serviceBySscName } from '../../src/services';
import { bks } from '../cli/bks-runner';
import { chromiumPath, skipWithout, TOOLS } from '../helpers/tools';
import { type VirtualTime, virtualTime } from '../helpers/virtual-time';

const skip = skipWithout(TOOLS.chromium);
const CHROMIUM = chromiumPath() ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const DEMO = join(import.meta.dirname, '..', '..', 'sim', 'scenarios', 'demo.json');
const PROD = '222222222222';
const LEAKED_USER = 'BedrockAPIKey-q7xk';

let sim: SimHandle;
let time: VirtualTime | undefined;
let browser: BrowserContext;
let file = '';
const profile = mkdtempSync(join(tmpdir(), 'bks-chromium-'));
const work = mkdtempSync(join(tmpdir(), 'bks-incident-html-'));

beforeAll(async () => {
  if (skip) return;
  // The report's CloudTrail lookups are paced (2/s) on virtual time: test/helpers/virtual-time.ts.
  time = virtualTime();
  sim = await startSim({
    scenario: shiftScenarioToNow(JSON.parse(readFileSync(DEMO, 'utf8'))),
    waitClock: time.waitClock,
  });
  const state = sim.state as unknown as {
    principals: { accessKeyId: string }[];
    accounts: {
      id: string;
      users: { name: string; serviceCredentials: { service: string; secret?: string }[] }[];
    }[];
  };
  const cred = state.accounts
    .find((a) => a.id === PROD)
    ?.users.find((u) => u.name === LEAKED_USER)
    ?.serviceCredentials.find((c) => c.service === 'bedrock.amazonaws.com');
  const service = serviceBySscName('bedrock.amazonaws.com');
  if (!cred?.secret || !service) throw new Error('the demo has no leaked key');
  const key = encodeLongTermKey(service, longTermAlias(LEAKED_USER, PROD, 0), cred.secret);
  vi.stubEnv('AWS_ACCESS_KEY_ID', state.principals[0]?.accessKeyId ?? '');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  const flags = ['--endpoint-url', sim.url, '--region', 'us-east-1'];
  // The responder contained the key first; the report says what is done and what is still open.
  const revoked = await bks(['revoke-key', key, '-y', '--record-dir', work, ...flags]);
  expect(revoked.code, revoked.stderr).toBe(0);
  file = join(work, 'incident.html');
  const r = await bks(['report', key, '-o', 'html', '--out-file', file, '--days', '30', ...flags]);
  expect(r.code, r.stderr).toBe(0);
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
}, 180_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  time?.restore();
  await browser?.close();
  await sim?.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

async function open(width: number, height: number): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return page;
}

/** Cells whose text is one token that must stay whole: timestamps, IPs, key and credential ids. */
const WHOLE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z|\d{1,3}(\.\d{1,3}){3}|A(KIA|SIA|CCA)[A-Z0-9]{12,})$/;

describe.skipIf(skip)('the HTML incident report in headless Chromium', () => {
  it('puts the verdict, the key, what was done and the first steps before the evidence', async () => {
    const page = await open(1200, 900);
    const top = async (sel: string) => (await page.locator(sel).first().boundingBox())?.y ?? Number.NaN;
    const verdict = await top('#verdict');
    const done = await top('#containment');
    const steps = await top('#first-steps');
    const evidence = await top('h2.evidence');
    expect(verdict).toBeLessThan(done);
    expect(done).toBeLessThan(steps);
    expect(steps).toBeLessThan(evidence);
    expect(verdict).toBeLessThan(900); // on the first screen
    const v = (await page.locator('#verdict').textContent()) ?? '';
    expect(v).toMatch(/Risk: (HIGH|MEDIUM)/);
    expect(v).toContain(`${LEAKED_USER}-at-${PROD}`);
    const c = (await page.locator('#containment').textContent()) ?? '';
    expect(c).toMatch(/the key \(ACCA\w+\) is Inactive: it no longer authenticates/);
    expect(c).toMatch(/IAM access key AKIA\w+ is Inactive/);
    expect(c).toMatch(/other API key\(s\) of the user still Active/);
    expect(await page.locator('#first-steps li').count()).toBeGreaterThan(0);
    // The key is Inactive already: the first steps offer no second revoke of it.
    const stepsText = (await page.locator('#first-steps').textContent()) ?? '';
    expect(stepsText).not.toMatch(/revoke-key "\$LEAKED_KEY"(?! --all-keys)/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'incident-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    writeFileSync(join(ARTIFACTS, 'incident-report.html'), readFileSync(file));
    await page.close();
  });

  it('never breaks a timestamp, an IP or a key id in the middle, at desktop or phone width', async () => {
    for (const [w, h] of [
      [1200, 900],
      [390, 844],
    ] as const) {
      const page = await open(w, h);
      // Each such cell's text must sit on one line (DOM code as a string: the test has no DOM types).
      const broken = (await page.evaluate(`(() => {
        const whole = new RegExp(${JSON.stringify(WHOLE.source)});
        const out = [];
        for (const el of document.querySelectorAll('td, dd')) {
          const text = (el.textContent || '').trim();
          if (!whole.test(text)) continue;
          const range = document.createRange();
          range.selectNodeContents(el);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
          if (lines.size > 1) out.push(text);
        }
        return out;
      })()`)) as string[];
      expect(broken, `width ${w}`).toEqual([]);
      const checked = (await page.evaluate(
        `[...document.querySelectorAll('td')].filter((el) => new RegExp(${JSON.stringify(WHOLE.source)}).test((el.textContent || '').trim())).length`,
      )) as number;
      expect(checked).toBeGreaterThan(5);
      await page.close();
    }
  });

  it('labels both axes of the chart', async () => {
    const page = await open(1200, 900);
    const titles = await page.locator('svg text.axis-title').allTextContents();
    expect(titles.some((t) => /calls per hour/.test(t))).toBe(true);
    expect(titles.some((t) => /hour \(UTC\)/.test(t))).toBe(true);
    await page.close();
  });

  it('reads on a phone: no sideways scrolling of the page, the verdict on the first screen', async () => {
    const page = await open(390, 844);
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - window.innerWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.locator('#verdict').boundingBox();
    expect((box?.y ?? 1e9) + 40).toBeLessThan(844);
    const shot = join(ARTIFACTS, 'incident-report-phone.png');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });
});
