/**
 * IAM as `bks-sim` serves it, driven with the real AWS SDK v3 IAM client over HTTP: the semantics
 * the scan, revoke and cleanup depend on (pagination at boundaries, aliases, limits, conflicts,
 * error codes and statuses, credential report, authorization details).
 */
import {
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRolePolicyCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListServiceSpecificCredentialsCommand,
  type ListServiceSpecificCredentialsCommandInput,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  ResetServiceSpecificCredentialCommand,
  type ServiceSpecificCredentialMetadata,
  TagUserCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountFromAccessKeyId, type Scenario, type ScenarioUser } from '../../sim/scenario';
import type { SimHandle } from '../../sim/server';
import { startSim } from '../../sim/server';
import { ACCOUNT_A, clientConfig, failure, withSim } from './harness';

const BEDROCK = 'bedrock.amazonaws.com';
const LIMITED = 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess';

function baseScenario(users: ScenarioUser[], extra: Partial<Scenario['accounts'][number]> = {}): Scenario {
  return {
    now: '2026-11-20T12:00:00Z',
    accounts: [
      {
        id: ACCOUNT_A,
        groups: [{ name: 'devs' }],
        roles: [{ name: 'Audit', inlinePolicies: { ro: { Version: '2012-10-17', Statement: [] } } }],
        users,
        ...extra,
      },
    ],
  };
}

async function allPages(
  iam: IAMClient,
  input: ListServiceSpecificCredentialsCommandInput,
): Promise<{ creds: ServiceSpecificCredentialMetadata[]; pages: number }> {
  const creds: ServiceSpecificCredentialMetadata[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const out = await iam.send(new ListServiceSpecificCredentialsCommand({ ...input, Marker: marker }));
    pages++;
    creds.push(...(out.ServiceSpecificCredentials ?? []));
    marker = out.IsTruncated ? out.Marker : undefined;
    if (out.IsTruncated) expect(out.Marker).toBeTruthy();
    else expect(out.Marker).toBeUndefined();
  } while (marker);
  return { creds, pages };
}

describe('ListServiceSpecificCredentials', () => {
  let sim: SimHandle;
  let iam: IAMClient;
  // 7 users: credentials 2,0,1,2,0,1,1 (bedrock) plus 2 CodeCommit ones: 7 Bedrock, 9 in all.
  const plan = [2, 0, 1, 2, 0, 1, 1];
  beforeAll(async () => {
    const users: ScenarioUser[] = plan.map((n, i) => ({
      name: i === 0 ? 'BedrockAPIKey-h42z' : `user-${i}`,
      serviceCredentials: Array.from({ length: n }, (_, j) => ({
        service: BEDROCK,
        ...(i === 5 ? { expiresAt: '2026-01-01T00:00:00Z' } : {}),
        ...(i === 6 && j === 0 ? { status: 'Inactive' as const } : {}),
      })),
    }));
    users[1]!.serviceCredentials = [{ service: 'codecommit.amazonaws.com' }];
    users[4]!.serviceCredentials = [{ service: 'codecommit.amazonaws.com' }];
    sim = await startSim({ scenario: baseScenario(users) });
    iam = new IAMClient(clientConfig(sim));
  });
  afterAll(() => sim.close());

  it('AllUsers lists every credential exactly once at every page size', async () => {
    const expected = sim.state.accounts[0]!.users.flatMap((u) => u.serviceCredentials.map((c) => c.id));
    expect(expected).toHaveLength(9);
    for (const size of [1, 2, 3, 4, 8, 9, 10, 1000]) {
      const { creds, pages } = await allPages(iam, { AllUsers: true, MaxItems: size });
      expect(creds.map((c) => c.ServiceSpecificCredentialId)).toEqual(expected);
      expect(pages).toBe(Math.max(1, Math.ceil(9 / size)));
    }
  });

  it('filters by ServiceName across users and pages', async () => {
    const { creds } = await allPages(iam, { AllUsers: true, ServiceName: BEDROCK, MaxItems: 2 });
    expect(creds).toHaveLength(7);
    expect(creds.every((c) => c.ServiceName === BEDROCK)).toBe(true);
    const code = await allPages(iam, {
      AllUsers: true,
      ServiceName: 'codecommit.amazonaws.com',
      MaxItems: 1,
    });
    expect(code.creds.map((c) => c.UserName)).toEqual(['user-1', 'user-4']);
    expect(code.creds[0]!.ServiceUserName).toBe(`user-1-at-${ACCOUNT_A}`);
    expect(code.creds[0]!.ServiceCredentialAlias).toBeUndefined();
  });

  it('answers aliases, statuses (Expired past expiry) and no secret', async () => {
    const out = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'BedrockAPIKey-h42z' }));
    expect(out.ServiceSpecificCredentials!.map((c) => c.ServiceCredentialAlias)).toEqual([
      `BedrockAPIKey-h42z-at-${ACCOUNT_A}`,
      `BedrockAPIKey-h42z+1-at-${ACCOUNT_A}`,
    ]);
    expect(out.IsTruncated).toBe(false);
    const expired = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'user-5' }));
    expect(expired.ServiceSpecificCredentials![0]!.Status).toBe('Expired');
    expect(expired.ServiceSpecificCredentials![0]!.ExpirationDate).toEqual(new Date('2026-01-01T00:00:00Z'));
    const inactive = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'user-6' }));
    expect(inactive.ServiceSpecificCredentials![0]!.Status).toBe('Inactive');
    const secret = sim.state.accounts[0]!.users[0]!.serviceCredentials[0]!.secret;
    expect(JSON.stringify(out)).not.toContain(secret);
  });

  it('refuses bad combinations with the codes AWS uses', async () => {
    expect(
      await failure(
        iam.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true, UserName: 'user-1' })),
      ),
    ).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(
      await failure(iam.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true, MaxItems: 0 }))),
    ).toMatchObject({
      name: 'ValidationError',
      status: 400,
    });
    expect(
      await failure(iam.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true, MaxItems: 1001 }))),
    ).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(
      await failure(iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'nobody' }))),
    ).toMatchObject({
      name: 'NoSuchEntityException',
      status: 404,
      message: 'The user with name nobody cannot be found.',
    });
    expect(
      await failure(
        iam.send(
          new ListServiceSpecificCredentialsCommand({ AllUsers: true, ServiceName: 's3.amazonaws.com' }),
        ),
      ),
    ).toMatchObject({ name: 'ServiceNotSupportedException', status: 404 });
  });
});

