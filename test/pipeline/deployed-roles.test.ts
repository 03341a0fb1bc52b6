/**
 * The response runs with the roles the CDK app deploys: the responder roles come from the
 * synthesized template (./deployed-roles.ts), bks-sim evaluates every call against exactly those
 * policies, and the whole approved response (enrichment, finding, approval, revoke) succeeds. Taking
 * one action out of a role makes the step that needs it fail loudly. The granted actions no run
 * here exercises are listed with the reason they are granted (docs/pipeline.md says the same).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deployedResponderRoles, grantedActions, withoutAction } from './deployed-roles';
import { envelope, record } from './fixtures';
import { ACCOUNT, Harness, SCENARIO } from './workflow-harness';

const created = () => {
  const r = record('console-create-bedrock-api-key');
  return { ruleId: 'BKS-004-BEDROCK', severity: 'HIGH', event: envelope(r) };
};

function scenarioWith(roles: ReturnType<typeof deployedResponderRoles>) {
  const s = structuredClone(SCENARIO) as { accounts: Array<{ roles?: unknown }> };
  s.accounts[0]!.roles = roles;
  return s;
}

/**
 * Granted, and not exercised by the approved long-term revoke: why each is there.
 * (Short-term keys, access keys, login profiles and reconciliation use the rest.)
 */
export const UNEXERCISED: Record<string, string> = {
  'iam:GetAccessKeyLastUsed': 'enrichment: read for each access key of the user (this one has none)',
  'iam:GetUserPolicy': 'enrichment: read for each inline policy of the user (this one has none)',
  'iam:UpdateAccessKey': 'revoking an IAM access key added to a phantom user (the escalation path)',
  'iam:PutUserPolicy': 'the deny-all policy when a key cannot be deactivated (revoke-key --all-keys)',
  'iam:DeleteLoginProfile':
    "removing a phantom user's console password (its one Delete, phantom-named users only)",
  'iam:GetRole': 'short-term keys: reading the signing role',
  'iam:ListRolePolicies': 'short-term keys: the signing role’s policies (idempotent deny)',
  'iam:GetRolePolicy': 'short-term keys: the signing role’s policies (idempotent deny)',
  'iam:PutRolePolicy': 'short-term keys: the aws:TokenIssueTime deny on the signing role',
  'iam:GetAccountAuthorizationDetails': 'scheduled reconciliation: every user in one paged call',
  'iam:ListUsers': 'scheduled reconciliation (fallback when GAAD is denied)',
  'iam:GenerateCredentialReport': 'scheduled reconciliation: access keys and passwords of every user',
  'iam:GetCredentialReport': 'scheduled reconciliation: access keys and passwords of every user',
  'securityhub:GetFindings': 'the Security Hub custom action and reconciliation read the finding back',
};

describe('the pipeline with the roles it deploys', () => {
  let h: Harness | undefined;
  /** Actions called in the runs with the full roles. */
  const exercised = new Set<string>();
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('the whole approved response succeeds with exactly the synthesized permissions', async () => {
    const roles = deployedResponderRoles(ACCOUNT);
    expect(roles.map((r) => r.name).sort()).toEqual(['bks-findings', 'bks-reader', 'bks-revoker']);
    h = new Harness(scenarioWith(roles));
    await h.start();
    expect(await h.bearerCall()).toBe(200);
    const run = await h.run(created(), {
      analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'leaked in a public repo' },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output?.outcome).toEqual({ stage: 'revoked' });
    expect(run.output?.enrichment).toMatchObject({ status: 'complete' });
    expect(await h.credentialStatus()).toBe('Inactive');
    expect(await h.bearerCall()).toBe(403);
    const [finding] = await h.findings();
    expect(finding).toMatchObject({ Workflow: { Status: 'RESOLVED' } });
    // Nothing the responders did was refused (GetLoginProfile answers NoSuchEntity for a user
    // without a console password, the leaked key's refused invocation is the attacker's).
    const stats = h.sim.stats();
    expect(
      Object.keys(stats.errors).filter((k) => !k.startsWith('bedrock:') && k !== 'iam:GetLoginProfile'),
    ).toEqual([]);
    expect(h.logs.join('\n')).not.toMatch(/AccessDenied/);
    for (const k of Object.keys(stats.calls)) exercised.add(k);
  }, 120_000);

  it('every granted action is exercised above or listed with the reason it is granted', () => {
    const unexercised = [...grantedActions(deployedResponderRoles(ACCOUNT))]
      .filter((a) => !exercised.has(a))
      .sort();
    expect(unexercised).toEqual(Object.keys(UNEXERCISED).sort());
  });

  it('without iam:UpdateServiceSpecificCredential on the revoker, the revoke fails loudly', async () => {
    const roles = withoutAction(
      deployedResponderRoles(ACCOUNT),
      'bks-revoker',
      'iam:UpdateServiceSpecificCredential',
    );
    h = new Harness(scenarioWith(roles));
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('marked for manual action');
    expect(await h.credentialStatus()).toBe('Active');
    expect(h.sim.stats().errors['iam:UpdateServiceSpecificCredential']).toBeGreaterThan(0);
    const [finding] = await h.findings();
    expect(finding!.Note.Text).toContain('MANUAL ACTION REQUIRED');
  }, 120_000);

  it('without securityhub:BatchImportFindings on the findings role, no finding is written and the run fails', async () => {
    const roles = withoutAction(
      deployedResponderRoles(ACCOUNT),
      'bks-findings',
      'securityhub:BatchImportFindings',
    );
    h = new Harness(scenarioWith(roles));
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(await h.findings()).toHaveLength(0);
    expect(h.sim.stats().errors['securityhub:BatchImportFindings']).toBeGreaterThan(0);
  }, 120_000);
});
