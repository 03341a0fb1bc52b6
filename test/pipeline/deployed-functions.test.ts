/**
 * The local workflow run with every role the CDK app deploys in the security account: each handler
 * calls AWS as its own function role (`/bks/bks-fn-<name>`, loaded from the synthesized template
 * into bks-sim with its policies), and assumes the responder roles of the same template. bks-sim
 * judges each call with its IAM engine, so a permission the template lacks fails the run here as
 * it would on AWS. Covered: the approved long-term revoke, the auto-revoke of a SHORT-TERM key
 * (the signer's sessions denied; another role's key keeps working), the revoke record, and a
 * function role missing one action.
 */

import { readFileSync } from 'node:fs';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/function';
import { choicesOf, detectedChoice } from '../../local/approval';
import { allowedActions } from '../../sim/authz';
import { packagePath } from '../../src/paths';
import { generatedShortTermKey, type SigningCredentials } from '../helpers/bedrock-token';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';
import { type DeployedRole, grantedActions, withoutAction } from './deployed-roles';
import { envelope, record } from './fixtures';
import { UNEXERCISED_BY_ROLE } from './unexercised-grants';
import { ACCOUNT, Harness, SCENARIO } from './workflow-harness';

const PIPELINE_CREDENTIALS = { accessKeyId: 'AKIAPIPELINETEST0001', secretAccessKey: 'pipeline-test' };

/** Two application roles whose sessions sign short-term keys. */
const APP_ROLES = ['ml-app', 'other-app'].map((name) => ({
  name,
  trustedAccounts: [ACCOUNT],
  managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
}));

function scenarioWith(roles: DeployedRole[]) {
  const s = structuredClone(SCENARIO) as { accounts: Array<{ roles?: unknown[] }> };
  s.accounts[0]!.roles = [...roles, ...APP_ROLES];
  return s;
}

class DeployedHarness extends Harness {
  constructor(p: DeployedPipeline, roles: DeployedRole[] = p.roles) {
    super(scenarioWith(roles), p.deployment);
  }

  private cfg() {
    return { endpoint: this.sim.url, region: 'us-east-1', credentials: PIPELINE_CREDENTIALS };
  }

