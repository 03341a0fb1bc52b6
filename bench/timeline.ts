/**
 * `bks timeline` against CloudTrail's physical limit, on bks-sim (a separate process, so the wall
 * time and memory measured here are the timeline's).
 *
 *   npx tsx bench/timeline.ts                      # 17 regions × 500 events, 0% and 20% throttling
 *   npx tsx bench/timeline.ts --regions 3 --events 200 --faults 0.2
 *
 * The sim enforces `cloudtrail:LookupEvents` at 2 requests/s per region (it answers
 * ThrottlingException above that) and, on top, throttles the given fraction of calls at random.
 * The physical limit is the slowest region's pages ÷ 2/s: no client can read a region faster.
 */
import { cpus, loadavg } from 'node:os';
import { createAws } from '../src/aws';
import { DEFAULT_ENABLED_REGIONS } from '../src/timeline/regions';
import { runTimeline } from '../src/timeline/run';
import { startSimProcess } from './lib/sim-process';

const ACCT = '111111111111';
const USER = 'BedrockAPIKey-b3nc';
const ADMIN = ['AKIA', 'BENCHTIMELINEKEY'].join('');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function scenario(regions: string[], perRegion: number, faults: number) {
  const now = Date.now();
  const events = regions.flatMap((region) =>
    Array.from({ length: perRegion }, (_, i) => ({
      eventVersion: '1.11',
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${ACCT}:user/${USER}`,
        accountId: ACCT,
        userName: USER,
      },
      eventTime: new Date(now - (i + 1) * 30_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 'bedrock.amazonaws.com',
      eventName: i % 25 === 0 ? 'ListFoundationModels' : 'InvokeModel',
      awsRegion: region,
      sourceIPAddress: '203.0.113.7',
      userAgent: 'python-requests/2.32.5',
      requestParameters: { modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
      responseElements: null,
      additionalEventData: { callWithBearerToken: true },
      requestID: `req-${region}-${i}`,
      eventID: `evt-${region}-${i}`,
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCT,
      eventCategory: 'Management',
    })),
  );
  return {
    rateLimits: { 'cloudtrail:LookupEvents': 2 },
    faults:
      faults > 0
        ? [{ action: 'cloudtrail:LookupEvents', error: 'ThrottlingException', probability: faults }]
        : [],
    principals: [
      { accessKeyId: ADMIN, secretAccessKey: 'x', account: ACCT, arn: `arn:aws:iam::${ACCT}:user/secops` },
    ],
    accounts: [{ id: ACCT, regions, users: [{ name: 'secops' }, { name: USER }], events }],
  };
}

async function one(regionCount: number, perRegion: number, faults: number) {
  const regions = (DEFAULT_ENABLED_REGIONS.aws ?? []).slice(0, regionCount);
  const sim = await startSimProcess(scenario(regions, perRegion, faults));
  const aws = createAws({
    region: 'us-east-1',
    endpointUrl: sim.url,
    credentials: { accessKeyId: ADMIN, secretAccessKey: 'x' },
  });
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  try {
    const t0 = performance.now();
    const r = await runTimeline(
      aws,
      { kind: 'user', label: USER, userName: USER, accessKeyIds: [], notes: [] },
      { days: 90, regions },
    );
    const seconds = (performance.now() - t0) / 1000;
    const maxPages = Math.max(...r.regions.map((x) => x.pages));
    const limit = maxPages / 2;
    const failed = r.regions.filter((x) => x.status !== 'ok').length;
    return {
      regions: regions.length,
      perRegion,
      faults,
      events: r.events.length,
      expected: regions.length * perRegion,
      calls: r.calls,
      throttled: r.throttled,
      pages: maxPages,
      seconds,
      limit,
      ratio: seconds / limit,
      throughput: r.events.length / seconds,
      heapMb: peakHeap / 2 ** 20,
      failed,
    };
  } finally {
    clearInterval(sampler);
    aws.destroy();
    await sim.stop();
  }
}

const regions = Number(arg('regions', '17'));
const events = Number(arg('events', '500'));
const faultList = arg('faults', '0,0.2').split(',').map(Number);
const rows = [
  '| regions × events | throttling faults | events found | LookupEvents calls (throttled) | slowest region pages | physical limit (s) | wall (s) | wall ÷ limit | events/s | peak heap (MB) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const f of faultList) {
  const r = await one(regions, events, f);
  rows.push(
    `| ${r.regions} × ${r.perRegion} | ${Math.round(r.faults * 100)}% | ${r.events} / ${r.expected}${r.failed ? ` (${r.failed} regions failed)` : ''} | ${r.calls} (${r.throttled}) | ${r.pages} | ${r.limit.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.ratio.toFixed(2)}x | ${Math.round(r.throughput)} | ${r.heapMb.toFixed(0)} |`,
  );
}
console.log(rows.join('\n'));
console.log(
  `\nnode ${process.version}, ${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
