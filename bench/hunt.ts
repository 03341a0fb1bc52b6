/**
 * Benchmark of `bks hunt`: generates a CloudTrail log set (default 1 GB uncompressed, `--mb N` for
 * less), then measures, each in its own child process so peak RSS is its own:
 *   1. parse  — a bare JSON.parse of every file (read whole, parsed whole);
 *   2. split  — the streaming read, the Records splitter and JSON.parse per record, no rules;
 *   3. hunt   — the real thing: 2. plus every pattern rule and the stateful engine.
 * Prints a table (MB/s, records/s, peak RSS) and the hunt/parse time ratios (target ≤ 2).
 *
 *   npx tsx bench/hunt.ts [--mb 1024] [--file-mb 128] [--dir DIR] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../sim/prng';

const args = process.argv.slice(2);
const flag = (name: string, def?: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};

// ------------------------------------------------------------------------------------------------
// Child phases

async function phaseParse(dir: string) {
  const t0 = process.hrtime.bigint();
  let records = 0;
  let bytes = 0;
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    bytes += Buffer.byteLength(text);
    records += (JSON.parse(text) as { Records: unknown[] }).Records.length;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, records, bytes, matches: 0 };
}

async function phaseSplit(dir: string) {
  const { listLogFiles, streamRecords } = await import('../src/detect/hunt');
  const t0 = process.hrtime.bigint();
  let records = 0;
  let bytes = 0;
  for (const file of listLogFiles([dir])) {
    const r = await streamRecords(file, () => {});
    records += r.records;
    bytes += r.bytes;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, records, bytes, matches: 0 };
}

async function phaseHunt(dir: string) {
  const { hunt } = await import('../src/detect/hunt');
  const { compileRules } = await import('../src/detect/rules');
  const { loadRules } = await import('../src/detect/rule-files');
  const set = compileRules(loadRules());
  const t0 = process.hrtime.bigint();
  const r = await hunt(set, [dir]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = r.files.reduce((n, f) => n + f.bytes, 0);
  return { seconds, records: r.scanned, bytes, matches: r.matches.length };
}

if (args[0] === '--phase') {
  const phase = args[1] as 'parse' | 'split' | 'hunt';
  const dir = args[2] as string;
  const result = await (phase === 'parse'
    ? phaseParse(dir)
    : phase === 'split'
      ? phaseSplit(dir)
      : phaseHunt(dir));
  process.stdout.write(`${JSON.stringify({ ...result, maxRssKb: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------
// Generation: realistic CloudTrail records, mostly ordinary traffic, some key activity.

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const ORDINARY = [
  ['s3.amazonaws.com', 'GetObject'],
  ['ec2.amazonaws.com', 'DescribeInstances'],
  ['sts.amazonaws.com', 'AssumeRole'],
  ['kms.amazonaws.com', 'Decrypt'],
  ['lambda.amazonaws.com', 'Invoke'],
  ['dynamodb.amazonaws.com', 'PutItem'],
  ['logs.amazonaws.com', 'PutLogEvents'],
  ['iam.amazonaws.com', 'GetRole'],
  ['bedrock.amazonaws.com', 'InvokeModel'],
] as const;

function generator(seed: number) {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  let n = 0;
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  return () => {
    n++;
    const time = new Date(t0 + n * 37).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const id = `${n.toString(16).padStart(8, '0')}-1111-2222-3333-${Math.floor(rand() * 1e12)
      .toString(16)
      .padStart(12, '0')}`;
    const r = rand();
    const role = {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${(n % 97).toString().padStart(9, '0')}:session`,
      arn: `arn:aws:sts::123456789012:assumed-role/app-${n % 97}/session`,
      accountId: '123456789012',
      accessKeyId: 'ASIAEXAMPLEBENCH0001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::123456789012:role/app-${n % 97}`,
          userName: `app-${n % 97}`,
        },
        attributes: { creationDate: time, mfaAuthenticated: 'false' },
      },
    };
    const phantom = `BedrockAPIKey-${(n % 13).toString(36).padStart(4, 'a')}`;
    let record: Record<string, unknown>;
    if (r < 0.02) {
      // A bearer-token invocation by a phantom, in a region of its own.
      record = {
        eventSource: 'bedrock.amazonaws.com',
        eventName: pick(['InvokeModel', 'Converse', 'ListFoundationModels']),
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLEPHANTOM01',
          arn: `arn:aws:iam::123456789012:user/${phantom}`,
          accountId: '123456789012',
          userName: phantom,
        },
        requestParameters: { modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
        additionalEventData: { callWithBearerToken: rand() < 0.5 ? true : 'true' },
      };
    } else if (r < 0.0205) {
      record = {
        eventSource: 'iam.amazonaws.com',
        eventName: pick(['CreateUser', 'CreateAccessKey', 'CreateServiceSpecificCredential']),
        userIdentity: role,
        requestParameters: { userName: phantom, serviceName: 'bedrock.amazonaws.com' },
      };
    } else {
      const [source, name] = pick(ORDINARY);
      record = {
        eventSource: source,
        eventName: name,
        userIdentity: role,
        requestParameters: {
          bucketName: 'example-bucket',
          key: `data/${n}/object.json`,
          Host: 'example-bucket.s3.amazonaws.com',
        },
      };
    }
    return JSON.stringify({
      eventVersion: '1.11',
      userIdentity: record.userIdentity,
      eventTime: time,
      eventSource: record.eventSource,
      eventName: record.eventName,
      awsRegion: pick(REGIONS),
      sourceIPAddress: `203.0.113.${n % 250}`,
      userAgent:
        'aws-sdk-java/2.31.0 Linux/6.8 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. exec-env/AWS_Lambda_java21 io/sync http/Apache cfg/retry-mode/standard',
      requestParameters: record.requestParameters,
      responseElements: null,
      additionalEventData: record.additionalEventData ?? {
        SignatureVersion: 'SigV4',
        CipherSuite: 'TLS_AES_128_GCM_SHA256',
        bytesTransferredIn: 0,
        AuthenticationMethod: 'AuthHeader',
        'x-amz-id-2': 'EXAMPLEid2EXAMPLEid2EXAMPLEid2EXAMPLEid2EXAMPLEid2=',
        bytesTransferredOut: 1532,
      },
      requestID: id.toUpperCase(),
      eventID: id,
      readOnly: true,
      resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::example-bucket/data/${n}/object.json` }],
      eventType: 'AwsApiCall',
      managementEvent: false,
      recipientAccountId: '123456789012',
      eventCategory: 'Data',
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: 'example-bucket.s3.us-east-1.amazonaws.com',
      },
    });
  };
}

function generate(dir: string, totalMb: number, fileMb: number): { files: number; bytes: number } {
  const next = generator(42);
  let written = 0;
  let files = 0;
  const total = totalMb * 1024 * 1024;
  while (written < total) {
    const target = Math.min(fileMb * 1024 * 1024, total - written);
    const fd = openSync(join(dir, `123456789012_CloudTrail_${String(files).padStart(4, '0')}.json`), 'w');
    let size = 0;
    let batch: string[] = [];
    const flush = () => {
      if (batch.length) {
        const b = Buffer.from(batch.join(','));
        writeSync(fd, b);
        size += b.length;
        batch = [];
      }
    };
    writeSync(fd, '{"Records":[');
    size += 12;
    let first = true;
    let pending = 0;
    while (size + pending < target) {
      const rec = next();
      if (!first && batch.length === 0) {
        writeSync(fd, ',');
        size++;
      }
      batch.push(rec);
      pending += rec.length + 1;
      first = false;
      if (batch.length >= 2000) {
        flush();
        pending = 0;
      }
    }
    flush();
    writeSync(fd, ']}');
    closeSync(fd);
    written += statSync(join(dir, `123456789012_CloudTrail_${String(files).padStart(4, '0')}.json`)).size;
    files++;
  }
  return { files, bytes: written };
}

// ------------------------------------------------------------------------------------------------

function runPhase(phase: string, dir: string) {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--phase', phase, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
    seconds: number;
    records: number;
    bytes: number;
    matches: number;
    maxRssKb: number;
  };
}

const ruleCount = (await import('../src/detect/rule-files')).loadRules().length;
const mb = Number(flag('--mb', '1024'));
const fileMb = Number(flag('--file-mb', '128'));
const base = flag('--dir');
const dir = base ?? mkdtempSync(join(tmpdir(), 'bks-bench-hunt-'));
mkdirSync(dir, { recursive: true });
const keep = args.includes('--keep');
try {
  const g0 = Date.now();
  const gen = readdirSync(dir).length
    ? {
        files: readdirSync(dir).length,
        bytes: readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0),
      }
    : generate(dir, mb, fileMb);
  const genSeconds = (Date.now() - g0) / 1000;
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const uptime = (() => {
    try {
      return execFileSync('uptime', { encoding: 'utf8' }).trim();
    } catch {
      return `load average: ${load()}`;
    }
  })();
  const parse = runPhase('parse', dir);
  const split = runPhase('split', dir);
  const h = runPhase('hunt', dir);
  const row = (name: string, r: typeof h) => [
    name,
    (r.bytes / 1048576).toFixed(0),
    String(r.records),
    r.seconds.toFixed(2),
    (r.bytes / 1048576 / r.seconds).toFixed(1),
    String(Math.round(r.records / r.seconds)),
    (r.maxRssKb / 1024).toFixed(0),
    String(r.matches),
  ];
  const headers = ['phase', 'MB', 'records', 'seconds', 'MB/s', 'records/s', 'peak RSS MB', 'matches'];
  const rows = [
    row('JSON.parse, whole files', parse),
    row('stream + split + JSON.parse/record', split),
    row(`bks hunt (the above + ${ruleCount} rules)`, h),
  ];
  const widths = headers.map((hd, i) => Math.max(hd.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(
    `bench/hunt.ts: ${gen.files} file(s), ${(gen.bytes / 1048576).toFixed(0)} MB uncompressed (largest file ${fileMb} MB), generated in ${genSeconds.toFixed(1)} s`,
  );
  console.log(`node ${process.version}; ${uptime}`);
  console.log(line(headers));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(
    `hunt time / JSON.parse time: ${(h.seconds / parse.seconds).toFixed(2)}x vs whole files, ${(h.seconds / split.seconds).toFixed(2)}x vs per-record parse (target ≤ 2x); load after: ${load()}`,
  );
} finally {
  if (!keep && !base) rmSync(dir, { recursive: true, force: true });
}
