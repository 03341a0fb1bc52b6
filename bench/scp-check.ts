/**
 * `bks scp check` cost: API calls, wall time and memory of walking an organization and judging
 * every account, on bks-sim with a per-call latency (default 30 ms, like AWS from nearby).
 *
 *   npx tsx bench/scp-check.ts                          # 10, 100, 1000 accounts; concurrency 1, 4, 8
 *   npx tsx bench/scp-check.ts --n 10,100 --concurrency 4 --latency 0
 *
 * The simulator runs as a separate process, so the time and memory measured are the checker's.
 * The organization: accounts spread over OUs two levels deep (10 accounts per OU), the shipped
 * SCPs attached at a few OUs, a customer policy on every tenth account.
 */
import { createAws } from '../src/aws';
import { checkOrganization, collectOrganization, type OrgNode } from '../src/policy/check';
import { loadScpCatalog, minifyPolicy, renderScp } from '../src/policy/scps';
import { startSimProcess } from './lib/sim-process';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const sizes = arg('n', '10,100,1000').split(',').map(Number);
const concurrencies = arg('concurrency', '1,4,8').split(',').map(Number);
const latencyMs = Number(arg('latency', '30'));

const MGMT = '100000000000';
const KEY = ['AKIA', 'BENCHORGADMINKEY1'].join('');
const catalog = loadScpCatalog({ includeNegative: true });
const shipped = (name: string) => JSON.parse(minifyPolicy(renderScp(catalog.find((e) => e.name === name)!)));

function organization(n: number) {
  const accounts = Array.from({ length: n }, (_, i) => String(100000000001 + i));
  const ous: { id: string; name: string; parent?: string; accounts: string[] }[] = [];
  const groups = Math.max(1, Math.ceil(n / 10));
  const top = Math.max(1, Math.ceil(groups / 10));
  for (let t = 0; t < top; t++)
    ous.push({ id: `ou-bnch-t${String(t).padStart(7, '0')}`, name: `division-${t}`, accounts: [] });
  for (let g = 0; g < groups; g++) {
    ous.push({
      id: `ou-bnch-g${String(g).padStart(7, '0')}`,
      name: `team-${g}`,
      parent: `ou-bnch-t${String(g % top).padStart(7, '0')}`,
      accounts: accounts.slice(g * 10, g * 10 + 10),
    });
  }
  const divisions = ous.filter((u) => u.parent === undefined).map((u) => u.id);
  return {
    latencyMs,
    principals: [{ accessKeyId: KEY, account: MGMT, arn: `arn:aws:iam::${MGMT}:user/secops` }],
    accounts: [{ id: MGMT }, ...accounts.map((id) => ({ id }))],
    organization: {
      managementAccount: MGMT,
      ous,
      policies: [
        {
          name: 'bks-deny-long-term-api-keys',
          content: shipped('deny-long-term-api-keys'),
          targets: divisions,
        },
        { name: 'bks-api-key-max-age', content: shipped('api-key-max-age'), targets: divisions.slice(0, 1) },
        {
          name: 'corp-phantom-lockdown',
          content: shipped('deny-phantom-escalation'),
          targets: accounts.filter((_, i) => i % 10 === 0),
        },
      ],
    },
  };
}

const rows: string[][] = [];
for (const n of sizes) {
  const sim = await startSimProcess(organization(n));
  try {
    for (const concurrency of concurrencies) {
      const aws = createAws({
        region: 'us-east-1',
        endpointUrl: sim.url,
        credentials: { accessKeyId: KEY, secretAccessKey: 'bench' },
      });
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      const collected = await collectOrganization(aws.organizations(), { concurrency });
      const t1 = performance.now();
      const report = checkOrganization(
        collected.snapshot,
        catalog.filter((e) => !e.negativeExample),
        {},
        catalog,
      );
      const t2 = performance.now();
      const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      const calls = Object.values(collected.apiCalls).reduce((a, b) => a + b, 0);
      const countOus = (nodes: OrgNode[]): number =>
        nodes.reduce(
          (sum, node) => sum + (node.type === 'ORGANIZATIONAL_UNIT' ? 1 : 0) + countOus(node.children),
          0,
        );
      const ouCount = countOus(collected.snapshot.roots);
      rows.push([
        String(report.accounts.length),
        String(ouCount),
        String(concurrency),
        String(calls),
        (t1 - t0).toFixed(0),
        (t2 - t1).toFixed(0),
        ((report.accounts.length / (t2 - t0)) * 1000).toFixed(0),
        heapMb.toFixed(1),
        String(collected.errors.length),
      ]);
    }
  } finally {
    await sim.stop();
  }
}

const headers = [
  'accounts',
  'OUs',
  'concurrency',
  'API calls',
  'walk ms',
  'judge ms',
  'accounts/s',
  'heap Δ MB',
  'errors',
];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
console.log(`bks scp check on bks-sim, ${latencyMs} ms per call (5 controls, node ${process.version})`);
console.log(line(headers));
for (const r of rows) console.log(line(r));
