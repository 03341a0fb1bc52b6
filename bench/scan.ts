/**
 * `bks scan` cost against the old tool's strategy, on bks-sim with 30 ms per call.
 *
 *   npx tsx bench/scan.ts                       # N = 10, 100, 1000, 5000 + the 200 × 500 organization
 *   npx tsx bench/scan.ts --n 10,100 --no-org   # a quick run
 *   npx tsx bench/scan.ts --org-only
 *
 * The simulator runs as a separate process (`bin/bks-sim.mjs`), so the wall time and memory
 * measured here are the scanner's. The baseline is the old tool's algorithm, faithfully: per
 * service, `ListUsers` (pages of 100) filtered by name prefix, then for each phantom four calls
 * (ListServiceSpecificCredentials, ListAccessKeys, ListAttachedUserPolicies, ListUserPolicies),
 * one after another. Both use the same client layer, so both are counted the same way.
 */
import { cpus, loadavg } from 'node:os';
import {
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { generateScenario } from '../sim/generate';
import { type AwsContext, createAws } from '../src/aws';
import { collectAccount, scanInventory } from '../src/inventory';
import { SERVICES } from '../src/services';
import { startSimProcess } from './lib/sim-process';

/** The old tool's scan of one account: ListUsers per service, then 4 calls per phantom. */
async function baselineScan(aws: AwsContext): Promise<number> {
  const iam = aws.iam();
  let phantoms = 0;
  for (const service of SERVICES) {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListUsersCommand({ Marker: marker }));
      for (const u of page.Users ?? []) {
        if (u.UserName?.startsWith(service.phantomUserPrefix)) names.push(u.UserName);
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    for (const UserName of names) {
      await iam.send(
        new ListServiceSpecificCredentialsCommand({ UserName, ServiceName: service.sscServiceName }),
      );
      await iam.send(new ListAccessKeysCommand({ UserName }));
      await iam.send(new ListAttachedUserPoliciesCommand({ UserName }));
      await iam.send(new ListUserPoliciesCommand({ UserName }));
      phantoms++;
    }
  }
  return phantoms;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

async function phantomSeries(ns: number[], latencyMs: number): Promise<string> {
  const rows: string[] = [
    '| N phantoms | users listed | bks calls | bks wall (s) | baseline calls | baseline wall (s) | calls ratio | speed-up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const n of ns) {
    const scenario = { ...generateScenario({ accounts: 1, users: 0, phantoms: n, seed: 7 }), latencyMs };
    const key = scenario.principals?.[0]?.accessKeyId ?? '';
    const sim = await startSimProcess(scenario, ['--max-old-space-size=4096']);
    try {
      const mk = () =>
        createAws({
          region: 'us-east-1',
          endpointUrl: sim.url,
          credentials: { accessKeyId: key, secretAccessKey: 'x' },
        });
      const ours = mk();
      const a = await timed(() => collectAccount(ours, { services: SERVICES }));
      ours.destroy();
      const base = mk();
      const b = await timed(() => baselineScan(base));
      base.destroy();
      rows.push(
        `| ${fmt(n)} | ${fmt(a.value.users.length)} | ${fmt(ours.calls.total)} | ${fmt(a.seconds, 2)} | ${fmt(base.calls.total)} | ${fmt(b.seconds, 2)} | 1/${fmt(base.calls.total / ours.calls.total)} | ${fmt(b.seconds / a.seconds, 1)}x |`,
      );
      process.stderr.write(`${rows.at(-1)}\n`);
    } finally {
      await sim.stop();
    }
  }
  return rows.join('\n');
}

async function orgRun(
  accounts: number,
  users: number,
  latencyMs: number,
  concurrency: number,
): Promise<string> {
  // Generate, hand to the sim process, and drop: the memory measured below is the scanner's.
  const { key, sim } = await (async () => {
    const scenario = { ...generateScenario({ accounts, users, seed: 1 }), latencyMs };
    return {
      key: scenario.principals?.[0]?.accessKeyId ?? '',
      sim: await startSimProcess(scenario, ['--max-old-space-size=4096']),
    };
  })();
  (globalThis as { gc?: () => void }).gc?.();
  try {
    const aws = createAws({
      region: 'us-east-1',
      endpointUrl: sim.url,
      credentials: { accessKeyId: key, secretAccessKey: 'x' },
    });
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 50);
    const r = await timed(() =>
      scanInventory(aws, { services: SERVICES, org: true, accountConcurrency: concurrency }),
    );
    clearInterval(sampler);
    aws.destroy();
    const s = r.value.summary;
    const maxRss = process.resourceUsage().maxRSS * 1024;
    return [
      '| accounts × users | users listed | failed accounts | API calls | wall (s) | heap before → peak (MB) | peak RSS (MB) | RSS before (MB) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      `| ${accounts} × ${users} (+${Math.max(1, Math.round(users * 0.05))} phantoms each), concurrency ${concurrency} | ${fmt(s.users)} | ${s.accountsFailed} | ${fmt(s.apiCalls)} | ${fmt(r.seconds, 1)} | ${fmt(heapBefore / 1e6)} → ${fmt(peakHeap / 1e6)} | ${fmt(maxRss / 1e6)} | ${fmt(rssBefore / 1e6)} |`,
    ].join('\n');
  } finally {
    await sim.stop();
  }
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ns = (arg('--n') ?? '10,100,1000,5000').split(',').map(Number);
  const latency = Number(arg('--latency') ?? 30);
  const out: string[] = [
    `bench/scan.ts: latency ${latency} ms per call; node ${process.version}; ${cpus().length} CPUs; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    '',
  ];
  if (!argv.includes('--org-only')) out.push(await phantomSeries(ns, latency), '');
  if (!argv.includes('--no-org')) {
    out.push(
      await orgRun(
        Number(arg('--accounts') ?? 200),
        Number(arg('--users') ?? 500),
        latency,
        Number(arg('--concurrency') ?? 16),
      ),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main(process.argv.slice(2));