  async assume(role: string): Promise<SigningCredentials> {
    const sts = new STSClient(this.cfg());
    const c = (
      await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`, RoleSessionName: 'nb' }),
      )
    ).Credentials!;
    sts.destroy();
    return {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
  }

  /** The CloudTrail record of the key's use, as EventBridge would deliver it. */
  async recordOf(accessKeyId: string): Promise<Record<string, unknown>> {
    const ct = new CloudTrailClient(this.cfg());
    const out = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }],
      }),
    );
    ct.destroy();
    return JSON.parse(out.Events![0]!.CloudTrailEvent!);
  }

  /**
   * The calls bks-sim answered with an error, except the attacker's refused invocations and the
   * expected answers (NoSuchEntity: a user without a console password, a role without a session
   * deny yet; a conditional update that loses); and no AccessDenied anywhere in the handlers' logs.
   */
  refused(): string[] {
    // A claim that loses its condition (one request per incident) answers ConditionalCheckFailed.
    const expected = new Set(['iam:GetLoginProfile', 'iam:GetRolePolicy', 'dynamodb:UpdateItem']);
    const errors = Object.keys(this.sim.stats().errors).filter(
      (k) => !k.startsWith('bedrock:') && !expected.has(k),
    );
    if (/AccessDenied/.test(this.logs.join('\n'))) errors.push('AccessDenied in the logs');
    return errors;
  }
}

const created = () => ({
  ruleId: 'BKS-004-BEDROCK',
  severity: 'HIGH',
  event: envelope(record('console-create-bedrock-api-key')),
});

describe('the workflow with the function roles the CDK app deploys', () => {
  let pipeline: DeployedPipeline;
  let h: DeployedHarness | undefined;
  /** What each role was allowed to do in the runs above (bks-sim's record), by role ARN. */
  const exercised = new Map<string, Set<string>>();
  const noteExercised = (run: DeployedHarness) => {
    for (const [who, actions] of allowedActions(run.sim.ctx)) {
      const set = exercised.get(who) ?? new Set<string>();
      for (const a of actions) set.add(a);
      exercised.set(who, set);
    }
  };
  const approvalRole = () => pipeline.deployment.functions['approval-api']!.roleArn;
  beforeAll(() => {
    pipeline = deployedPipeline(ACCOUNT);
  }, 300_000);
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('loads every pipeline function with its own role under /bks/', () => {
    expect(Object.keys(pipeline.deployment.functions).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const [name, f] of Object.entries(pipeline.deployment.functions))
      expect(f.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/bks/bks-fn-${name}`);
  });

  it('the approved long-term revoke succeeds, every handler calling as its own role', async () => {
    h = new DeployedHarness(pipeline);
    await h.start();
    expect(await h.bearerCall()).toBe(200);
    const run = await h.run(created(), {
      analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'leaked in a public repo' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(await h.credentialStatus()).toBe('Inactive');
    expect(await h.bearerCall()).toBe(403);
    expect(h.refused()).toEqual([]);
    // The handlers really called as their function roles (bks-sim's CloudTrail says who assumed what).
    const assumed = await assumers(h);
    expect(assumed).toEqual(
      expect.arrayContaining([
        `assumed-role/bks-fn-enrich/bks-enrich -> role/bks/bks-reader`,
        `assumed-role/bks-fn-finding/bks-finding -> role/bks/bks-findings`,
        `assumed-role/bks-fn-revoke/bks-revoke -> role/bks/bks-revoker`,
      ]),
    );
    // The approval endpoint ran as its own role, with the template's secret name and client id.
    expect([...(allowedActions(h.sim.ctx).get(approvalRole()) ?? [])].sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
      'states:SendTaskSuccess',
    ]);
    noteExercised(h);
  }, 300_000);

  it('auto-revoke HIGH of a SHORT-TERM key: the signing role denies its sessions, the key is refused, another role’s key still works', async () => {
    h = new DeployedHarness(pipeline);
    await h.start();
    const now = new Date(h.sim.ctx.nowMs());
    const leaked = await h.assume('ml-app');
    const key = await generatedShortTermKey(leaked, 'us-east-1', now);
    const sibling = await generatedShortTermKey(await h.assume('other-app'), 'us-east-1', now);
    expect(await h.bearerCall(key)).toBe(200);
    expect(await h.bearerCall(sibling)).toBe(200);
    const detail = await h.recordOf(leaked.accessKeyId);
    const run = await h.run(
      { ruleId: 'BKS-001-BEDROCK', severity: 'HIGH', event: envelope(detail) },
      { policy: { autoRevoke: ['HIGH'] } },
    );
    expect(run.error).toBeUndefined();
    expect(run.output?.revocation).toMatchObject({
      mode: 'revoke',
      actions: ['iam:PutRolePolicy role/ml-app inline policy bks-revoke-sessions'],
      verified: true,
    });
    expect(await h.bearerCall(key)).toBe(403);
    expect(await h.bearerCall(sibling)).toBe(200);
    expect(h.refused()).toEqual([]);
    noteExercised(h);
  }, 300_000);

  it('without iam:UpdateServiceSpecificCredential on the revoker, the revoke fails loudly and the manual-action step does its part as its own role', async () => {
    const roles = withoutAction(pipeline.roles, 'bks-revoker', 'iam:UpdateServiceSpecificCredential');
    h = new DeployedHarness(pipeline, roles);
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(await h.credentialStatus()).toBe('Active');
    expect(h.sim.stats().errors['iam:UpdateServiceSpecificCredential']).toBeGreaterThan(0);
    const [finding] = await h.findings();
    expect(finding!.Note.Text).toContain('MANUAL ACTION REQUIRED');
    // The manual-action function released the gate (no gate held: nothing to delete) and marked
    // the finding with its own role's permissions: nothing it did was refused.
    const trace = h.traces.find((t) => t.executionArn === run.executionArn);
    expect(trace?.manualAction).toBeDefined();
    expect(String(trace?.manualAction?.gate)).not.toMatch(/^failed/);
    expect(String(trace?.manualAction?.finding)).not.toMatch(/^failed/);
    expect(h.sim.stats().calls['dynamodb:DeleteItem']).toBeGreaterThan(0);
    noteExercised(h);
  }, 300_000);

  it('without sts:AssumeRole on the finding function’s role, no finding is written and the run fails', async () => {
    const roles = withoutAction(pipeline.roles, 'bks-fn-finding', 'sts:AssumeRole');
    h = new DeployedHarness(pipeline, roles);
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(await h.findings()).toHaveLength(0);
    expect(h.sim.stats().errors['sts:AssumeRole']).toBeGreaterThan(0);
    noteExercised(h);
  }, 300_000);

  it('without states:SendTaskSuccess on the approval function’s role, the analyst’s approval fails loudly and nothing changes', async () => {
    const roles = withoutAction(pipeline.roles, 'bks-fn-approval-api', 'states:SendTaskSuccess');
    h = new DeployedHarness(pipeline, roles);
    await h.start();
    const started = await h.startRun(created());
    await started.approval;
    const analyst = await h.analyst('alice');
    const view = await analyst.request(h.lastLinkUrl());
    expect(view.status).toBe(200);
    const choice = detectedChoice(view.html);
    expect(choice).toBeDefined();
    const post = await analyst.submit(view, { choice: choice!, reason: 'leaked in a public repo' });
    expect(post.status).toBe(503);
    expect(post.html).toContain('The decision could not be delivered to the workflow.');
    expect(post.html).toContain('Nothing was recorded and nothing was revoked.');
    expect(h.sim.stats().errors['states:SendTaskSuccess']).toBe(1);
    // Nothing changed: the key works, the request is still open for a decision.
    expect(await h.credentialStatus()).toBe('Active');
    expect(await h.bearerCall()).toBe(200);
    const again = await analyst.request(h.lastLinkUrl());
    expect(again.status).toBe(200);
    expect(choicesOf(again.html)).toContain(choice);
    // Nobody decides in time: the run ends by its timeout, and still nothing is revoked.
    await h.actAsAnalyst({ via: 'none' }, '');
    const run = await started.done;
    expect(run.calls['Revoke'] ?? 0).toBe(0);
    expect(await h.credentialStatus()).toBe('Active');
    noteExercised(h);
  }, 300_000);

  it('every action granted to each role is exercised above or listed, per role, with the reason it is granted', () => {
    const table = grantTable(pipeline, exercised);
    const unexercised = Object.fromEntries(
      Object.entries(table).map(([id, actions]) => [
        id,
        Object.keys(actions)
          .filter((a) => !actions[a])
          .sort(),
      ]),
    );
    const listed = Object.fromEntries(
      Object.keys(table).map((id) => [id, Object.keys(UNEXERCISED_BY_ROLE[id] ?? {}).sort()]),
    );
    expect(unexercised).toEqual(listed);
    expect(Object.keys(UNEXERCISED_BY_ROLE).sort()).toEqual(Object.keys(table).sort());
    // docs/pipeline.md carries the same table, reason for reason.
    expect(docsTable()).toEqual(UNEXERCISED_BY_ROLE);
  });
});

