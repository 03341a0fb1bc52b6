/**
 * `bks selftest` against `bks-sim --pipeline`, in process: the deployment is found from the stack's
 * outputs (CloudFormation DescribeStacks), the canary's calls flow through the live pipeline, the
 * recorded run id makes the workflow resolve the canary's findings itself (nobody paged, nothing
 * revoked), and a broken stage is named.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DisableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachUserPolicyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import { createAws } from '../../src/aws';
import { main } from '../../src/cli/main';
import { runSelftest, selftestExitCode } from '../../src/selftest';
import type { SelftestReport } from '../../src/selftest/types';
import { pipelineClock } from '../helpers/pipeline-clock';

const SEC = '111111111111';
const ATTACKER = { accessKeyId: 'AKIASELFTESTATTACKER', secretAccessKey: 'attacker-secret' };
const OPERATOR = { accessKeyId: 'AKIASELFTESTOPERATOR', secretAccessKey: 'operator-secret' };

const scenario = () => ({
  now: new Date().toISOString(),
  principals: [
    { ...OPERATOR, account: SEC, arn: `arn:aws:iam::${SEC}:user/secops` },
    { ...ATTACKER, account: SEC, arn: `arn:aws:iam::${SEC}:user/dev-ci` },
  ],
  accounts: [{ id: SEC, regions: ['us-east-1', 'us-west-2'] }],
});

describe('bks selftest against bks-sim --pipeline', () => {
  let p: LivePipeline;
  let dir: string;
  beforeEach(async () => {
    p = new LivePipeline({ scenario: scenario() });
    await p.start();
    dir = mkdtempSync(join(tmpdir(), 'bks-selftest-'));
  }, 60_000);
  afterEach(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const aws = () => createAws({ region: 'us-east-1', endpointUrl: p.sim.url, credentials: { ...OPERATOR } });
  // The wait for the findings runs on a clock that moves on once the local pipeline has nothing in
  // flight (test/helpers/pipeline-clock.ts): a rule that never fires is waited out to the timeout
  // without idling through it; as each poll comes after the pipeline settled, one a second (of that
  // clock) sees what ten would. The in-process CLI run below keeps the system clock and 100 ms polls.
  const run = (timeoutSeconds = 30, extra: Partial<Parameters<typeof runSelftest>[1]> = {}) =>
    runSelftest(aws(), {
      stackName: 'BedrockKeyGuard',
      recordDir: join(dir, 'records'),
      timeoutSeconds,
      pollMs: 1000,
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      endpointUrl: p.sim.url,
      clock: pipelineClock(() => p.sim),
      ...extra,
    }) as Promise<SelftestReport>;

  async function state() {
    return (await (await fetch(`${p.sim.url}/_sim/state`)).json()) as {
      accounts: Array<{ id: string; users?: Array<{ name: string }> }>;
    };
  }

  it('every expected rule fires; the pipeline resolves the canary itself; the canary is removed', async () => {
    const r = await run();
    const byId = new Map(r.rules.map((o) => [o.ruleId, o]));
    // Derived from the rule set: the phantom user, the key, the bearer call.
    expect(
      r.rules
        .filter((o) => o.status === 'fired')
        .map((o) => o.ruleId)
        .sort(),
    ).toEqual(['BKS-001-BEDROCK', 'BKS-003-BEDROCK', 'BKS-010-BEDROCK']);
    for (const o of r.rules.filter((x) => x.status === 'fired')) {
      expect(o.latencyMs).toBeGreaterThanOrEqual(0);
      expect(o.workflowStatus).toBe('RESOLVED');
    }
    // The age rules see the 1-day key and stay silent; stateful rules are not exercised.
    expect(byId.get('BKS-004-BEDROCK')?.status).toBe('silent');
    expect(byId.get('BKS-005-BEDROCK')?.status).toBe('silent');
    expect(byId.get('BKS-017')?.status).toBe('not-exercised');
    expect(byId.get('BKS-018')?.status).toBe('not-exercised');
    expect(r.status).toBe('pass');
    expect(selftestExitCode(r)).toBe(0);
    expect(r.summary).toMatchObject({
      expected: 3,
      fired: 3,
      missing: 0,
      unexpected: 0,
      resolvedByPipeline: 3,
    });
    // Nobody paged: no approval request, no announcement.
    const notes = (await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as unknown[];
    expect(notes).toEqual([]);
    // The canary is gone, its record too.
    expect(r.cleanup.status).toBe('done');
    const users = (await state()).accounts.find((a) => a.id === SEC)?.users ?? [];
    expect(users.map((u) => u.name)).not.toContain(r.canary.userName);
    expect(readdirSync(join(dir, 'records'))).toEqual([]);
    expect(statSync(join(dir, 'records')).mode & 0o777).toBe(0o700);
  });

  it('disabled forwarders are named: BKS-010 missing at stage no-rule-match', async () => {
    const eb = new EventBridgeClient({
      endpoint: p.sim.url,
      region: 'us-east-1',
      credentials: { ...OPERATOR },
    });
    // Every forwarder that carries a bearer call (one is enough to reach the central bus).
    for (const Name of ['bks-fwd-BKS-010-BEDROCK', 'bks-fwd-BKS-017', 'bks-fwd-BKS-018']) {
      await eb.send(new DisableRuleCommand({ Name }));
    }
    eb.destroy();
    const r = await run(10);
    const o = r.rules.find((x) => x.ruleId === 'BKS-010-BEDROCK')!;
    expect(o).toMatchObject({ status: 'missing', stage: 'no-rule-match', call: 'InvokeModel' });
    expect(o.detail).toContain('no forwarder on the default bus of us-east-1');
    expect(o.detail).toContain('bks-fwd-BKS-010-BEDROCK is DISABLED');
    expect(r.rules.find((x) => x.ruleId === 'BKS-001-BEDROCK')?.status).toBe('fired');
    expect(r.status).toBe('fail');
    expect(selftestExitCode(r)).toBe(1);
    expect(r.cleanup.status).toBe('done');
  });

  it('a disabled central rule is named, and its own forwarder alone does not matter', async () => {
    const eb = new EventBridgeClient({
      endpoint: p.sim.url,
      region: 'us-east-1',
      credentials: { ...OPERATOR },
    });
    await eb.send(new DisableRuleCommand({ Name: 'bks-fwd-BKS-003-BEDROCK' }));
    await eb.send(new DisableRuleCommand({ Name: 'bks-BKS-001-BEDROCK', EventBusName: 'bks-central' }));
    eb.destroy();
    const r = await run(10);
    expect(r.rules.find((x) => x.ruleId === 'BKS-001-BEDROCK')).toMatchObject({
      status: 'missing',
      stage: 'no-rule-match',
      detail: 'on the central bus: bks-BKS-001-BEDROCK is DISABLED',
    });
    // Other forwarders (BKS-016 watches the phantom's own calls, …) may carry the event; here none
    // matches CreateServiceSpecificCredential, so BKS-003 breaks at its own forwarder.
    const k = r.rules.find((x) => x.ruleId === 'BKS-003-BEDROCK')!;
    expect(k.status).toBe('missing');
    expect(k.detail).toContain('bks-fwd-BKS-003-BEDROCK is DISABLED');
  });

  it('a workflow that fails is named: Security Hub refusing the import → workflow-failed', async () => {
    await fetch(`${p.sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        faults: [
          { action: 'securityhub:BatchImportFindings', error: 'AccessDeniedException', probability: 1 },
        ],
      }),
    });
    const r = await run(12);
    const missing = r.rules.filter((o) => o.status === 'missing');
    expect(missing.map((o) => o.ruleId).sort()).toEqual([
      'BKS-001-BEDROCK',
      'BKS-003-BEDROCK',
      'BKS-010-BEDROCK',
    ]);
    for (const o of missing) {
      expect(o.stage).toBe('workflow-failed');
      expect(o.detail).toMatch(/FAILED/);
    }
    expect(selftestExitCode(r)).toBe(1);
  });

  it('`bks selftest -o json` in process: exit 0, a bks.selftest/v1 document (schema-checked) in a 0600 file', async () => {
    const out = join(dir, 'selftest.json');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    try {
      const code = await main([
        'selftest',
        '-y',
        '-q',
        '-o',
        'json',
        '--out-file',
        out,
        '--record-dir',
        join(dir, 'records'),
        '--timeout',
        '30',
        '--poll',
        '100',
        '--model',
        'anthropic.claude-3-haiku-20240307-v1:0',
        '--endpoint-url',
        p.sim.url,
      ]);
      expect(code).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as SelftestReport;
    expect(doc).toMatchObject({ schema: 'bks.selftest/v1', status: 'pass', stackName: 'BedrockKeyGuard' });
  });

  it('a canary-named user WITHOUT a recorded run id is an ordinary incident: the SOC is asked', async () => {
    const iam = new IAMClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: { ...ATTACKER } });
    const UserName = 'BedrockAPIKey-bks-canary-abcdefghij';
    await iam.send(new CreateUserCommand({ UserName }));
    await iam.send(
      new AttachUserPolicyCommand({
        UserName,
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess',
      }),
    );
    await iam.send(
      new CreateServiceSpecificCredentialCommand({
        UserName,
        ServiceName: 'bedrock.amazonaws.com',
        CredentialAgeDays: 1,
      }),
    );
    iam.destroy();
    const end = Date.now() + 20_000;
    let notes: Array<{ subject: string }> = [];
    while (Date.now() < end) {
      notes = (await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as Array<{ subject: string }>;
      if (notes.length >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await p.sim.deliveriesSettled();
    // One key, one incident: the user's creation opens it and asks an analyst (the name alone earns
    // nothing); the key's creation is a signal recorded on it, not a second request.
    expect(notes.map((n) => n.subject)).toEqual([
      expect.stringMatching(/approve revocation\? BKS-001-BEDROCK/),
    ]);
    const { findings } = (await (await fetch(`${p.sim.url}/_sim/findings`)).json()) as {
      findings: Array<{ Workflow?: { Status?: string } }>;
    };
    expect(findings.length).toBeGreaterThanOrEqual(1);
    expect(findings.every((f) => f.Workflow?.Status !== 'RESOLVED')).toBe(true);
  });
});