describe('service-specific credential lifecycle', () => {
  it('aliases, +1, the limit of two per service, secret once, expiry, reset, delete', async () => {
    await withSim(baseScenario([{ name: 'ml-dev' }]), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const first = await iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'ml-dev',
          ServiceName: BEDROCK,
          CredentialAgeDays: 30,
        }),
      );
      const c1 = first.ServiceSpecificCredential!;
      expect(c1.ServiceCredentialAlias).toBe(`ml-dev-at-${ACCOUNT_A}`);
      expect(c1.ServiceSpecificCredentialId).toMatch(/^ACCA[A-Z0-9]{17}$/);
      expect(c1.ServiceCredentialSecret).toBeTruthy();
      expect(c1.Status).toBe('Active');
      expect(c1.ExpirationDate!.getTime() - c1.CreateDate!.getTime()).toBe(30 * 86400_000);
      const second = await iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: 'ml-dev', ServiceName: BEDROCK }),
      );
      expect(second.ServiceSpecificCredential!.ServiceCredentialAlias).toBe(`ml-dev+1-at-${ACCOUNT_A}`);
      expect(second.ServiceSpecificCredential!.ExpirationDate).toBeUndefined();
      expect(
        await failure(
          iam.send(new CreateServiceSpecificCredentialCommand({ UserName: 'ml-dev', ServiceName: BEDROCK })),
        ),
      ).toMatchObject({ name: 'LimitExceededException', status: 409 });
      // another service has its own quota
      const other = await iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'ml-dev',
          ServiceName: 'aws-external-anthropic.amazonaws.com',
        }),
      );
      expect(other.ServiceSpecificCredential!.ServiceCredentialAlias).toBe(`ml-dev-at-${ACCOUNT_A}`);
      expect(
        await failure(
          iam.send(
            new CreateServiceSpecificCredentialCommand({
              UserName: 'ml-dev',
              ServiceName: BEDROCK,
              CredentialAgeDays: 0,
            }),
          ),
        ),
      ).toMatchObject({ name: 'ValidationError', status: 400 });
      expect(
        await failure(
          iam.send(new CreateServiceSpecificCredentialCommand({ UserName: 'ghost', ServiceName: BEDROCK })),
        ),
      ).toMatchObject({ name: 'NoSuchEntityException', status: 404 });

      // the secret is returned once: List never carries it; Reset gives a new one
      const listed = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'ml-dev' }));
      expect(JSON.stringify(listed)).not.toContain(c1.ServiceCredentialSecret!);
      const reset = await iam.send(
        new ResetServiceSpecificCredentialCommand({
          UserName: 'ml-dev',
          ServiceSpecificCredentialId: c1.ServiceSpecificCredentialId,
        }),
      );
      expect(reset.ServiceSpecificCredential!.ServiceCredentialSecret).toBeTruthy();
      expect(reset.ServiceSpecificCredential!.ServiceCredentialSecret).not.toBe(c1.ServiceCredentialSecret);

      // expiry: past 30 days the first one reads Expired
      sim.advanceClock(31 * 86400);
      const later = await iam.send(
        new ListServiceSpecificCredentialsCommand({ UserName: 'ml-dev', ServiceName: BEDROCK }),
      );
      expect(later.ServiceSpecificCredentials!.map((c) => c.Status)).toEqual(['Expired', 'Active']);

      await iam.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: 'ml-dev',
          ServiceSpecificCredentialId: second.ServiceSpecificCredential!.ServiceSpecificCredentialId,
          Status: 'Inactive',
        }),
      );
      expect(sim.state.accounts[0]!.users[0]!.serviceCredentials[1]!.status).toBe('Inactive');
      await iam.send(
        new DeleteServiceSpecificCredentialCommand({
          UserName: 'ml-dev',
          ServiceSpecificCredentialId: c1.ServiceSpecificCredentialId,
        }),
      );
      expect(
        await failure(
          iam.send(
            new DeleteServiceSpecificCredentialCommand({
              UserName: 'ml-dev',
              ServiceSpecificCredentialId: c1.ServiceSpecificCredentialId,
            }),
          ),
        ),
      ).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
      // the freed alias is given again
      const again = await iam.send(
        new CreateServiceSpecificCredentialCommand({ UserName: 'ml-dev', ServiceName: BEDROCK }),
      );
      expect(again.ServiceSpecificCredential!.ServiceCredentialAlias).toBe(`ml-dev-at-${ACCOUNT_A}`);
    });
  });
});

