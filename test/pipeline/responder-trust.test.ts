/**
 * Who may assume the responder roles: their trust policies, synthesized from `ResponderRoles` in a
 * member account's stack, loaded into bks-sim, and judged on every `AssumeRole` by its IAM engine
 * together with the caller's identity policies, as AWS's policy evaluation logic describes it for
 * role trust policies. Through real STS calls: the pipeline's function roles (path `/bks/`) get in,
 * each only where `RESPONDER_TRUST` lets it; any other principal of the security account — an
 * administrator, another role — and any other account are refused. Also the documented rules the
 * engine applies: cross-account, the caller's identity policy must allow too; same account, a
 * trust policy naming the caller suffices; `sts:ExternalId` and `aws:PrincipalOrgID` conditions.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../sim/scenario';
import { type SimHandle, startSim } from '../../sim/server';
import { clientConfig, failure } from '../sim/harness';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';
import { type DeployedRole, deployedResponderRoles, withoutAction } from './deployed-roles';

const SECURITY = '123456789012';
const MEMBER = '444455556666';
const OUTSIDER = '999988887777';
const ORG = 'o-abcd1234ef';
const ADMIN = ['arn:aws:iam::aws:policy/AdministratorAccess'];

/** The deployer in the security account: plays the Lambda service that assumes function roles. */
const DEPLOYER = 'AKIASECURITYDEPLOY01';

function scenario(functionRoles: DeployedRole[]): Scenario {
  return {
    now: '2026-12-01T12:00:00Z',
    principals: [
      { accessKeyId: DEPLOYER, account: SECURITY, arn: `arn:aws:iam::${SECURITY}:user/deployer` },
      {
        accessKeyId: 'AKIASECURITYADMIN001',
        account: SECURITY,
        arn: `arn:aws:iam::${SECURITY}:user/admin`,
        managedPolicies: ADMIN,
      },
      {
        accessKeyId: 'AKIASECURITYALICE001',
        account: SECURITY,
        arn: `arn:aws:iam::${SECURITY}:user/alice`,
        managedPolicies: [],
      },
      {
        accessKeyId: 'AKIAOUTSIDERADMIN001',
        account: OUTSIDER,
        arn: `arn:aws:iam::${OUTSIDER}:user/admin`,
        managedPolicies: ADMIN,
      },
    ],
    organization: {
      id: ORG,
      managementAccount: SECURITY,
      accounts: [{ id: MEMBER, name: 'member' }],
    },
    accounts: [
      {
        id: SECURITY,
        roles: [
          ...functionRoles,
          // Another role of the security account, allowed everything by its own policy.
          { name: 'intruder', trustedAccounts: [SECURITY], managedPolicies: ADMIN },
          // Same-account rules: a trust policy naming alice herself, and one naming the account.
          {
            name: 'names-alice',
            trustPolicy: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${SECURITY}:user/alice` },
                  Action: 'sts:AssumeRole',
                },
              ],
            },
          },
          { name: 'names-account', trustedAccounts: [SECURITY] },
        ],
      },
      {
        id: MEMBER,
        roles: [
          ...deployedResponderRoles(MEMBER, SECURITY),
          {
            name: 'vendor',
            trustPolicy: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` },
                  Action: 'sts:AssumeRole',
                  Condition: { StringEquals: { 'sts:ExternalId': 'vendor-7f3a' } },
                },
              ],
            },
          },
          {
            name: 'org-auditor',
            trustPolicy: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { AWS: '*' },
                  Action: 'sts:AssumeRole',
                  Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
                },
              ],
            },
          },
        ],
      },
      { id: OUTSIDER },
    ],
  };
}

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

