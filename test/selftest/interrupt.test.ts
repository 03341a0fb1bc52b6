/**
 * `bks selftest` cleans up whatever happens: an interruption inside the run removes the canary at
 * once; a process killed outright leaves its record (mode 0600, no secret), and the next run removes
 * the canary from it; Ctrl-C (SIGINT) in a real process removes the canary and exits 130.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import { createAws } from '../../src/aws';
import { runSelftest } from '../../src/selftest';
import type { RunRecord } from '../../src/selftest/record';
import type { SelftestReport } from '../../src/selftest/types';
import { testBundle } from '../helpers/bundle';

const SEC = '111111111111';
const OPERATOR = { accessKeyId: 'AKIASELFTESTOPERATOR', secretAccessKey: 'operator-secret' };

describe('selftest cleanup on interruption', () => {
  let p: LivePipeline;
  let dir: string;
  beforeEach(async () => {
    p = new LivePipeline({
      scenario: {
        now: new Date().toISOString(),
        principals: [{ ...OPERATOR, account: SEC, arn: `arn:aws:iam::${SEC}:user/secops` }],
        accounts: [{ id: SEC, regions: ['us-east-1'] }],
      },
    });
    await p.start();
    dir = mkdtempSync(join(tmpdir(), 'bks-selftest-'));
  }, 60_000);
  afterEach(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (extra: Partial<Parameters<typeof runSelftest>[1]> = {}) =>
    runSelftest(createAws({ region: 'us-east-1', endpointUrl: p.sim.url, credentials: { ...OPERATOR } }), {
      stackName: 'BedrockKeyGuard',
      recordDir: dir,
      timeoutSeconds: 20,
      pollMs: 100,
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      endpointUrl: p.sim.url,
      ...extra,
    }) as Promise<SelftestReport>;

  async function canaryUsers(): Promise<string[]> {
    const s = (await (await fetch(`${p.sim.url}/_sim/state`)).json()) as {
      accounts: Array<{ id: string; users?: Array<{ name: string }> }>;
    };
    return (s.accounts.find((a) => a.id === SEC)?.users ?? [])
      .map((u) => u.name)
      .filter((n) => n.startsWith('BedrockAPIKey-bks-canary-'));
  }

  // `bks` as a real process: the run's bundle of the sources under test (test/helpers/bundle.ts).
  async function child(
    args: string[],
  ): Promise<{ proc: ChildProcess; stderr: () => string; exit: Promise<number | null> }> {
    const bin = (await testBundle()).bks;
    const proc = spawn(
      process.execPath,
      [bin, 'selftest', '-y', '--record-dir', dir, '--poll', '100', '--timeout', '120', '--verbose', ...args],
      {
        env: {
          ...process.env,
          AWS_ENDPOINT_URL: p.sim.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
          AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    proc.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
    });
    proc.stdout!.resume();
    const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    return { proc, stderr: () => err, exit };
  }

  async function until(what: string, probe: () => boolean, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('an interruption after the key was made removes the canary at once, record included', async () => {
    const controller = new AbortController();
    const r = await run({
      signal: controller.signal,
      onStep: (step) => {
        if (step === 'create a 1-day API key') controller.abort();
      },
    });
    expect(r.cleanup.status).toBe('interrupted');
    expect(r.cleanup.steps.map((s) => `${s.action} ${s.status}`)).toEqual([
      expect.stringMatching(/^DeleteServiceSpecificCredential done$/),
      'DetachUserPolicy done',
      'DeleteUser done',
      // The run id is closed: a later user of the same name is no canary.
      'CloseRunId done',
    ]);
    expect(r.status).toBe('unknown');
    expect(r.canary.calls.map((c) => c.eventName)).not.toContain('InvokeModel');
    expect(await canaryUsers()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a killed run leaves its record; the next run removes that canary first', async () => {
    const c = await child([]);
    await until('the key to exist', () => c.stderr().includes('create a 1-day API key done'));
    c.proc.kill('SIGKILL');
    await c.exit;
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const path = join(dir, files[0]!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    const rec = JSON.parse(text) as RunRecord;
    expect(rec.created).toMatchObject({ tableItem: true, user: true, policy: true });
    expect(rec.created.credentialId).toMatch(/^ACCA/);
    // No secret in the record: not the key, not its base64 framing.
    expect(text).not.toMatch(/ABSK|secret/i);
    expect(await canaryUsers()).toEqual([rec.userName]);

    const r = await run();
    expect(r.resumed).toEqual([
      expect.objectContaining({ runId: rec.runId, userName: rec.userName, status: 'done' }),
    ]);
    expect(r.status).toBe('pass');
    expect(await canaryUsers()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it('Ctrl-C (SIGINT) stops the wait, removes the canary and exits 130', async () => {
    // No finding can arrive (Security Hub refuses the imports): the run is surely still waiting.
    await fetch(`${p.sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        faults: [
          { action: 'securityhub:BatchImportFindings', error: 'AccessDeniedException', probability: 1 },
        ],
      }),
    });
    const c = await child([]);
    await until('the wait for findings', () => c.stderr().includes('waiting up to'));
    c.proc.kill('SIGINT');
    expect(await c.exit).toBe(130);
    expect(c.stderr()).toContain('interrupted: removing the canary');
    expect(await canaryUsers()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
