/**
 * The response runs with the roles the CDK app deploys: the responder roles come from the
 * synthesized template of `ResponderRoles` (./deployed-roles.ts), with their trust policies, and
 * the handlers run as the function roles of the synthesized `BedrockKeyGuard` (the only principals
 * those trust policies let in). bks-sim evaluates every call against exactly those policies, and
 * the whole approved response (enrichment, finding, approval, revoke) succeeds. Taking one action
 * out of a role makes the step that needs it fail loudly. The granted actions no run here
 * exercises are listed per role with the reason they are granted (docs/pipeline.md says the same).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowedActions } from '../../sim/authz';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';
import { type DeployedRole, deployedResponderRoles, grantedActions, withoutAction } from './deployed-roles';
import { envelope, record } from './fixtures';
import { ACCOUNT, Harness, SCENARIO } from './workflow-harness';

const created = () => {
  const r = record('console-create-bedrock-api-key');
  return { ruleId: 'BKS-004-BEDROCK', severity: 'HIGH', event: envelope(r) };
};

let pipeline: DeployedPipeline;

/** The responder roles given, and the pipeline's function roles (those of `ResponderRoles` replaced). */
function harnessWith(roles: DeployedRole[]): Harness {
  const names = new Set(roles.map((r) => r.name));
  const s = structuredClone(SCENARIO) as { accounts: Array<{ roles?: unknown }> };
  s.accounts[0]!.roles = [...pipeline.roles.filter((r) => !names.has(r.name)), ...roles];
  return new Harness(s, pipeline.deployment);
}

const SHORT_TERM = 'short-term keys: the `aws:TokenIssueTime` deny on the signing role';
const RECONCILE = 'scheduled reconciliation: every user of the account';
const NONE = 'enrichment reads it per item of the user (this one has none)';

/**
 * Per responder role: granted, and not exercised by the approved long-term revoke, and why each
 * is there. (Short-term keys, access keys, login profiles and reconciliation use the rest.)
 */
export const UNEXERCISED: Record<string, Record<string, string>> = {
  'bks-reader': {
    'iam:GetAccessKeyLastUsed': NONE,
    'iam:GetUserPolicy': NONE,
    'iam:GetAccountAuthorizationDetails': RECONCILE,
    'iam:ListUsers': `${RECONCILE} (the fallback when GetAccountAuthorizationDetails is denied)`,
    'iam:GenerateCredentialReport': RECONCILE,
    'iam:GetCredentialReport': RECONCILE,
  },
  'bks-revoker': {
    'cloudtrail:LookupEvents': 'short-term keys: finding the session that signed the key in CloudTrail',
    'iam:GetAccessKeyLastUsed': NONE,
    'iam:GetUserPolicy': NONE,
    'iam:UpdateAccessKey': 'revoking an IAM access key added to a phantom user (the escalation path)',
    'iam:PutUserPolicy': 'the deny-all policy when a key cannot be deactivated (revoke-key --all-keys)',
    'iam:DeleteLoginProfile':
      "removing a phantom user's console password (its one Delete, phantom-named users only)",
    'iam:GetRole': SHORT_TERM,
    'iam:ListRolePolicies': SHORT_TERM,
    'iam:GetRolePolicy': SHORT_TERM,
    'iam:PutRolePolicy': SHORT_TERM,
  },
  'bks-findings': {
    'securityhub:GetFindings': 'the Security Hub custom action and reconciliation read the finding back',
  },
};

describe('the pipeline with the roles it deploys', () => {
  let h: Harness | undefined;
  /** Actions each responder role was allowed in the run with the full roles (bks-sim's record). */
  let exercised: ReadonlyMap<string, ReadonlySet<string>> = new Map();
  beforeAll(() => {
    pipeline = deployedPipeline(ACCOUNT);
  }, 300_000);
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('the whole approved response succeeds with exactly the synthesized permissions', async () => {
    const roles = deployedResponderRoles(ACCOUNT);
    expect(roles.map((r) => r.name).sort()).toEqual(['bks-findings', 'bks-reader', 'bks-revoker']);
    h = harnessWith(roles);
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
    // A conditional claim that loses (one request per incident) answers ConditionalCheckFailed.
    const stats = h.sim.stats();
    expect(
      Object.keys(stats.errors).filter(
        (k) => !k.startsWith('bedrock:') && k !== 'iam:GetLoginProfile' && k !== 'dynamodb:UpdateItem',
      ),
    ).toEqual([]);
    expect(h.logs.join('\n')).not.toMatch(/AccessDenied/);
    exercised = new Map(allowedActions(h.sim.ctx));
  }, 300_000);

  it('every action granted to each responder role is exercised above as that role or listed with the reason it is granted', () => {
    const unexercised = Object.fromEntries(
      deployedResponderRoles(ACCOUNT).map((role) => {
        const done =
          exercised.get(`arn:aws:iam::${ACCOUNT}:role${role.path ?? '/'}${role.name}`) ?? new Set();
        return [role.name, [...grantedActions([role])].filter((a) => !done.has(a)).sort()];
      }),
    );
    expect(unexercised).toEqual(
      Object.fromEntries(
        Object.entries(UNEXERCISED).map(([role, actions]) => [role, Object.keys(actions).sort()]),
      ),
    );
  });

  it('without iam:UpdateServiceSpecificCredential on the revoker, the revoke fails loudly', async () => {
    const roles = withoutAction(
      deployedResponderRoles(ACCOUNT),
      'bks-revoker',
      'iam:UpdateServiceSpecificCredential',
    );
    h = harnessWith(roles);
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('marked for manual action');
    expect(await h.credentialStatus()).toBe('Active');
    expect(h.sim.stats().errors['iam:UpdateServiceSpecificCredential']).toBeGreaterThan(0);
    const [finding] = await h.findings();
    expect(finding!.Note.Text).toContain('MANUAL ACTION REQUIRED');
  }, 300_000);

  it('without securityhub:BatchImportFindings on the findings role, no finding is written and the run fails', async () => {
    const roles = withoutAction(
      deployedResponderRoles(ACCOUNT),
      'bks-findings',
      'securityhub:BatchImportFindings',
    );
    h = harnessWith(roles);
    await h.start();
    const run = await h.run(created(), { policy: { autoRevoke: ['HIGH'] } });
    expect(run.status).toBe('FAILED');
    expect(await h.findings()).toHaveLength(0);
    expect(h.sim.stats().errors['securityhub:BatchImportFindings']).toBeGreaterThan(0);
  }, 300_000);
});