/** Whether an action a run made is covered by a granted action (which may end in `*`). */
function covers(granted: string, action: string): boolean {
  const re = new RegExp(`^${granted.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** Per role logical id: each granted action, exercised (true) or not (false). */
function grantTable(
  pipeline: DeployedPipeline,
  exercised: ReadonlyMap<string, ReadonlySet<string>>,
): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const [id, arn] of Object.entries(pipeline.roleArns)) {
    const role = pipeline.roles.find((r) => arn === `arn:aws:iam::${ACCOUNT}:role${r.path ?? '/'}${r.name}`);
    if (!role) throw new Error(`no scenario role for ${id}`);
    const done = [...(exercised.get(arn) ?? [])];
    out[id] = Object.fromEntries([...grantedActions([role])].map((g) => [g, done.some((a) => covers(g, a))]));
  }
  return out;
}

/** The table of docs/pipeline.md: `| role | action | reason |` rows under "Granted and not exercised". */
function docsTable(): Record<string, Record<string, string>> {
  const text = readFileSync(packagePath('docs', 'pipeline.md'), 'utf8');
  const out: Record<string, Record<string, string>> = {};
  const section = text.split('<!-- unexercised-grants -->')[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^\| `(\w+)` \(`[^`]+`\) \| `([^`]+)` \| (.+) \|$/.exec(line);
    if (!m) continue;
    out[m[1]!] ??= {};
    out[m[1]!]![m[2]!] = m[3]!;
  }
  return out;
}

/** `assumed-role/<role>/<session> -> role/<path><name>` for every AssumeRole bks-sim recorded. */
async function assumers(h: DeployedHarness): Promise<string[]> {
  const ct = new CloudTrailClient({
    endpoint: h.sim.url,
    region: 'us-east-1',
    credentials: PIPELINE_CREDENTIALS,
  });
  const out = await ct.send(
    new LookupEventsCommand({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'AssumeRole' }],
    }),
  );
  ct.destroy();
  return (out.Events ?? []).map((e) => {
    const r = JSON.parse(e.CloudTrailEvent!);
    const who = String(r.userIdentity?.arn ?? '').replace(/^arn:aws:sts::\d+:/, '');
    const to = String(r.requestParameters?.roleArn ?? '').replace(/^arn:aws:iam::\d+:/, '');
    return `${who} -> ${to}`;
  });
}
