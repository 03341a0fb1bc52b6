/**
 * Every `bks` command the README and docs/ show in a ```sh block runs against the demo organization
 * on bks-sim, as a reader would type it (in /bin/sh, `bks` on PATH, the demo's credentials and
 * profiles), and exits as the doc says. The commands are found, not listed (./examples.ts): a new
 * doc is covered the moment it lands. Files whose commands change the account get a simulator of
 * their own; the others share one and run in parallel. Within a file, lines run in order in one
 * directory. `bks` is the run's bundle of the sources under test (test/helpers/bundle.ts).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAwsConfig } from '../../demo/aws-config';
import { type SimHandle, startSim } from '../../sim/server';
import { shiftScenarioToNow } from '../../sim/timeshift';
import { trailLoggedRecords } from '../../sim/trails';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { serviceBySscName } from '../../src/services';
import { generatedShortTermKey } from '../helpers/bedrock-token';
import { testBundle } from '../helpers/bundle';
import {
  bksCommand,
  collectExamples,
  type Example,
  examplesIn,
  KNOWN_VARIABLES,
  placeholders,
  splitComment,
  unknownVariables,
} from './examples';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO = join(ROOT, 'sim', 'scenarios', 'demo.json');
const PROD = '222222222222';
const LEAKED_USER = 'BedrockAPIKey-q7xk';
/** The SageMaker notebook's session in the data-science account (CloudTrail has its calls). */
const NOTEBOOK_SESSION = {
  account: '444444444444',
  accessKeyId: 'ASIAGO6XUA4OJOMHMIXC',
  region: 'us-west-2',
};

const examples = collectExamples(ROOT);
const byFile = new Map<string, Example[]>();
for (const e of examples) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);

interface Demo {
  scenario: unknown;
  vars: Record<(typeof KNOWN_VARIABLES)[number], string>;
  bin: string;
}
let demo: Demo;
let shared: SimHandle;
const sims: SimHandle[] = [];
const work = mkdtempSync(join(tmpdir(), 'bks-docs-'));

interface SimState {
  principals: { accessKeyId: string; secretAccessKey?: string }[];
  accounts: {
    id: string;
    users: { name: string; serviceCredentials: { service: string; secret?: string }[] }[];
    events: Record<string, unknown>[];
  }[];
}

function leakedKey(state: SimState): string {
  const user = state.accounts.find((a) => a.id === PROD)?.users.find((u) => u.name === LEAKED_USER);
  const cred = user?.serviceCredentials.find((c) => c.service === 'bedrock.amazonaws.com');
  const service = serviceBySscName('bedrock.amazonaws.com');
  if (!cred?.secret || !service) throw new Error(`the demo has no key for ${LEAKED_USER}`);
  return encodeLongTermKey(service, longTermAlias(LEAKED_USER, PROD, 0), cred.secret);
}

beforeAll(async () => {
  // `bks` bundled from the sources under test: a reader's shell starts it for every line, and the
  // bundle starts in a fraction of tsx's time.
  const bks = (await testBundle()).bks;
  const scenario = shiftScenarioToNow(JSON.parse(readFileSync(DEMO, 'utf8')));
  shared = await startSim({ scenario });
  const state = shared.state as unknown as SimState;
  const issued = new Date(Date.now() - 10 * 60_000);
  const shortTerm = await generatedShortTermKey(
    { accessKeyId: NOTEBOOK_SESSION.accessKeyId, secretAccessKey: 'x', sessionToken: 'docs-test-session' },
    NOTEBOOK_SESSION.region,
    issued,
  );
  const key = leakedKey(state);
  // `bks` and `npx bks` on PATH run the sources under test.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'bks'), `#!/bin/sh\nexec "${process.execPath}" "${bks}" "$@"\n`);
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh\nif [ "$1" = bks ]; then shift; exec "${process.execPath}" "${bks}" "$@"; fi\necho "docs test: only npx bks runs here" >&2; exit 127\n`,
  );
  chmodSync(join(bin, 'bks'), 0o755);
  chmodSync(join(bin, 'npx'), 0o755);
  demo = { scenario, vars: { LEAKED_KEY: key, KEY: key, SHORT_TERM_KEY: shortTerm }, bin };
}, 120_000);

afterAll(async () => {
  await shared?.close();
  for (const s of sims) await s.close();
  rmSync(work, { recursive: true, force: true });
});

/** The reader's directory: AWS profiles of the demo, the leaked key in a file, CloudTrail exports. */
function readerDir(file: string, sim: SimHandle): string {
  const dir = join(work, file.replace(/[^\w.-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  const state = sim.state as unknown as SimState;
  const admin = state.principals[0];
  writeFileSync(
    join(dir, '.aws-credentials'),
    ['default', 'org-admin']
      .map(
        (p) =>
          `[${p}]\naws_access_key_id = ${admin?.accessKeyId}\naws_secret_access_key = ${admin?.secretAccessKey ?? 'x'}\n`,
      )
      .join(''),
  );
  const profiles = { 'acme-prod': PROD, 'acme-dev': '333333333333', 'acme-data': '444444444444' };
  writeFileSync(join(dir, '.aws-config'), demoAwsConfig(profiles, ['org-admin']));
  writeFileSync(join(dir, 'leaked.txt'), `${demo.vars.LEAKED_KEY}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'leaked-key.txt'), `${demo.vars.LEAKED_KEY}\n`, { mode: 0o600 });
  // The prod account's CloudTrail, as an S3 export (AWSLogs/<account>/CloudTrail/…) and one file:
  // what its trails logged (not the data events no trail selects).
  const records = trailLoggedRecords(sim.state, PROD).sort((a, b) =>
    String(a.eventTime).localeCompare(String(b.eventTime)),
  );
  const gz = gzipSync(JSON.stringify({ Records: records }));
  const logs = join(dir, 'AWSLogs', PROD, 'CloudTrail', 'us-east-1');
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, `${PROD}_CloudTrail_us-east-1_docs.json.gz`), gz);
  writeFileSync(join(dir, 'trail.json.gz'), gz);
  return dir;
}