describe('CodeCommit-style credentials', () => {
  it('carry a ServiceUserName and a password instead of an alias and a secret', async () => {
    await withSim(baseScenario([{ name: 'dev' }]), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const make = () =>
        iam.send(
          new CreateServiceSpecificCredentialCommand({
            UserName: 'dev',
            ServiceName: 'codecommit.amazonaws.com',
          }),
        );
      const first = (await make()).ServiceSpecificCredential!;
      const second = (await make()).ServiceSpecificCredential!;
      expect([first.ServiceUserName, second.ServiceUserName]).toEqual([
        `dev-at-${ACCOUNT_A}`,
        `dev+1-at-${ACCOUNT_A}`,
      ]);
      expect(first.ServicePassword).toBeTruthy();
      expect(first.ServiceCredentialAlias).toBeUndefined();
      expect(first.ServiceCredentialSecret).toBeUndefined();
    });
  });
});

describe('access keys', () => {
  it('create (account decodes from the id), limit 2, list, update, last used, delete, sign calls', async () => {
    await withSim(baseScenario([{ name: 'BedrockAPIKey-ab12' }]), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'BedrockAPIKey-ab12' }))).AccessKey!;
      expect(k1.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(accountFromAccessKeyId(k1.AccessKeyId!)).toBe(ACCOUNT_A);
      expect(k1.SecretAccessKey).toHaveLength(40);
      await iam.send(new CreateAccessKeyCommand({ UserName: 'BedrockAPIKey-ab12' }));
      expect(
        await failure(iam.send(new CreateAccessKeyCommand({ UserName: 'BedrockAPIKey-ab12' }))),
      ).toMatchObject({
        name: 'LimitExceededException',
        status: 409,
      });
      const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'BedrockAPIKey-ab12' }));
      expect(listed.AccessKeyMetadata!.map((k) => k.Status)).toEqual(['Active', 'Active']);
      expect(JSON.stringify(listed)).not.toContain(k1.SecretAccessKey!);

      const before = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.AccessKeyId }));
      expect(before.UserName).toBe('BedrockAPIKey-ab12');
      expect(before.AccessKeyLastUsed).toMatchObject({ ServiceName: 'N/A', Region: 'N/A' });
      expect(before.AccessKeyLastUsed!.LastUsedDate).toBeUndefined();

      // the new key signs calls as the user
      const asUser = new STSClient(clientConfig(sim, k1.AccessKeyId!));
      const me = await asUser.send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(`arn:aws:iam::${ACCOUNT_A}:user/BedrockAPIKey-ab12`);
      const after = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k1.AccessKeyId }));
      expect(after.AccessKeyLastUsed).toMatchObject({ ServiceName: 'sts', Region: 'us-east-1' });
      expect(after.AccessKeyLastUsed!.LastUsedDate).toBeInstanceOf(Date);

      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: 'BedrockAPIKey-ab12',
          AccessKeyId: k1.AccessKeyId,
          Status: 'Inactive',
        }),
      );
      expect(await failure(asUser.send(new GetCallerIdentityCommand({})))).toMatchObject({
        name: 'InvalidClientTokenId',
        status: 403,
      });
      await iam.send(
        new DeleteAccessKeyCommand({ UserName: 'BedrockAPIKey-ab12', AccessKeyId: k1.AccessKeyId }),
      );
      // a deleted key stops working (it does not fall back to the default identity)
      expect(await failure(asUser.send(new GetCallerIdentityCommand({})))).toMatchObject({
        name: 'InvalidClientTokenId',
        status: 403,
      });
      expect(
        await failure(
          iam.send(
            new DeleteAccessKeyCommand({ UserName: 'BedrockAPIKey-ab12', AccessKeyId: k1.AccessKeyId }),
          ),
        ),
      ).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
      expect(await failure(iam.send(new ListAccessKeysCommand({ UserName: 'nobody' })))).toMatchObject({
        name: 'NoSuchEntityException',
        status: 404,
      });
    });
  });
});

