/**
 * STS and Organizations as `bks-sim` serves them, over the wire with SDK v3: AssumeRole into
 * scenario roles (trust, ExternalId, ASIA keys that act in the target account), GetAccessKeyInfo,
 * and the organization's paginated account list.
 */
import { IAMClient, ListUsersCommand } from '@aws-sdk/client-iam';
import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  AssumeRoleCommand,
  GetAccessKeyInfoCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { accountFromAccessKeyId, type Scenario } from '../../sim/scenario';
import { ACCOUNT_A, ACCOUNT_B, clientConfig, failure, withSim } from './harness';

const ACCOUNT_C = '333333333333';

const scenario: Scenario = {
  now: '2026-11-20T12:00:00Z',
  principals: [
    { accessKeyId: 'AKIDMGMT', account: ACCOUNT_A, arn: `arn:aws:iam::${ACCOUNT_A}:user/secops` },
    { accessKeyId: 'AKIDMEMBER', account: ACCOUNT_C, arn: `arn:aws:iam::${ACCOUNT_C}:role/x` },
  ],
  organization: {
    managementAccount: ACCOUNT_A,
    accounts: [
      { id: ACCOUNT_B, name: 'prod' },
      { id: ACCOUNT_C, name: 'old', state: 'CLOSED' },
    ],
  },
  accounts: [
    { id: ACCOUNT_A },
    {
      id: ACCOUNT_B,
      roles: [
        {
          name: 'OrganizationAccountAccessRole',
          trustedAccounts: [ACCOUNT_A, ACCOUNT_B],
          managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        },
        { name: 'Vendor', trustedAccounts: [ACCOUNT_A], externalId: 'ext-123' },
      ],
      users: [{ name: 'bob' }],
    },
    { id: ACCOUNT_C },
  ],
};

describe('STS', () => {
  it('AssumeRole returns ASIA keys that act as the role in the target account', async () => {
    await withSim(scenario, async (sim) => {
      const sts = new STSClient(clientConfig(sim, 'AKIDMGMT'));
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'bks-scan',
        }),
      );
      const creds = out.Credentials!;
      expect(creds.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(accountFromAccessKeyId(creds.AccessKeyId!)).toBe(ACCOUNT_B);
      expect(creds.Expiration!.getTime() - Date.parse('2026-11-20T12:00:00Z')).toBeGreaterThanOrEqual(
        3600_000,
      );
      expect(out.AssumedRoleUser!.Arn).toBe(
        `arn:aws:sts::${ACCOUNT_B}:assumed-role/OrganizationAccountAccessRole/bks-scan`,
      );
      const session = {
        accessKeyId: creds.AccessKeyId!,
        secretAccessKey: creds.SecretAccessKey!,
        sessionToken: creds.SessionToken!,
      };
      const asRole = new STSClient({ ...clientConfig(sim), credentials: session });
      expect(await asRole.send(new GetCallerIdentityCommand({}))).toMatchObject({
        Account: ACCOUNT_B,
        Arn: out.AssumedRoleUser!.Arn,
        UserId: out.AssumedRoleUser!.AssumedRoleId,
      });
      const iam = new IAMClient({ ...clientConfig(sim), credentials: session });
      expect((await iam.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(['bob']);
      expect((await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: creds.AccessKeyId }))).Account).toBe(
        ACCOUNT_B,
      );
      // the documented offline vector decodes the same way online
      expect(
        (await sts.send(new GetAccessKeyInfoCommand({ AccessKeyId: 'ASIAQNZGKIQY56JQ7WML' }))).Account,
      ).toBe('029608264753');
      // role chaining is limited to one hour
      expect(
        await failure(
          asRole.send(
            new AssumeRoleCommand({
              RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/OrganizationAccountAccessRole`,
              RoleSessionName: 'chain',
              DurationSeconds: 7200,
            }),
          ),
        ),
      ).toMatchObject({ name: 'ValidationError', status: 400 });
    });
  });

  it('refuses untrusted callers, missing roles and a wrong ExternalId with AccessDenied (403)', async () => {
    await withSim(scenario, async (sim) => {
      const member = new STSClient(clientConfig(sim, 'AKIDMEMBER'));
      const arn = `arn:aws:iam::${ACCOUNT_B}:role/OrganizationAccountAccessRole`;
      expect(
        await failure(member.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'x1' }))),
      ).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      const mgmt = new STSClient(clientConfig(sim, 'AKIDMGMT'));
      expect(
        await failure(
          mgmt.send(
            new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/Nope`, RoleSessionName: 'x1' }),
          ),
        ),
      ).toMatchObject({ name: 'AccessDenied', status: 403 });
      const vendor = `arn:aws:iam::${ACCOUNT_B}:role/Vendor`;
      expect(
        await failure(mgmt.send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'x1' }))),
      ).toMatchObject({
        name: 'AccessDenied',
      });
      expect(
        await failure(
          mgmt.send(new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'x1', ExternalId: 'wrong' })),
        ),
      ).toMatchObject({ name: 'AccessDenied' });
      await mgmt.send(
        new AssumeRoleCommand({ RoleArn: vendor, RoleSessionName: 'x1', ExternalId: 'ext-123' }),
      );
    });
  });

  it('expired sessions answer ExpiredToken', async () => {
    await withSim(scenario, async (sim) => {
      const sts = new STSClient(clientConfig(sim, 'AKIDMGMT'));
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${ACCOUNT_B}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'short',
          DurationSeconds: 900,
        }),
      );
      sim.advanceClock(901);
      const asRole = new STSClient({
        ...clientConfig(sim, 'x', { maxAttempts: 1 }),
        credentials: {
          accessKeyId: out.Credentials!.AccessKeyId!,
          secretAccessKey: out.Credentials!.SecretAccessKey!,
          sessionToken: out.Credentials!.SessionToken!,
        },
      });
      expect(await failure(asRole.send(new GetCallerIdentityCommand({})))).toMatchObject({
        name: 'ExpiredToken',
        status: 400,
      });
    });
  });
});