interface Ran {
  code: number | null;
  output: string;
}

function runLine(e: Example, dir: string, sim: SimHandle): Promise<Ran> {
  const env: NodeJS.ProcessEnv = {
    PATH: `${demo.bin}:${process.env.PATH}`,
    HOME: dir,
    SHELL: '/bin/sh',
    NO_COLOR: '1',
    TERM: 'dumb',
    AWS_ENDPOINT_URL: sim.url,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(dir, '.aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, '.aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...demo.vars,
  };
  // A changing command without -y asks; the reader answers y at a terminal (script gives it one).
  const [cmd, args] = e.interactive
    ? ['script', ['-qec', e.command, '/dev/null']]
    : ['/bin/sh', ['-c', e.command]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
    child.stdin.end(e.interactive ? 'y\n' : '');
  });
}

/** At most this many doc files at once (the machine is shared). */
const PARALLEL = 3;
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= PARALLEL) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

describe('the examples in the docs', () => {
  it('are found in README.md and docs/ (at least the pages known to have them)', () => {
    const files = new Set(examples.map((e) => e.file));
    for (const f of [
      'README.md',
      'docs/commands/scan.md',
      'docs/commands/revoke-key.md',
      'docs/commands/report.md',
    ])
      expect(files, f).toContain(f);
    expect(examples.length).toBeGreaterThan(30);
  });

  it('use only defined variables and no placeholders', () => {
    const bad = examples
      .map((e) => ({ e, vars: unknownVariables(e.command), ph: placeholders(e.command) }))
      .filter((x) => x.vars.length > 0 || x.ph.length > 0)
      .map(
        (x) =>
          `${x.e.file}:${x.e.line} ${x.e.command}: ${[...x.vars.map((v) => `$${v} is not defined (known: ${KNOWN_VARIABLES.join(', ')})`), ...x.ph.map((p) => `placeholder ${p}: write a runnable command or mark the block <!-- docs-test: skip REASON -->`)].join('; ')}`,
      );
    expect(bad).toEqual([]);
  });

  describe.concurrent.each([...byFile.keys()])('%s', (file) => {
    it('every bks command exits as the doc says', { timeout: 600_000 }, async () => {
      const list = byFile.get(file) ?? [];
      const changes = list.some((e) => e.changes);
      await slot(async () => {
        let sim = shared;
        if (changes) {
          sim = await startSim({ scenario: demo.scenario });
          sims.push(sim);
        }
        const dir = readerDir(file, sim);
        const failures: string[] = [];
        for (const e of list) {
          const r = await runLine(e, dir, sim);
          if (r.code !== e.exit)
            failures.push(
              `${e.file}:${e.line} \`${e.command}\` exited ${r.code}, the doc says ${e.exit}:\n${r.output.trim().split('\n').slice(-6).join('\n')}`,
            );
        }
        expect(failures).toEqual([]);
      });
    });
  });
});

describe('finding the examples', () => {
  it('reads comments, expected exits, $(…) calls, continuations and the skip marker', () => {
    const md = [
      '```sh',
      'bks scan --org            # exit 3: one account cannot be read',
      'aws x --content "$(bks scp show a --n 30)"',
      'npx bks decode-key "$KEY" # "quoted # is not a comment"',
      'bks cleanup -y \\',
      '  --older-than 90',
      'bks revoke-key "$LEAKED_KEY"',
      'npm ci && bks-sim --port 1 &',
      '```',
      '<!-- docs-test: skip real AWS only -->',
      '```sh',
      'bks scan --profile prod',
      '```',
      '```text',
      'bks not a command',
      '```',
    ].join('\n');
    const found = examplesIn(md, 'x.md');
    expect(found.map((e) => [e.line, e.command, e.exit, e.interactive, e.changes])).toEqual([
      [2, 'bks scan --org', 3, false, false],
      [3, 'bks scp show a --n 30', 0, false, false],
      [4, 'npx bks decode-key "$KEY"', 0, false, false],
      [5, 'bks cleanup -y  --older-than 90', 0, false, true],
      [7, 'bks revoke-key "$LEAKED_KEY"', 0, true, true],
    ]);
    expect(splitComment(`bks x "a # b" # c`)).toEqual({ code: 'bks x "a # b"', comment: 'c' });
    expect(bksCommand('bks-sim --scenario x')).toBeUndefined();
    expect(unknownVariables(['bks report "$LEAKED_KEY" "$', '{OTHER}"'].join(''))).toEqual(['OTHER']);
    expect(placeholders('bks restore ./bks-records/revoke-key-…json')).toEqual(['"…"']);
  });
});

describe('matching output excerpts', () => {
  it('finds shortened lines in order, with … and annotations, and nothing that was edited', async () => {
    const { unmatchedLines } = await import('./excerpts');
    const out = 'Account 1: 3 users\n  AT_RISK (1)\n    q7xk   bedrock   yes\n5 accounts; 61 API calls';
    expect(
      unmatchedLines(['Account 1: 3 users', '  q7xk bedrock yes   (the leaked one)', '…; … API calls'], out),
    ).toEqual([]);
    expect(unmatchedLines(['q7xk bedrock yes', 'Account 1: 3 users'], out)).toEqual(['Account 1: 3 users']);
    expect(unmatchedLines(['5 accounts; 62 API calls'], out)).toEqual(['5 accounts; 62 API calls']);
  });
});