describe('DeleteUser', () => {
  const blockers: [string, Partial<ScenarioUser>, string][] = [
    ['login profile', { loginProfile: true }, 'must delete login profile first'],
    ['access key', { accessKeys: [{}] }, 'must delete access keys first'],
    [
      'Bedrock credential',
      { serviceCredentials: [{ service: BEDROCK }] },
      'must delete service specific credentials first',
    ],
    [
      'CodeCommit credential',
      { serviceCredentials: [{ service: 'codecommit.amazonaws.com' }] },
      'service specific credentials',
    ],
    ['signing certificate', { signingCertificates: 1 }, 'must delete signing certificates first'],
    ['SSH public key', { sshPublicKeys: 1 }, 'must delete SSH public keys first'],
    ['MFA device', { mfaDevices: 1 }, 'must delete MFA device first'],
    ['group membership', { groups: ['devs'] }, 'must remove users from group first'],
    ['attached policy', { managedPolicies: [LIMITED] }, 'must detach all policies first'],
    [
      'inline policy',
      { inlinePolicies: { x: { Version: '2012-10-17', Statement: [] } } },
      'must delete policies first',
    ],
  ];

  it('answers DeleteConflict (409) while each blocker remains, and deletes once it is gone', async () => {
    const users = blockers.map(([, extra], i) => ({ name: `u${i}`, ...extra }));
    await withSim(
      baseScenario([...users, { name: 'bounded', permissionsBoundary: LIMITED }]),
      async (sim) => {
        const iam = new IAMClient(clientConfig(sim));
        for (let i = 0; i < blockers.length; i++) {
          const err = await failure(iam.send(new DeleteUserCommand({ UserName: `u${i}` })));
          expect(err, blockers[i]![0]).toMatchObject({ name: 'DeleteConflictException', status: 409 });
          expect(err.message).toContain(blockers[i]![2]);
        }
        const u = (n: number) => `u${n}`;
        await iam.send(new DeleteLoginProfileCommand({ UserName: u(0) }));
        const key = sim.state.accounts[0]!.users[1]!.accessKeys[0]!.id;
        await iam.send(new DeleteAccessKeyCommand({ UserName: u(1), AccessKeyId: key }));
        for (const n of [2, 3]) {
          const id = sim.state.accounts[0]!.users[n]!.serviceCredentials[0]!.id;
          await iam.send(
            new DeleteServiceSpecificCredentialCommand({ UserName: u(n), ServiceSpecificCredentialId: id }),
          );
        }
        const certs = await iam.send(new ListSigningCertificatesCommand({ UserName: u(4) }));
        await iam.send(
          new DeleteSigningCertificateCommand({
            UserName: u(4),
            CertificateId: certs.Certificates![0]!.CertificateId,
          }),
        );
        const ssh = await iam.send(new ListSSHPublicKeysCommand({ UserName: u(5) }));
        await iam.send(
          new DeleteSSHPublicKeyCommand({
            UserName: u(5),
            SSHPublicKeyId: ssh.SSHPublicKeys![0]!.SSHPublicKeyId,
          }),
        );
        const mfa = await iam.send(new ListMFADevicesCommand({ UserName: u(6) }));
        await iam.send(
          new DeactivateMFADeviceCommand({ UserName: u(6), SerialNumber: mfa.MFADevices![0]!.SerialNumber }),
        );
        await iam.send(new RemoveUserFromGroupCommand({ UserName: u(7), GroupName: 'devs' }));
        await iam.send(new DetachUserPolicyCommand({ UserName: u(8), PolicyArn: LIMITED }));
        await iam.send(new DeleteUserPolicyCommand({ UserName: u(9), PolicyName: 'x' }));
        for (let i = 0; i < blockers.length; i++) await iam.send(new DeleteUserCommand({ UserName: u(i) }));
        // a permissions boundary does not block
        await iam.send(new DeleteUserCommand({ UserName: 'bounded' }));
        expect(sim.state.accounts[0]!.users).toHaveLength(0);
        expect(await failure(iam.send(new DeleteUserCommand({ UserName: 'u0' })))).toMatchObject({
          name: 'NoSuchEntityException',
          status: 404,
          message: 'The user with name u0 cannot be found.',
        });
      },
    );
  });
});

