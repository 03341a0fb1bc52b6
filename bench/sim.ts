/**
 * How much `bks-sim` serves: IAM calls per second on loopback with no latency, and the memory of a
 * 50-account × 2,000-user scenario.
 *
 *   npx tsx --expose-gc bench/sim.ts                  # full run (≈ 1 min)
 *   npx tsx --expose-gc bench/sim.ts --calls 500      # a quick run
 *
 * The simulator runs as a separate process (`bin/bks-sim.mjs`), one Node process, so the
 * throughput is what one core of the server gives. Two clients drive it:
 * - the real AWS SDK for JavaScript v3 (`IAMClient`, GetUser and ListUsers, 32 calls in flight),
 *   which is what the project's benchmarks use; the client's own CPU shares the machine;
 * - a light raw HTTP client (keep-alive, pre-built query requests with a SigV4-shaped
 *   Authorization header, 64 in flight): the server's own capacity.
 * Memory: the generated scenario is loaded into a fresh sim process (`--expose-gc`), which reports
 * its RSS and heap after a forced GC. Authorization: the IAM engine's own rate (cache misses) and the
 * decision cache's, measured in this process; so is the CloudTrail event history (100,000 events).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { GetUserCommand, IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import { generateScenario } from '../sim/generate';
import { startSimProcess } from './lib/sim-process';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/** Runs `total` calls with `concurrency` in flight; returns calls per second. */
async function drive(
  total: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        await call(i);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

function rawClient(url: string) {
  const { hostname, port } = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const auth =
    'AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK/20261120/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0';
  return (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            authorization: auth,
            'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function throughput(calls: number): Promise<[string, string][]> {
  const scenario = generateScenario({ accounts: 1, users: 200, phantoms: 10, seed: 1 });
  const names = scenario.accounts[0]!.users!.map((u) => u.name);
  const sim = await startSimProcess({ ...scenario, principals: [] });
  try {
    const iam = new IAMClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDBENCHMARK', secretAccessKey: 'not-a-secret' },
    });
    // Warm up both paths.
    await drive(200, 16, (i) => iam.send(new GetUserCommand({ UserName: names[i % names.length] })));
    const sdkGet = await drive(calls, 32, (i) =>
      iam.send(new GetUserCommand({ UserName: names[i % names.length] })),
    );
    const sdkList = await drive(calls, 32, () => iam.send(new ListUsersCommand({ MaxItems: 100 })));
    const raw = rawClient(sim.url);
    await drive(200, 16, (i) => raw(`Action=GetUser&Version=2010-05-08&UserName=${names[i % names.length]}`));
    const pid = sim.child.pid!;
    let cpu0 = cpuSeconds(pid);
    const rawGet = await drive(calls * 2, 64, (i) =>
      raw(`Action=GetUser&Version=2010-05-08&UserName=${encodeURIComponent(names[i % names.length]!)}`),
    );
    const rawGetCpu = (calls * 2) / (cpuSeconds(pid) - cpu0);
    cpu0 = cpuSeconds(pid);
    const rawList = await drive(calls * 2, 64, () => raw('Action=ListUsers&Version=2010-05-08&MaxItems=100'));
    const rawListCpu = (calls * 2) / (cpuSeconds(pid) - cpu0);
    const f = (n: number) => `${Math.round(n).toLocaleString('en-US')} calls/s`;
    return [
      ['IAM GetUser, JS SDK v3 (32 in flight)', f(sdkGet)],
      ['IAM ListUsers MaxItems=100, JS SDK v3 (32 in flight)', f(sdkList)],
      ['IAM GetUser, raw HTTP keep-alive (64 in flight)', f(rawGet)],
      ['IAM ListUsers MaxItems=100, raw HTTP (64 in flight)', f(rawList)],
      ['IAM GetUser per CPU-second of the sim process', f(rawGetCpu)],
      ['IAM ListUsers MaxItems=100 per CPU-second of the sim process', f(rawListCpu)],
    ];
  } finally {
    await sim.stop();
  }
}

