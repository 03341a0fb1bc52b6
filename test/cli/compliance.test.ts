/** `bks compliance` as a user runs it: against bks-sim (org mode) and from saved scan files. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScenario } from '../../sim/generate';
import { type SimHandle, startSim } from '../../sim/server';
import { main } from '../../src/cli/main';
import { type VirtualTime, virtualTime } from '../helpers/virtual-time';
import { sampleScan } from '../report/fixtures';

let sim: SimHandle;
let time: VirtualTime | undefined;
let flags: string[];
const saved = { ...process.env };
const dir = mkdtempSync(join(tmpdir(), 'bks-compliance-'));
let broken = '';
let secrets: string[] = [];

beforeAll(async () => {
  const scenario = generateScenario({
    accounts: 4,
    users: 2,
    phantoms: 6,
    seed: 3,
    now: new Date().toISOString(),
  });
  const b = scenario.accounts[3];
  if (!b?.roles?.[0]) throw new Error('generator shape changed');
  b.roles[0].trustedAccounts = ['999999999999'];
  broken = b.id;
  // Credential report polls and rate-limit pacing on virtual time (test/helpers/virtual-time.ts).
  time = virtualTime();
  sim = await startSim({ scenario, waitClock: time.waitClock });
  secrets = (
    sim.state as unknown as {
      accounts: { users: { serviceCredentials: { secret: string }[]; accessKeys: { secret: string }[] }[] }[];
    }
  ).accounts.flatMap((a) =>
    a.users.flatMap((u) => [
      ...u.serviceCredentials.map((c) => c.secret),
      ...u.accessKeys.map((k) => k.secret),
    ]),
  );
  process.env.AWS_ACCESS_KEY_ID = scenario.principals?.[0]?.accessKeyId ?? '';
  process.env.AWS_SECRET_ACCESS_KEY = 'x';
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  flags = ['--endpoint-url', sim.url];
});
afterAll(async () => {
  time?.restore();
  process.env = { ...saved };
  await sim?.close();
});

async function run(args: string[]) {
  const file = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const errs: string[] = [];
  const stderr = { write: (c: string) => errs.push(String(c)) } as unknown as NodeJS.WritableStream;
  const code = await main(['compliance', ...args, '--out-file', file], stderr);
  let out = '';
  try {
    out = readFileSync(file, 'utf8');
  } catch {
    out = '';
  }
  return { code, out, err: errs.join('') };
}

describe('bks compliance', () => {
  it('org mode: renders every format, exits 3 naming the failed account, and leaks no secret', async () => {
    expect(secrets.length).toBeGreaterThan(10);
    const json = await run([...flags, '--org', '-o', 'json', '--max-age-days', '30']);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.out);
    expect(report.schema).toBe('bks.compliance/v1');
    expect(report.totals.accounts).toBe(4);
    expect(report.failedAccounts).toEqual([
      expect.objectContaining({
        accountId: broken,
        error: expect.stringMatching(/could not assume OrganizationAccountAccessRole: AccessDenied/),
      }),
    ]);
    for (const format of ['html', 'markdown', 'csv']) {
      const r = await run([...flags, '--org', '-o', format]);
      expect(r.code).toBe(3);
      for (const s of secrets) expect(r.out.includes(s)).toBe(false);
      expect(r.out).toContain(broken);
    }
    for (const s of secrets) expect(json.out.includes(s)).toBe(false);
    writeFileSync(join(dir, 'week1.json'), json.out);
  });

  it('--from saved scans, --previous for the trend, --fail-on', async () => {
    const scanFile = join(dir, 'scan.json');
    writeFileSync(scanFile, JSON.stringify({ schema: 'bks.scan/v1', ...sampleScan() }));
    const first = await run(['--from', scanFile, '-o', 'json']);
    expect(first.code).toBe(3); // the sample has one failed account
    const prevFile = join(dir, 'prev.json');
    writeFileSync(prevFile, first.out);
    const later = { schema: 'bks.scan/v1', ...sampleScan(undefined, '2026-11-27T12:00:00.000Z') };
    later.accounts = later.accounts.filter((a) => a.status === 'ok');
    const laterFile = join(dir, 'later.json');
    writeFileSync(laterFile, JSON.stringify(later));
    const second = await run([
      '--from',
      laterFile,
      '--previous',
      prevFile,
      '-o',
      'json',
      '--fail-on',
      'at-risk',
    ]);
    expect(second.code).toBe(1);
    const r = JSON.parse(second.out);
    expect(r.trend.resolved.map((f: { rule: string }) => f.rule)).toEqual(['account-unreadable']);
    expect(r.history).toHaveLength(2);
    const md = await run(['--from', laterFile, '--previous', prevFile, '-o', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.out).toMatch(/0 new, 1 resolved, 7 unchanged/);
  });

  it('rejects bad input with exit 2 and one line', async () => {
    const scanFile = join(dir, 'scan.json');
    const notScan = join(dir, 'not-scan.json');
    writeFileSync(notScan, '{"schema":"bks.hunt/v1"}');
    for (const [args, msg] of [
      [['--from', join(dir, 'missing.json')], /--from .*missing.json: ENOENT/],
      [['--from', notScan], /is not a bks.scan\/v1 document/],
      [['--from', scanFile, '--previous', scanFile], /is not a bks.compliance\/v1 document/],
      [['--from', scanFile, '--org'], /--from reads saved scans/],
      [['--from', scanFile, '-o', 'table'], /--output must be one of html, markdown, json, csv/],
      [['--from', scanFile, '--fail-on', 'sometimes'], /--fail-on/],
      [['--accounts', '111111111111'], /need --org/],
      [['--from', scanFile, '--previous', join(dir, 'prev.json')], /is not older than this report/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code, String(args)).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(msg);
    }
  });
});