describe('users, tags, policies, groups, login profile', () => {
  it('behave as IAM does', async () => {
    await withSim(baseScenario([{ name: 'alice', tags: { team: 'ml' } }]), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const created = await iam.send(
        new CreateUserCommand({ UserName: 'bob', Path: '/eng/', Tags: [{ Key: 'owner', Value: 'sec' }] }),
      );
      expect(created.User).toMatchObject({
        UserName: 'bob',
        Path: '/eng/',
        Arn: `arn:aws:iam::${ACCOUNT_A}:user/eng/bob`,
      });
      expect(await failure(iam.send(new CreateUserCommand({ UserName: 'BOB' })))).toMatchObject({
        name: 'EntityAlreadyExistsException',
        status: 409,
      });
      expect(await failure(iam.send(new CreateUserCommand({ UserName: 'bad name' })))).toMatchObject({
        name: 'ValidationError',
      });
      const page1 = await iam.send(new ListUsersCommand({ MaxItems: 1 }));
      expect(page1.Users!.map((u) => u.UserName)).toEqual(['alice']);
      expect(page1.IsTruncated).toBe(true);
      const page2 = await iam.send(new ListUsersCommand({ MaxItems: 1, Marker: page1.Marker }));
      expect(page2.Users!.map((u) => u.UserName)).toEqual(['bob']);
      expect(page2.IsTruncated).toBe(false);
      expect((await iam.send(new ListUsersCommand({ PathPrefix: '/eng/' }))).Users).toHaveLength(1);

      await iam.send(new TagUserCommand({ UserName: 'alice', Tags: [{ Key: 'env', Value: 'prod' }] }));
      const tags = await iam.send(new ListUserTagsCommand({ UserName: 'alice' }));
      expect(tags.Tags).toEqual([
        { Key: 'team', Value: 'ml' },
        { Key: 'env', Value: 'prod' },
      ]);
      expect((await iam.send(new GetUserCommand({ UserName: 'alice' }))).User!.Tags).toHaveLength(2);

      await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: LIMITED }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: LIMITED }));
      expect(
        (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }))).AttachedPolicies,
      ).toEqual([{ PolicyName: 'AmazonBedrockLimitedAccess', PolicyArn: LIMITED }]);
      expect(
        await failure(
          iam.send(
            new AttachUserPolicyCommand({
              UserName: 'alice',
              PolicyArn: `arn:aws:iam::${ACCOUNT_A}:policy/nope`,
            }),
          ),
        ),
      ).toMatchObject({ name: 'NoSuchEntityException', status: 404 });
      expect(
        await failure(iam.send(new DetachUserPolicyCommand({ UserName: 'bob', PolicyArn: LIMITED }))),
      ).toMatchObject({ name: 'NoSuchEntityException', status: 404 });

      const deny = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'bedrock:*', Resource: '*' }],
      };
      await iam.send(
        new PutUserPolicyCommand({
          UserName: 'alice',
          PolicyName: 'deny',
          PolicyDocument: JSON.stringify(deny),
        }),
      );
      expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'alice' }))).PolicyNames).toEqual([
        'deny',
      ]);
      const got = await iam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'deny' }));
      expect(JSON.parse(decodeURIComponent(got.PolicyDocument!))).toEqual(deny);
      expect(
        await failure(iam.send(new GetUserPolicyCommand({ UserName: 'alice', PolicyName: 'nope' }))),
      ).toMatchObject({
        name: 'NoSuchEntityException',
        status: 404,
      });
      expect(
        await failure(
          iam.send(new PutUserPolicyCommand({ UserName: 'alice', PolicyName: 'bad', PolicyDocument: '{' })),
        ),
      ).toMatchObject({ name: 'MalformedPolicyDocumentException', status: 400 });

      await iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'devs' }));
      expect(
        (await iam.send(new ListGroupsForUserCommand({ UserName: 'alice' }))).Groups!.map((g) => g.Arn),
      ).toEqual([`arn:aws:iam::${ACCOUNT_A}:group/devs`]);
      expect(
        await failure(iam.send(new AddUserToGroupCommand({ UserName: 'alice', GroupName: 'ops' }))),
      ).toMatchObject({
        name: 'NoSuchEntityException',
      });

      expect(await failure(iam.send(new GetLoginProfileCommand({ UserName: 'alice' })))).toMatchObject({
        name: 'NoSuchEntityException',
        status: 404,
      });
      await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-9' }));
      expect(
        await failure(
          iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-9' })),
        ),
      ).toMatchObject({ name: 'EntityAlreadyExistsException', status: 409 });
      expect((await iam.send(new GetLoginProfileCommand({ UserName: 'alice' }))).LoginProfile!.UserName).toBe(
        'alice',
      );
      // the password is never recorded
      expect(JSON.stringify(sim.state)).not.toContain('Correct-Horse-9');
    });
  });
});

