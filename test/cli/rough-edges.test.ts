/**
 * Rough edges a new user hits (issue 15, item 9): `-o` works wherever it is offered, a new
 * directory is created rather than a raw ENOENT, `scp check --controls` takes the names its own
 * table prints, one default for `--days`, `bks -v`, plurals, and no progress bar left on screen.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scanCommand } from '../../src/cli/scan';
import { ACCT, baseScenario, LIMITED, type SimEnv, secret, simEnv } from '../response/sim-helpers';
import { bks } from './bks-runner';

describe('-o where it is offered', () => {
  it('detections export -o sigma is the same as --format sigma', async () => {
    const a = await bks(['detections', 'export', '-o', 'sigma']);
    const b = await bks(['detections', 'export', '--format', 'sigma']);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^title: /m);
    expect(a.stdout).toBe(b.stdout);
  });
  it('detections export -o nope names the formats (exit 2)', async () => {
    const r = await bks(['detections', 'export', '-o', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/eventbridge, sigma, athena, cloudtrail-lake/);
  });
});

describe('detections build --dir NEWDIR', () => {
  it('creates the directory (no raw ENOENT)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bks-build-')), 'new', 'rules');
    const r = await bks(['detections', 'build', '--dir', dir]);
    expect(r.stderr).not.toMatch(/ENOENT/);
    expect(r.code).toBe(0);
    expect(existsSync(dir) && readdirSync(dir).length).toBeGreaterThan(0);
  });
});

describe('scp check --controls', () => {
  it('accepts the column names its table prints (without deny-) as well as the full names', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEEXAMPLE01');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'x');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    const unreachable = ['--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1'];
    const short = await bks(['scp', 'check', '--controls', 'api-keys,phantom-users', ...unreachable]);
    expect(short.stderr).not.toMatch(/unknown SCP/);
    expect(short.code).toBe(3); // past the names: it tried to read the organization
    const full = await bks(['scp', 'check', '--controls', 'deny-api-keys', ...unreachable]);
    expect(full.code).toBe(3);
    const bad = await bks(['scp', 'check', '--controls', 'no-such-control', ...unreachable]);
    expect(bad.code).toBe(2);
    vi.unstubAllEnvs();
  });
});

describe('bks -v', () => {
  it('prints the version like -V and --version', async () => {
    for (const flag of ['-v', '-V', '--version']) {
      const r = await bks([flag]);
      expect(r.code, flag).toBe(0);
      expect(r.stdout, flag).toMatch(/^\d+\.\d+\.\d+/);
    }
  });
});

describe('against bks-sim', () => {
  let env: SimEnv;
  const USER = 'BedrockAPIKey-one1';
  beforeAll(async () => {
    env = await simEnv(
      baseScenario({
        organization: {
          managementAccount: ACCT,
          accounts: [
            { id: ACCT, name: 'mgmt', state: 'ACTIVE' },
            { id: '222222222222', name: 'member', state: 'ACTIVE' },
          ],
        },
        accounts: [
          {
            id: ACCT,
            regions: ['us-east-1'],
            users: [
              {
                name: USER,
                managedPolicies: [LIMITED],
                serviceCredentials: [
                  { service: 'bedrock.amazonaws.com', secret: secret('1'), status: 'Active' },
                ],
              },
            ],
          },
          { id: '222222222222', regions: ['us-east-1'] },
        ],
      } as never),
    );
  });
  afterAll(async () => {
    await env.close();
  });

  it('report and timeline share one --days default', async () => {
    const t = await env.run(['timeline', USER, '-o', 'json', '--regions', 'us-east-1']);
    const r = await env.run(['report', USER, '-o', 'json', '--regions', 'us-east-1']);
    expect(t.code).toBe(0);
    expect(r.code).toBe(0);
    const td = (JSON.parse(t.stdout) as { window: { days: number } }).window.days;
    const rd = (JSON.parse(r.stdout) as { timeline: { window: { days: number } } }).timeline.window.days;
    expect(td).toBe(rd);
  });

  it('plurals: "1 user", "1 account", "scanned 1 file"', async () => {
    const s = await env.run(['scan']);
    expect(s.stdout).toMatch(/\b1 account \(0 failed\), 1 user:/);
    expect(s.stdout).not.toMatch(/\b1 users\b/);
    const dir = mkdtempSync(join(tmpdir(), 'bks-plural-'));
    writeFileSync(join(dir, 'a.txt'), 'nothing here\n');
    const f = await bks(['find-keys', dir]);
    expect(f.stdout).toMatch(/scanned 1 file,/);
  });

  it('the progress bar on a terminal is erased when the scan ends (no leftover line)', async () => {
    const err = Object.assign(new PassThrough(), { isTTY: true });
    const out = new PassThrough();
    const chunks: string[] = [];
    err.on('data', (c: Buffer) => chunks.push(c.toString()));
    out.resume();
    await env.control('PUT', '/_sim/faults', { faults: [] });
    const code = await scanCommand(
      { org: true, endpointUrl: env.sim.url, region: 'us-east-1', output: 'json' } as never,
      { stdout: out, stderr: err as never },
    ).catch(() => -1);
    const text = chunks.join('');
    expect(code).not.toBe(-1);
    expect(text).toMatch(/2\/2 accounts/);
    // The last drawing of the bar is erased before anything else is written (warnings follow).
    expect(text.slice(text.lastIndexOf('2/2 accounts'))).toMatch(/^2\/2 accounts(, 1 failed)?\r\u001b\[2K/);
    expect(text).not.toMatch(/accounts[^\r]*\n/);
  });
});
