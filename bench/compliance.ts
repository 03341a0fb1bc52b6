/**
 * The compliance report's local aggregation at organization scale: N account results (as the
 * aggregate Lambda reads them from S3: one JSON document per account) → the report with its trend
 * against the previous week → JSON and HTML renderings.
 *
 *   npx tsx bench/compliance.ts                 # N = 100, 1000, 5000
 *   npx tsx bench/compliance.ts --n 1000 --users 30
 *
 * Every account holds `--users` key-bearing users (phantoms of every kind and ordinary users with
 * keys, deterministic); 2 % of accounts failed. Each row is measured in a fresh child process so
 * peak RSS belongs to that size alone. No AWS calls: the S3 and API cost of the workflow is one
 * GetObject per account (plus two for the list and the previous report) and is asserted in
 * test/report/workflow.sim.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Dice } from '../sim/generate';
import type { AccountScan, ScanUser } from '../src/inventory/types';
import { buildComplianceReport } from '../src/report/compliance';
import { renderComplianceHtml } from '../src/report/render-html';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function accountResults(n: number, usersPer: number, seed: number, now: number): string[] {
  const d = new Dice(seed);
  const out: string[] = [];
  for (let a = 0; a < n; a++) {
    const accountId = String(200_000_000_000 + a * 1001);
    if (d.int(50) === 0) {
      out.push(
        JSON.stringify({
          accountId,
          status: 'error',
          error: 'could not assume OrganizationAccountAccessRole: AccessDenied',
          users: [],
        }),
      );
      continue;
    }
    const users: ScanUser[] = [];
    for (let i = 0; i < usersPer; i++) {
      const phantom = d.int(4) !== 0;
      const name = phantom ? `BedrockAPIKey-${d.chars(4)}${i}` : `dev-${d.chars(5)}${i}`;
      const kind = d.int(6);
      const created = now - (1 + d.int(500)) * DAY;
      const expires = kind === 0 ? null : iso(now + (d.int(60) - 10) * DAY);
      const status =
        kind === 1 && phantom
          ? 'AT_RISK'
          : kind === 2 && phantom
            ? 'ORPHANED'
            : kind === 5 && d.int(5) === 0
              ? 'UNKNOWN'
              : 'ACTIVE';
      users.push({
        userName: name,
        arn: `arn:aws:iam::${accountId}:user/${name}`,
        phantom,
        service: d.int(5) === 0 ? 'claude-platform' : 'bedrock',
        status,
        reasons: [
          status === 'AT_RISK' ? 'phantom user with 1 active IAM access key' : `${status.toLowerCase()} user`,
        ],
        evidence: phantom ? ['name-prefix', 'managed-policy'] : ['service-credential'],
        credentials:
          status === 'ORPHANED'
            ? []
            : [
                {
                  id: `ACCA${d.chars(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
                  status: 'Active',
                  createdAt: iso(created),
                  expiresAt: expires,
                },
              ],
        accessKeys: status === 'AT_RISK' ? [{ status: 'Active' }] : [],
        consolePassword: false,
        mfa: false,
        groups: [],
      });
    }
    out.push(JSON.stringify({ accountId, name: `member-${a}`, status: 'ok', users } satisfies AccountScan));
  }
  return out;
}

function measureOne(n: number, usersPer: number): Record<string, number> {
  const week1 = accountResults(n, usersPer, 1, NOW - 7 * DAY);
  const week2 = accountResults(n, usersPer, 2, NOW);
  const bytes = week2.reduce((s, t) => s + t.length, 0);
  const previous = buildComplianceReport(
    {
      generatedAt: iso(NOW - 7 * DAY),
      partition: 'aws',
      services: ['bedrock', 'claude-platform'],
      accounts: week1.map((t) => JSON.parse(t)),
    },
    { maxAgeDays: 90 },
  );
  const previousJson = JSON.stringify(previous);
  const t0 = performance.now();
  const accounts = week2.map((t) => JSON.parse(t) as AccountScan);
  const prev = JSON.parse(previousJson);
  const t1 = performance.now();
  const report = buildComplianceReport(
    { generatedAt: iso(NOW), partition: 'aws', services: ['bedrock', 'claude-platform'], accounts },
    { maxAgeDays: 90, previous: prev },
  );
  const t2 = performance.now();
  const json = JSON.stringify(report, null, 2);
  const html = renderComplianceHtml(report);
  const t3 = performance.now();
  return {
    accounts: n,
    users: report.totals.users,
    findings: report.totals.findings,
    inputMB: bytes / 1e6,
    parseMs: t1 - t0,
    buildMs: t2 - t1,
    renderMs: t3 - t2,
    totalMs: t3 - t0,
    jsonMB: json.length / 1e6,
    htmlMB: html.length / 1e6,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

function main(argv: string[]): void {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const usersPer = Number(get('--users') ?? 20);
  if (argv.includes('--child')) {
    process.stdout.write(JSON.stringify(measureOne(Number(get('--n')), usersPer)));
    return;
  }
  const sizes = (get('--n') ?? '100,1000,5000').split(',').map(Number);
  const rows: Record<string, number>[] = [];
  for (const n of sizes) {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        '--n',
        String(n),
        '--users',
        String(usersPer),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    rows.push(JSON.parse(out));
  }
  const f = (v: number | undefined, digits = 0) => (v ?? 0).toFixed(digits);
  const lines = [
    `bks compliance aggregation (${usersPer} key-bearing users per account, trend against the previous week; node ${process.version}, ${cpus().length} CPUs, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    '',
    '| accounts | users | findings | input MB | parse ms | build ms | render JSON+HTML ms | total ms | accounts/s | JSON MB | HTML MB | peak RSS MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.accounts} | ${r.users} | ${r.findings} | ${f(r.inputMB, 1)} | ${f(r.parseMs)} | ${f(r.buildMs)} | ${f(r.renderMs)} | ${f(r.totalMs)} | ${f(((r.accounts ?? 0) * 1000) / (r.totalMs ?? 1))} | ${f(r.jsonMB, 1)} | ${f(r.htmlMB, 1)} | ${f(r.peakRssMB)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2));