describe('roles', () => {
  it('ListRoles and role inline policies', async () => {
    await withSim(baseScenario([]), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const roles = await iam.send(new ListRolesCommand({}));
      expect(roles.Roles!.map((r) => r.Arn)).toEqual([`arn:aws:iam::${ACCOUNT_A}:role/Audit`]);
      const trust = JSON.parse(decodeURIComponent(roles.Roles![0]!.AssumeRolePolicyDocument!));
      expect(trust.Statement[0].Principal.AWS).toEqual([`arn:aws:iam::${ACCOUNT_A}:root`]);
      const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'Audit',
          PolicyName: 'deny',
          PolicyDocument: JSON.stringify(doc),
        }),
      );
      expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'Audit' }))).PolicyNames).toEqual([
        'ro',
        'deny',
      ]);
      const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'Audit', PolicyName: 'deny' }));
      expect(JSON.parse(decodeURIComponent(got.PolicyDocument!))).toEqual(doc);
      await iam.send(new DeleteRolePolicyCommand({ RoleName: 'Audit', PolicyName: 'deny' }));
      expect(
        await failure(iam.send(new DeleteRolePolicyCommand({ RoleName: 'Audit', PolicyName: 'deny' }))),
      ).toMatchObject({
        name: 'NoSuchEntityException',
        status: 404,
      });
      expect(await failure(iam.send(new ListRolePoliciesCommand({ RoleName: 'Nope' })))).toMatchObject({
        name: 'NoSuchEntityException',
        status: 404,
      });
    });
  });
});

