/**
 * The JSON Schemas of bks's machine outputs (schemas/): generated from the output types in
 * schemas/outputs.ts and up to date with them, shipped in the package, and each one met by a real
 * output: every command runs once with `-o json` against bks-sim (the demo organization) and its
 * document is validated (test/setup/output-schemas.ts also validates every JSON document any other
 * test makes a command print).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import type { Scenario } from '../../sim/scenario';
import { type SimHandle, startSim } from '../../sim/server';
import { encodeLongTermKey, longTermAlias } from '../../src/keys';
import { SERVICES } from '../../src/services';
import { bks } from '../cli/bks-runner';
import { testBundle } from '../helpers/bundle';
import { validateOutput } from '../setup/output-schemas';

const ROOT = resolve(import.meta.dirname, '../..');
const SCHEMAS = readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'));
const bedrock = SERVICES.find((s) => s.id === 'bedrock')!;
const KEY = encodeLongTermKey(
  bedrock,
  longTermAlias('BedrockAPIKey-h42z', '111111111111', 0),
  'k'.repeat(40),
);

let sim: SimHandle;
let dir = '';
const saved = { ...process.env };
const met = new Set<string>();

async function json(args: string[], codes: number[] = [0]): Promise<void> {
  const r = await bks(args.includes('--format') ? args : [...args, '-o', 'json']);
  expect(codes, `bks ${args.join(' ')}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  const file = validateOutput(r.stdout);
  expect(file, `bks ${args.join(' ')} printed no schema document`).toBeDefined();
  met.add(file as string);
}

/**
 * `scripts/schemas.mjs --check` (a TypeScript program over the output types: seconds of CPU in a
 * process of its own) starts with the file, so that it runs while the commands below run.
 */
let schemasCheck: Promise<{ status: number | null; stderr: string }>;

beforeAll(async () => {
  schemasCheck = new Promise((ok) => {
    const child = spawn(process.execPath, ['scripts/schemas.mjs', '--check'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('error', (err) => ok({ status: null, stderr: err.message }));
    child.on('close', (status) => ok({ status, stderr }));
  });
  const scenario = JSON.parse(readFileSync(join(ROOT, 'sim/scenarios/demo.json'), 'utf8')) as Scenario;
  sim = await startSim({ scenario });
  const principal = (scenario.principals ?? [])[0]!;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: sim.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: principal.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'any',
  });
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete process.env[k];
  dir = mkdtempSync(join(tmpdir(), 'bks-schemas-'));
  writeFileSync(join(dir, 'app.py'), `KEY = "${KEY}"\n`);
  mkdirSync(join(dir, 'rules'));
});
afterAll(async () => {
  await schemasCheck;
  await sim?.close();
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * selftest needs the pipeline deployed: the demo organization with `bks-sim --pipeline
 * --shift-to-now`. Shifted to now, the canary's events follow the run id selftest records (with the
 * real clock) and the workflow resolves the canary, so selftest ends when its findings are resolved;
 * unshifted, the demo's events predate that record, the canary is taken for an attack, and selftest
 * waits out its whole --timeout for a resolution that never comes.
 */
async function selftestJson(): Promise<void> {
  const before = { ...process.env };
  const live = new LivePipeline({ scenario: join(ROOT, 'sim/scenarios/demo.json'), shiftToNow: true });
  await live.start();
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: live.sim.url,
      AWS_ACCESS_KEY_ID: before['AWS_ACCESS_KEY_ID'],
      AWS_SECRET_ACCESS_KEY: 'any',
    });
    // The pipeline's handlers log on stdout in this process: the document goes to a file.
    const file = join(dir, 'selftest.json');
    const args = [
      'selftest',
      '-y',
      '--record-dir',
      join(dir, 'selftest'),
      '--timeout',
      '30',
      '--poll',
      '100',
    ];
    const r = await bks([...args, '-o', 'json', '--out-file', file]);
    expect(r.code, r.stderr).toBe(0);
    const schema = validateOutput(readFileSync(file, 'utf8'));
    expect(schema).toBe('selftest.schema.json');
    met.add(schema as string);
  } finally {
    await live.stop();
    process.env = before;
  }
}

describe('output schemas', () => {
  it('ship in the package', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      exports: Record<string, unknown>;
    };
    expect(pkg.files).toContain('schemas/*.schema.json');
    expect(pkg.exports['./schemas/*']).toBe('./schemas/*');
  });

  it('are met by the output of every command', async () => {
    await json(['scan', '--org', '--accounts', '111111111111,222222222222'], [0, 1, 3]);
    await json(['decode-key', KEY]);
    await json(['find-keys', join(dir, 'app.py')], [1]);
    await json(['hunt', join(ROOT, 'detections/samples')]);
    await json(['detections', 'list']);
    await json(['detections', 'export', '--format', 'eventbridge']);
    await json(['detections', 'build', '--dir', join(dir, 'rules')]);
    await json(['scp', 'list']);
    await json(['scp', 'show', 'api-key-max-age', '--max-age-days', '30']);
    await json(['scp', 'check'], [0, 1, 3]);
    await json(['timeline', 'BedrockAPIKey-h42z', '--regions', 'us-east-1,eu-west-1'], [0, 3]);
    await json(['report', 'BedrockAPIKey-h42z', '--regions', 'us-east-1'], [0, 3]);
    await json(['compliance', '--org', '--accounts', '111111111111,222222222222'], [0, 1, 3]);
    await json(['coverage'], [0, 1, 3]);
    await json(['cleanup', '--dry-run'], [0, 3]);
    const records = join(dir, 'records');
    await json(['revoke-key', 'BedrockAPIKey-h42z', '-y', '--record-dir', records], [0]);
    const record = readdirSync(records).find((f) => f.startsWith('revoke-key'));
    expect(record).toBeDefined();
    await json(['restore', join(records, record as string), '-y', '--record-dir', records], [0]);
    await selftestJson();
    // decode-key's batch form is the other branch of its schema.
    const batch = spawnSync(process.execPath, [(await testBundle()).bks, 'decode-key', '-o', 'json'], {
      input: `${KEY}\nnot-a-key\n`,
      encoding: 'utf8',
    });
    expect(batch.status).toBe(2);
    expect(validateOutput(batch.stdout)).toBe('decode-key.schema.json');
    expect(SCHEMAS.filter((s) => !met.has(s))).toEqual([]);
  }, 300_000);

  // Last: its process has run alongside the commands above.
  it('are generated from schemas/outputs.ts and up to date', async () => {
    const p = await schemasCheck;
    expect(p.status, p.stderr).toBe(0);
    expect(SCHEMAS.length).toBeGreaterThanOrEqual(17);
  }, 180_000);
});
