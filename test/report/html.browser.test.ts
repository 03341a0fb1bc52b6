/**
 * The HTML compliance report opened in a real browser: headless Chromium (Debian's `chromium`,
 * driven by playwright-core) loads it from a file, the expected numbers are read from the rendered
 * page, no request leaves the page, and a screenshot is kept in test/artifacts/ (gitignored).
 * Without /usr/bin/chromium the test is skipped with a message — except in CI, where it must run
 * (`.ci/run` installs chromium first).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildComplianceReport, mergeScans } from '../../src/report/compliance';
import { renderComplianceHtml } from '../../src/report/render-html';
import { chromiumPath, skipWithout, TOOLS } from '../helpers/tools';
import { cred, inDays, sampleAccounts, sampleScan, user } from './fixtures';

const skip = skipWithout(TOOLS.chromium);
const CHROMIUM = chromiumPath() ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

function twoWeeks() {
  const week1 = buildComplianceReport(mergeScans([sampleScan()]), { maxAgeDays: 90 });
  const accounts = sampleAccounts();
  const a = accounts[0];
  if (!a) throw new Error('fixture');
  a.users = a.users.filter((u) => u.userName !== 'BedrockAPIKey-never');
  for (let i = 0; i < 3; i++) {
    a.users.push(
      user(a.accountId, `BedrockAPIKey-n${i}`, { credentials: [cred(`ACCANEW${i}`, 10 + i * 20, null)] }),
    );
  }
  return buildComplianceReport(mergeScans([sampleScan(accounts, inDays(7))]), {
    maxAgeDays: 90,
    previous: week1,
  });
}

describe.skipIf(skip)('HTML report in headless Chromium', () => {
  it('shows the expected numbers, loads nothing from outside, and is kept as a screenshot', async () => {
    const report = twoWeeks();
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'compliance-report.html');
    writeFileSync(file, renderComplianceHtml(report));
    const profile = mkdtempSync(join(tmpdir(), 'bks-chromium-'));
    // A fresh profile: playwright passes it as --user-data-dir.
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1200, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const metric = async (name: string) =>
        ((await page.locator(`[data-metric="${name}"]`).first().textContent()) ?? '').trim();
      expect(await metric('accounts')).toBe(String(report.totals.accounts));
      expect(await metric('live-keys')).toBe(String(report.totals.keys.live));
      expect(await metric('never-expiring')).toBe(String(report.totals.neverExpiring));
      expect(await metric('ordinary-user-keys')).toBe('1');
      expect(await metric('orphaned-phantoms')).toBe('2');
      expect(await metric('new')).toBe(String(report.trend?.new.length));
      expect(await metric('resolved')).toBe(String(report.trend?.resolved.length));
      expect(await page.locator('#top-risks').textContent()).toContain('bks revoke-key BedrockAPIKey-risk');
      expect(await page.locator('#failed-accounts').textContent()).toContain('444444444444');
      expect(await page.locator('svg').count()).toBe(3);
      expect(await page.locator('[data-metric="accounts"]').isVisible()).toBe(true);
      const bars = await page.locator('svg[aria-label="Age of live API keys"] rect').count();
      expect(bars).toBe(6);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      expect(errors).toEqual([]);
      const shot = join(ARTIFACTS, 'compliance-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path: join(ARTIFACTS, 'compliance-report.pdf') }).catch(() => undefined);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
