/**
 * Cross-check with a second, independent SDK: boto3/botocore from the machine's python3 drives the
 * demo scenario (STS, Organizations, IAM SSC listing and creation, credential report, GAAD,
 * LookupEvents pagination, Security Hub, Step Functions, a bearer call), so a wire quirk only the
 * JS SDK tolerates is caught. Needs python3 with boto3 (skipped without it, failing on CI).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../sim/scenario';
import { type SimHandle, startSim } from '../../sim/server';
import { skipWithout, TOOLS } from '../helpers/tools';

const SCRIPT = fileURLToPath(new URL('./boto3_crosscheck.py', import.meta.url));
const demo = JSON.parse(
  readFileSync(new URL('../../sim/scenarios/demo.json', import.meta.url), 'utf8'),
) as Scenario;
const PROD = '222222222222';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', [SCRIPT, ...args], {
      env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(skipWithout(TOOLS.boto3))('boto3 against bks-sim (demo scenario)', () => {
  let sim: SimHandle;
  let out: Record<string, unknown>;
  let stderr: string;

  beforeAll(async () => {
    // This test checks what botocore parses, not rate limits (test/sim/server.test.ts and the timeline
    // tests cover those): lift LookupEvents' 2/s so a loaded machine cannot turn a page into a throttle.
    sim = await startSim({
      scenario: { ...demo, rateLimits: { ...demo.rateLimits, 'cloudtrail:LookupEvents': 1000 } },
    });
    const p = demo.principals![0]!;
    const cred = sim.state.accounts
      .find((a) => a.id === PROD)!
      .users.find((u) => u.name === 'BedrockAPIKey-q7xk')!.serviceCredentials[0]!;
    const bearer = 'ABSK' + Buffer.from(`${cred.alias}:${cred.secret}`).toString('base64');
    const r = await run([sim.url, p.accessKeyId, p.secretAccessKey!, PROD, bearer]);
    stderr = r.stderr;
    expect(r.code, r.stderr).toBe(0);
    out = JSON.parse(r.stdout);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('parses STS and Organizations answers', () => {
    expect(out.caller).toBe('arn:aws:iam::111111111111:user/secops');
    expect(out.assumed).toBe(`arn:aws:sts::${PROD}:assumed-role/OrganizationAccountAccessRole/boto3-check`);
    expect(out.assumedKeyPrefix).toBe('ASIA');
    expect(out.keyInfoAccount).toBe(PROD);
    expect(out.sandboxAssume).toBe('AccessDenied');
    expect((out.orgAccounts as unknown[]).length).toBe(6);
    expect(out.orgManagement).toBe('111111111111');
  });

  it('parses IAM lists, paginated, and service-specific credentials', () => {
    const names = sim.state.accounts.find((a) => a.id === PROD)!.users.map((u) => u.name);
    expect(out.users).toEqual(names.filter((n) => n !== 'boto3-user'));
    const sscs = out.sscs as [string, string, string][];
    expect(sscs.map((s) => s[1])).toContain(`svc-chatbot+1-at-${PROD}`);
    expect(sscs.find((s) => s[0] === 'svc-search-indexer')?.[1]).toBe(`svc-search-indexer-at-${PROD}`);
    expect(out.created).toMatchObject({ alias: `boto3-user-at-${PROD}`, hasSecret: true, status: 'Active' });
    expect(out.secondAlias).toBe(`boto3-user+1-at-${PROD}`);
    expect(out.listedHasSecret).toBe(false);
    expect(out.deleteUser).toEqual(['DeleteConflict', 409]);
    expect(out.reportHeader).toEqual([
      'user',
      'arn',
      'user_creation_time',
      'password_enabled',
      'password_last_used',
      'password_last_changed',
    ]);
    expect(out.reportRows).toBe(names.length + 1); // + the <root_account> row
    expect(out.gaadUsers).toBe(names.length);
  });

  it('pages LookupEvents newest first and refuses MaxResults 51', () => {
    expect(out.ctEvents as number).toBeGreaterThan(20);
    expect(out.ctPages as number).toBeGreaterThan(1);
    expect(out.ctNewestFirst).toBe(true);
    expect(out.ctRegions).toEqual(['us-west-2']);
    // botocore validates the model's max itself (ParamValidationError) before any request.
    expect(['InvalidMaxResultsException', 'ParamValidationError']).toContain(out.ctMax);
  });

  it('parses Security Hub, Step Functions and a bearer-token Converse', () => {
    expect(out.import).toEqual([1, 1, ['InvalidInput']]);
    expect(out.found).toEqual(['boto3-finding-1']);
    expect(out.updated).toBe(1);
    expect(out.sfn).toBe('ok');
    expect(out.bearer, stderr).toBe('end_turn');
  });
});