describe('Organizations', () => {
  it('lists every account page by page with State and the retired Status', async () => {
    await withSim(scenario, async (sim) => {
      const org = new OrganizationsClient(clientConfig(sim, 'AKIDMGMT'));
      const seen: { Id?: string; State?: string; Status?: string; Name?: string }[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const out = await org.send(new ListAccountsCommand({ MaxResults: 1, NextToken: token }));
        pages++;
        seen.push(...out.Accounts!);
        token = out.NextToken;
      } while (token);
      expect(pages).toBe(3);
      expect(seen.map((a) => [a.Id, a.Name, a.State, a.Status])).toEqual([
        [ACCOUNT_A, 'management', 'ACTIVE', 'ACTIVE'],
        [ACCOUNT_B, 'prod', 'ACTIVE', 'ACTIVE'],
        [ACCOUNT_C, 'old', 'CLOSED', 'SUSPENDED'],
      ]);
      const all = await org.send(new ListAccountsCommand({}));
      expect(all.Accounts).toHaveLength(3);
      expect(all.NextToken).toBeUndefined();
      expect(all.Accounts![1]!.JoinedTimestamp).toBeInstanceOf(Date);
      const d = await org.send(new DescribeOrganizationCommand({}));
      expect(d.Organization).toMatchObject({ MasterAccountId: ACCOUNT_A, FeatureSet: 'ALL' });
      expect(d.Organization!.Id).toMatch(/^o-[a-z0-9]{10}$/);
      expect(await failure(org.send(new ListAccountsCommand({ MaxResults: 21 })))).toMatchObject({
        name: 'InvalidInputException',
      });
      expect(await failure(org.send(new ListAccountsCommand({ NextToken: 'garbage' })))).toMatchObject({
        name: 'InvalidInputException',
      });
    });
  });

  it('refuses member accounts and accounts outside an organization', async () => {
    await withSim(scenario, async (sim) => {
      const member = new OrganizationsClient(clientConfig(sim, 'AKIDMEMBER'));
      expect(await failure(member.send(new ListAccountsCommand({})))).toMatchObject({
        name: 'AccessDeniedException',
      });
      expect((await member.send(new DescribeOrganizationCommand({}))).Organization!.MasterAccountId).toBe(
        ACCOUNT_A,
      );
    });
    await withSim({ accounts: [{ id: ACCOUNT_A }] }, async (sim) => {
      const org = new OrganizationsClient(clientConfig(sim));
      expect(await failure(org.send(new ListAccountsCommand({})))).toMatchObject({
        name: 'AWSOrganizationsNotInUseException',
        status: 400,
      });
    });
  });
});