describe('GetAccountAuthorizationDetails', () => {
  it('pages across users, groups, roles and policies, with URL-encoded documents', async () => {
    const users: ScenarioUser[] = Array.from({ length: 5 }, (_, i) => ({
      name: `u${i}`,
      managedPolicies: [LIMITED],
      inlinePolicies: {
        p: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'bedrock:*', Resource: '*' }] },
      },
      groups: i === 0 ? ['devs'] : [],
      tags: { i: String(i) },
      permissionsBoundary: i === 1 ? LIMITED : null,
    }));
    await withSim(baseScenario(users), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const only = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User'] }));
      expect(only.UserDetailList).toHaveLength(5);
      expect(only.RoleDetailList).toEqual([]);
      const u0 = only.UserDetailList![0]!;
      expect(u0.GroupList).toEqual(['devs']);
      expect(u0.AttachedManagedPolicies).toEqual([
        { PolicyName: 'AmazonBedrockLimitedAccess', PolicyArn: LIMITED },
      ]);
      expect(u0.Tags).toEqual([{ Key: 'i', Value: '0' }]);
      expect(JSON.parse(decodeURIComponent(u0.UserPolicyList![0]!.PolicyDocument!)).Statement[0].Effect).toBe(
        'Deny',
      );
      expect(only.UserDetailList![1]!.PermissionsBoundary).toEqual({
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: LIMITED,
      });

      // everything: 5 users + 1 group + 1 role + 1 AWS managed policy in use = 8 items
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const out = await iam.send(
          new GetAccountAuthorizationDetailsCommand({ MaxItems: 3, Marker: marker }),
        );
        pages++;
        seen.push(
          ...out.UserDetailList!.map((u) => `U:${u.UserName}`),
          ...out.GroupDetailList!.map((g) => `G:${g.GroupName}`),
          ...out.RoleDetailList!.map((r) => `R:${r.RoleName}`),
          ...out.Policies!.map((p) => `P:${p.PolicyName}`),
        );
        marker = out.IsTruncated ? out.Marker : undefined;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual([
        'U:u0',
        'U:u1',
        'U:u2',
        'U:u3',
        'U:u4',
        'G:devs',
        'R:Audit',
        'P:AmazonBedrockLimitedAccess',
      ]);
      const policies = await iam.send(
        new GetAccountAuthorizationDetailsCommand({ Filter: ['AWSManagedPolicy'] }),
      );
      expect(policies.Policies![0]).toMatchObject({
        AttachmentCount: 5,
        PermissionsBoundaryUsageCount: 1,
        DefaultVersionId: 'v1',
      });
      expect(
        JSON.parse(decodeURIComponent(policies.Policies![0]!.PolicyVersionList![0]!.Document!)).Version,
      ).toBe('2012-10-17');
      expect(
        await failure(iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['Nope' as 'User'] }))),
      ).toMatchObject({ name: 'ValidationError', status: 400 });
    });
  });
});

describe('credential report', () => {
  it('ReportNotPresent, STARTED, ReportInProgress, COMPLETE, the CSV columns, a snapshot, 4-hour reuse and expiry', async () => {
    const users: ScenarioUser[] = [
      {
        name: 'alice',
        createdAt: '2026-01-02T03:04:05Z',
        loginProfile: { createdAt: '2026-01-03T00:00:00Z' },
        passwordLastUsed: '2026-11-01T00:00:00Z',
        mfaDevices: 1,
        accessKeys: [
          {
            status: 'Active',
            createdAt: '2026-02-01T00:00:00Z',
            lastUsedAt: '2026-11-19T10:00:00Z',
            lastUsedService: 'bedrock',
            lastUsedRegion: 'us-west-2',
          },
          { status: 'Inactive', createdAt: '2026-03-01T00:00:00Z' },
        ],
      },
      { name: 'BedrockAPIKey-h42z', signingCertificates: 1 },
      { name: 'carol', loginProfile: true },
    ];
    await withSim(baseScenario(users), async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      expect(await failure(iam.send(new GetCredentialReportCommand({})))).toMatchObject({
        name: 'CredentialReportNotPresentException',
        status: 410,
      });
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
      expect(await failure(iam.send(new GetCredentialReportCommand({})))).toMatchObject({
        name: 'CredentialReportNotReadyException',
        status: 404,
      });
      // a change after generation started is not in this report
      await iam.send(new CreateUserCommand({ UserName: 'late' }));
      sim.advanceClock(1);
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
      const report = await iam.send(new GetCredentialReportCommand({}));
      expect(report.ReportFormat).toBe('text/csv');
      expect(report.GeneratedTime).toBeInstanceOf(Date);
      const csv = Buffer.from(report.Content!).toString('utf8').trim().split('\n');
      expect(csv[0]).toBe(
        'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,' +
          'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,' +
          'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,' +
          'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
      );
      expect(csv.map((l) => l.split(',')[0])).toEqual([
        'user',
        '<root_account>',
        'alice',
        'BedrockAPIKey-h42z',
        'carol',
      ]);
      // a password never used reads no_information; no password reads N/A
      expect(csv[4]!.split(',').slice(3, 5)).toEqual(['true', 'no_information']);
      expect(csv[3]!.split(',').slice(3, 5)).toEqual(['false', 'N/A']);
      expect(csv[2]!.split(',')).toEqual([
        'alice',
        `arn:aws:iam::${ACCOUNT_A}:user/alice`,
        '2026-01-02T03:04:05+00:00',
        'true',
        '2026-11-01T00:00:00+00:00',
        '2026-01-03T00:00:00+00:00',
        'N/A',
        'true',
        'true',
        '2026-02-01T00:00:00+00:00',
        '2026-11-19T10:00:00+00:00',
        'us-west-2',
        'bedrock',
        'false',
        '2026-03-01T00:00:00+00:00',
        'N/A',
        'N/A',
        'N/A',
        'false',
        'N/A',
        'false',
        'N/A',
      ]);
      expect(csv[3]!.split(',').slice(18)).toEqual(['true', '2026-11-20T12:00:00+00:00', 'false', 'N/A']);
      // within 4 hours the same report stands
      sim.advanceClock(3600);
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
      expect(
        Buffer.from((await iam.send(new GetCredentialReportCommand({}))).Content!).toString(),
      ).not.toContain('late');
      // after 4 hours it has expired; a new one includes the change
      sim.advanceClock(4 * 3600);
      expect(await failure(iam.send(new GetCredentialReportCommand({})))).toMatchObject({
        name: 'CredentialReportExpiredException',
        status: 410,
      });
      expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
      sim.advanceClock(1);
      expect(Buffer.from((await iam.send(new GetCredentialReportCommand({}))).Content!).toString()).toContain(
        '\nlate,',
      );
    });
  });
});