describe('responder role trust, judged by the IAM engine over STS', () => {
  let pipeline: DeployedPipeline;
  beforeAll(() => {
    pipeline = deployedPipeline(SECURITY);
  }, 300_000);

  /** The pipeline's function roles (the responder roles of the security account left out). */
  const functionRoles = (roles = pipeline.roles) => roles.filter((r) => /-fn-/.test(r.name));

  async function withTrustSim<T>(roles: DeployedRole[], fn: (sim: SimHandle) => Promise<T>): Promise<T> {
    const sim = await startSim({ scenario: scenario(roles) });
    try {
      return await fn(sim);
    } finally {
      await sim.close();
    }
  }

  async function assume(sim: SimHandle, as: Creds, roleArn: string, externalId?: string): Promise<Creds> {
    const sts = new STSClient({ ...clientConfig(sim), credentials: as, maxAttempts: 1 });
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: 'trust-test',
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      );
      const c = out.Credentials!;
      return {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      };
    } finally {
      sts.destroy();
    }
  }

  const key = (accessKeyId: string): Creds => ({ accessKeyId, secretAccessKey: 'not-a-secret' });
  /** A session of the pipeline function `fn` (as Lambda gives it to the function). */
  const fnSession = (sim: SimHandle, fn: string) =>
    assume(sim, key(DEPLOYER), `arn:aws:iam::${SECURITY}:role/bks/bks-fn-${fn}`);
  const member = (role: string) => `arn:aws:iam::${MEMBER}:role/bks/${role}`;

  it('the member account’s revoker admits the revoke function’s role (path /bks/) and nobody else of the security account', async () => {
    await withTrustSim(functionRoles(), async (sim) => {
      const revoke = await fnSession(sim, 'revoke');
      const session = await assume(sim, revoke, member('bks-revoker'));
      expect(session.accessKeyId).toMatch(/^ASIA/);
      // Each function role reaches only the responder roles its trust names.
      await assume(sim, await fnSession(sim, 'enrich'), member('bks-reader'));
      await assume(sim, await fnSession(sim, 'finding'), member('bks-findings'));
      for (const [who, creds] of [
        ['the enrich function (trusted by the reader only)', await fnSession(sim, 'enrich')],
        ['the finding function', await fnSession(sim, 'finding')],
        ['an administrator of the security account', key('AKIASECURITYADMIN001')],
        [
          'another role of the security account, allowed everything',
          await assume(sim, key(DEPLOYER), `arn:aws:iam::${SECURITY}:role/intruder`),
        ],
        ['an administrator of another account', key('AKIAOUTSIDERADMIN001')],
      ] as const) {
        const err = await failure(assume(sim, creds, member('bks-revoker')));
        expect({ who, name: err.name, status: err.status }).toEqual({
          who,
          name: 'AccessDenied',
          status: 403,
        });
        expect(err.message).toContain(
          `not authorized to perform: sts:AssumeRole on resource: ${member('bks-revoker')}`,
        );
      }
    });
  }, 120_000);

  it('cross-account, the trust policy is not enough: the function role’s own policy must allow sts:AssumeRole', async () => {
    const roles = withoutAction(functionRoles(), 'bks-fn-revoke', 'sts:AssumeRole');
    await withTrustSim(roles, async (sim) => {
      const err = await failure(assume(sim, await fnSession(sim, 'revoke'), member('bks-revoker')));
      expect(err.name).toBe('AccessDenied');
      expect(err.message).toContain('because no identity-based policy allows the sts:AssumeRole action');
    });
  }, 120_000);

  it('same account: a trust policy naming the caller suffices; one naming the account needs the caller’s own allow', async () => {
    await withTrustSim(functionRoles(), async (sim) => {
      // alice has no policies at all.
      await assume(sim, key('AKIASECURITYALICE001'), `arn:aws:iam::${SECURITY}:role/names-alice`);
      const err = await failure(
        assume(sim, key('AKIASECURITYALICE001'), `arn:aws:iam::${SECURITY}:role/names-account`),
      );
      expect(err.name).toBe('AccessDenied');
      await assume(sim, key('AKIASECURITYADMIN001'), `arn:aws:iam::${SECURITY}:role/names-account`);
    });
  }, 120_000);

  it('conditions of the trust policy: sts:ExternalId and aws:PrincipalOrgID', async () => {
    await withTrustSim(functionRoles(), async (sim) => {
      const vendor = `arn:aws:iam::${MEMBER}:role/vendor`;
      await assume(sim, key('AKIAOUTSIDERADMIN001'), vendor, 'vendor-7f3a');
      expect((await failure(assume(sim, key('AKIAOUTSIDERADMIN001'), vendor, 'guess'))).name).toBe(
        'AccessDenied',
      );
      expect((await failure(assume(sim, key('AKIAOUTSIDERADMIN001'), vendor))).name).toBe('AccessDenied');
      const auditor = `arn:aws:iam::${MEMBER}:role/org-auditor`;
      await assume(sim, key('AKIASECURITYADMIN001'), auditor);
      expect((await failure(assume(sim, key('AKIAOUTSIDERADMIN001'), auditor))).name).toBe('AccessDenied');
    });
  }, 120_000);
});