/** Start time and RSS of a sim process holding an accounts × users scenario. */
async function memory(accounts: number, users: number): Promise<[string, string][]> {
  const scenario = generateScenario({ accounts, users, phantoms: 0, seed: 2 });
  const total = scenario.accounts.reduce((n, a) => n + (a.users?.length ?? 0), 0);
  const sim = await startSimProcess(scenario, ['--expose-gc', '--max-old-space-size=4096']);
  try {
    // RSS of the sim process once it listens (Linux /proc); the heap is measured in-process below.
    await new Promise((r) => setTimeout(r, 500));
    const status = readFileSync(`/proc/${sim.child.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
    return [
      [`scenario ${accounts} accounts × ${users} users (${total.toLocaleString('en-US')} users)`, ''],
      ['  sim start + load (process spawn to listening)', `${(sim.loadMs / 1000).toFixed(1)} s`],
      ['  sim RSS after load', rssKb > 0 ? mb(rssKb) : 'n/a (no /proc)'],
    ];
  } finally {
    await sim.stop();
  }
}

/** The heap the normalised state takes, measured in this process (with --expose-gc when given). */
async function heapOfState(accounts: number, users: number): Promise<[string, string][]> {
  const { loadScenario } = await import('../sim/scenario');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let state: unknown = loadScenario(generateScenario({ accounts, users, phantoms: 0, seed: 2 }));
  gc?.();
  const after = process.memoryUsage();
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  const rows: [string, string][] = [
    [
      '  heap of the loaded state' + (gc ? '' : ' (no --expose-gc: approximate)'),
      mb(after.heapUsed - before.heapUsed),
    ],
  ];
  state = undefined;
  void state;
  return rows;
}

/**
 * The IAM authorization every call goes through (sim/authz.ts), in this process: decisions the
 * engine evaluates (cache misses: a user with AmazonBedrockLimitedAccess, a distinct resource per
 * call) and decisions served from the cache (the same call again).
 */
async function authorization(n: number): Promise<[string, string][]> {
  const { loadScenario } = await import('../sim/scenario');
  const { createContext } = await import('../sim/server');
  const { authorize, loadEngine, userPrincipal, engineEvaluations } = await import('../sim/authz');
  await loadEngine();
  const state = loadScenario({
    accounts: [
      {
        id: '111111111111',
        users: [{ name: 'ml', managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'] }],
      },
    ],
  });
  const ctx = createContext(state);
  const account = state.accounts[0]!;
  const principal = userPrincipal(ctx, account, account.users[0]!);
  const req = (i: number) => ({
    principal,
    action: 'bedrock:InvokeModel',
    resource: `arn:aws:bedrock:us-east-1::foundation-model/bench.model-${i}`,
    region: 'us-east-1',
    time: new Date(),
  });
  const before = engineEvaluations();
  let t = performance.now();
  for (let i = 0; i < n; i++) await authorize(ctx, req(i));
  const missRate = n / ((performance.now() - t) / 1000);
  const evaluated = engineEvaluations() - before;
  t = performance.now();
  for (let i = 0; i < n * 10; i++) await authorize(ctx, req(i % n));
  const hitRate = (n * 10) / ((performance.now() - t) / 1000);
  const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} decisions/s`;
  return [
    [`IAM authorization, engine evaluations (${evaluated} cache misses)`, fmt(missRate)],
    ['IAM authorization, cached decisions', fmt(hitRate)],
  ];
}

/**
 * CloudTrail event history (sim/cloudtrail.ts EventStore): indexing `n` management events of one
 * account-region (1,000 user names) and LookupEvents by Username (two pages of 50), checked against
 * the events' order; the test (test/sim/cloudtrail.test.ts) runs the same lookups over 10,000.
 */
async function eventHistory(n: number): Promise<[string, string][]> {
  const { EventStore } = await import('../sim/cloudtrail');
  const { trailRecord } = await import('../test/helpers/cloudtrail');
  const account = '111111111111';
  const base = Date.parse('2026-11-01T00:00:00Z');
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++)
    events.push(
      trailRecord({
        account,
        userName: `u${i % 1000}`,
        region: 'us-west-2',
        time: new Date(base + i * 1000),
        id: `e${i}`,
      }),
    );
  const store = new EventStore();
  let t = performance.now();
  store.sync({ accounts: [{ id: account, events }] } as never);
  const indexMs = performance.now() - t;
  const rounds = 1000;
  const last = n - 1000 + 7;
  t = performance.now();
  for (let r = 0; r < rounds; r++) {
    const by = { attribute: { key: 'Username' as const, value: 'u7' }, maxResults: 50 };
    const page = store.lookup(account, 'us-west-2', by);
    const next = store.lookup(account, 'us-west-2', { ...by, after: page.next });
    if (page.events[0]?.EventId !== `e${last}` || next.events[0]?.EventId !== `e${last - 50 * 1000}`)
      throw new Error('event history: the lookup returned the wrong events');
  }
  const lookupUs = ((performance.now() - t) * 1000) / (rounds * 2);
  const count = n.toLocaleString('en-US');
  return [
    [`CloudTrail event history, index ${count} events`, `${Math.round(indexMs)} ms`],
    [
      `CloudTrail LookupEvents by Username over ${count} events, one page of 50`,
      `${Math.round(lookupUs)} µs`,
    ],
  ];
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--calls');
  const calls = i >= 0 ? Number(argv[i + 1]) : 4000;
  const rows: [string, string][] = [];
  rows.push(...(await throughput(calls)));
  rows.push(...(await authorization(Math.min(calls, 2000))));
  rows.push(...(await eventHistory(100_000)));
  rows.push(...(await memory(50, 2000)));
  rows.push(...(await heapOfState(50, 2000)));
  const width = Math.max(...rows.map((r) => r[0].length));
  const lines = [
    `bks-sim benchmark — node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
    '',
    `${'measure'.padEnd(width)}  value`,
    `${'-'.repeat(width)}  ${'-'.repeat(16)}`,
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main(process.argv.slice(2));