describe('partitions', () => {
  it('answers ARNs in the scenario partition', async () => {
    const scenario: Scenario = {
      partition: 'aws-us-gov',
      accounts: [{ id: ACCOUNT_A, users: [{ name: 'gov' }] }],
    };
    await withSim(scenario, async (sim) => {
      const iam = new IAMClient(clientConfig(sim, 'AKIDSIMTEST', { region: 'us-gov-west-1' }));
      expect((await iam.send(new GetUserCommand({ UserName: 'gov' }))).User!.Arn).toBe(
        `arn:aws-us-gov:iam::${ACCOUNT_A}:user/gov`,
      );
      expect(
        await failure(iam.send(new AttachUserPolicyCommand({ UserName: 'gov', PolicyArn: LIMITED }))),
      ).toMatchObject({ name: 'InvalidInputException', status: 400 });
      await iam.send(
        new AttachUserPolicyCommand({
          UserName: 'gov',
          PolicyArn: 'arn:aws-us-gov:iam::aws:policy/AmazonBedrockLimitedAccess',
        }),
      );
    });
  });
});

describe('callers that are not the target user', () => {
  it('an assumed role must name the user; an IAM user defaults to itself; keys of other accounts are denied', async () => {
    const s: Scenario = {
      now: '2026-11-20T12:00:00Z',
      principals: [
        {
          accessKeyId: 'AKIDROLE',
          account: ACCOUNT_A,
          arn: `arn:aws:sts::${ACCOUNT_A}:assumed-role/Audit/s1`,
        },
        { accessKeyId: 'AKIDOTHER', account: '222222222222', arn: 'arn:aws:iam::222222222222:user/x' },
      ],
      accounts: [
        {
          id: ACCOUNT_A,
          roles: [{ name: 'Audit' }],
          users: [
            {
              name: 'ml-dev',
              managedPolicies: ['arn:aws:iam::aws:policy/IAMReadOnlyAccess'],
              accessKeys: [{ id: 'AKIAEXAMPLEMLDEV0001' }],
              serviceCredentials: [{ service: BEDROCK }],
            },
          ],
        },
        { id: '222222222222' },
      ],
    };
    await withSim(s, async (sim) => {
      const role = new IAMClient(clientConfig(sim, 'AKIDROLE'));
      expect(await failure(role.send(new ListServiceSpecificCredentialsCommand({})))).toMatchObject({
        name: 'ValidationError',
        status: 400,
        message: 'Must specify userName when calling with non-User credentials',
      });
      expect(
        (await role.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true })))
          .ServiceSpecificCredentials,
      ).toHaveLength(1);
      const self = new IAMClient(clientConfig(sim, 'AKIAEXAMPLEMLDEV0001'));
      expect(
        (await self.send(new ListServiceSpecificCredentialsCommand({}))).ServiceSpecificCredentials![0]!
          .UserName,
      ).toBe('ml-dev');
      expect((await self.send(new GetUserCommand({}))).User!.UserName).toBe('ml-dev');
      const other = new IAMClient(clientConfig(sim, 'AKIDOTHER'));
      expect(
        await failure(other.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIAEXAMPLEMLDEV0001' }))),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
    });
  });
});
