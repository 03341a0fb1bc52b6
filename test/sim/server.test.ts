/**
 * The `bks-sim` server itself: routing by SigV4 scope, identity, wire shapes of errors, rate
 * limits retried by the SDK (asserted through the call statistics), fault injection (matching,
 * seeded probabilities, counts) and the control API.
 */
import {
  AttachUserPolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../sim/scenario';
import type { SimHandle } from '../../sim/server';
import { trailRecord } from '../helpers/cloudtrail';
import { ACCOUNT_A, ACCOUNT_B, clientConfig, control, failure, withSim } from './harness';

const SIGV4 = (key: string, service: string, region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=${key}/20261120/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`;

async function raw(sim: SimHandle, init: { auth?: string; body?: string; headers?: Record<string, string> }) {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    ...init.headers,
  };
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(sim.url, { method: 'POST', headers, body: init.body ?? '' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const scenario: Scenario = {
  now: '2026-11-20T12:00:00Z',
  organization: { managementAccount: ACCOUNT_A },
  accounts: [
    { id: ACCOUNT_A, users: [{ name: 'alice' }, { name: 'BedrockAPIKey-ab12' }] },
    { id: ACCOUNT_B, users: [{ name: 'bob' }] },
  ],
};

describe('routing and wire shapes', () => {
  it('answers query errors as ErrorResponse with the namespace, code, type and RequestId', async () => {
    await withSim(scenario, async (sim) => {
      const r = await raw(sim, {
        auth: SIGV4('AKIDX', 'iam'),
        body: 'Action=GetUser&Version=2010-05-08&UserName=nobody',
      });
      expect(r.status).toBe(404);
      expect(r.text).toMatch(
        /^<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>The user with name nobody cannot be found\.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
      );
      const ok = await raw(sim, {
        auth: SIGV4('AKIDX', 'sts'),
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
      });
      expect(ok.text).toContain(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
      );
      expect(ok.text).toMatch(/<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata>/);
    });
  });

  it('answers JSON errors with __type, unknown operations and missing authentication', async () => {
    await withSim({ accounts: [{ id: ACCOUNT_A }] }, async (sim) => {
      const r = await raw(sim, {
        auth: SIGV4('AKIDX', 'organizations'),
        body: '{}',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSOrganizationsV20161128.DescribeOrganization',
        },
      });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text)).toMatchObject({ __type: 'AWSOrganizationsNotInUseException' });
      const unknown = await raw(sim, {
        auth: SIGV4('AKIDX', 'iam'),
        body: 'Action=Frobnicate&Version=2010-05-08',
      });
      expect(unknown.status).toBe(400);
      expect(unknown.text).toContain('<Code>InvalidAction</Code>');
      expect(unknown.text).toContain('Could not find operation Frobnicate for version 2010-05-08');
      // SigV4a: no region in the scope, the region set in a header
      const v4a = await raw(sim, {
        auth: 'AWS4-ECDSA-P256-SHA256 Credential=AKIDX/20261120/sts/aws4_request, SignedHeaders=host, Signature=00',
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
        headers: { 'x-amz-region-set': '*' },
      });
      expect(v4a.status).toBe(200);
      expect(v4a.text).toContain(`<Account>${ACCOUNT_A}</Account>`);
      const noAuth = await raw(sim, { body: 'Action=ListUsers' });
      expect(noAuth.status).toBe(403);
      expect(noAuth.text).toContain('MissingAuthenticationToken');
      const otherService = await raw(sim, { auth: SIGV4('AKIDX', 'ec2'), body: 'Action=DescribeVpcs' });
      expect(otherService.status).toBe(400);
    });
  });
});

describe('identity', () => {
  it('maps principals, refuses unknown keys with InvalidClientTokenId (403), defaults to sim-admin', async () => {
    const withPrincipals: Scenario = {
      ...scenario,
      principals: [
        { accessKeyId: 'AKIDSECOPS', account: ACCOUNT_B, arn: `arn:aws:iam::${ACCOUNT_B}:user/secops` },
      ],
    };
    await withSim(withPrincipals, async (sim) => {
      const sts = new STSClient(clientConfig(sim, 'AKIDSECOPS'));
      expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
        Account: ACCOUNT_B,
        Arn: `arn:aws:iam::${ACCOUNT_B}:user/secops`,
      });
      // IAM calls act on the caller's account
      const iam = new IAMClient(clientConfig(sim, 'AKIDSECOPS'));
      expect((await iam.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).toEqual(['bob']);
      const stranger = new STSClient(clientConfig(sim, 'AKIDSTRANGER'));
      expect(await failure(stranger.send(new GetCallerIdentityCommand({})))).toMatchObject({
        name: 'InvalidClientTokenId',
        status: 403,
      });
    });
    await withSim(scenario, async (sim) => {
      const sts = new STSClient(clientConfig(sim, 'AKIDANYTHING'));
      expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
        Account: ACCOUNT_A,
        Arn: `arn:aws:iam::${ACCOUNT_A}:user/sim-admin`,
      });
    });
  });
});

describe('rate limits', () => {
  it('throttles above the limit with Throttling (IAM) and the SDK retries until served', async () => {
    await withSim({ ...scenario, rateLimits: { 'iam:*': 4 } }, async (sim) => {
      const iam = new IAMClient(clientConfig(sim, 'AKIDX', { maxAttempts: 20 }));
      const results = await Promise.all(Array.from({ length: 8 }, () => iam.send(new ListUsersCommand({}))));
      expect(results.every((r) => r.Users!.length === 2)).toBe(true);
      const stats = sim.stats();
      expect(stats.throttled['iam:ListUsers']).toBeGreaterThan(0);
      expect(stats.calls['iam:ListUsers']).toBe(8 + stats.throttled['iam:ListUsers']!);
    });
  });

  it('keeps one budget per account and region', async () => {
    const s: Scenario = {
      ...scenario,
      rateLimits: { 'iam:ListUsers': 2 },
      principals: [
        { accessKeyId: 'AKIDA', account: ACCOUNT_A, arn: `arn:aws:iam::${ACCOUNT_A}:user/a` },
        { accessKeyId: 'AKIDB', account: ACCOUNT_B, arn: `arn:aws:iam::${ACCOUNT_B}:user/b` },
      ],
    };
    await withSim(s, async (sim) => {
      const a = new IAMClient(clientConfig(sim, 'AKIDA', { maxAttempts: 1 }));
      await a.send(new ListUsersCommand({}));
      await a.send(new ListUsersCommand({}));
      const r = await raw(sim, { auth: SIGV4('AKIDA', 'iam'), body: 'Action=ListUsers&Version=2010-05-08' });
      expect(r.status).toBe(400);
      expect(r.text).toContain('<Code>Throttling</Code>');
      // another account has a budget of its own
      await new IAMClient(clientConfig(sim, 'AKIDB', { maxAttempts: 1 })).send(new ListUsersCommand({}));
      // IAM is global: signing for another region does not give another budget
      expect(
        await failure(
          new IAMClient(clientConfig(sim, 'AKIDA', { maxAttempts: 1, region: 'eu-west-1' })).send(
            new ListUsersCommand({}),
          ),
        ),
      ).toMatchObject({ name: 'Throttling', status: 400 });
      expect(sim.stats().throttled).toEqual({ 'iam:ListUsers': 2 });
    });
  });

  it('throttles JSON services with ThrottlingException', async () => {
    await withSim({ ...scenario, rateLimits: { 'organizations:ListAccounts': 1 } }, async (sim) => {
      const org = new OrganizationsClient(clientConfig(sim, 'AKIDX', { maxAttempts: 1 }));
      await org.send(new ListAccountsCommand({}));
      expect(await failure(org.send(new ListAccountsCommand({})))).toMatchObject({
        name: 'ThrottlingException',
        status: 400,
      });
      expect(sim.stats().throttled).toEqual({ 'organizations:ListAccounts': 1 });
    });
  });

  it('defaults CloudTrail LookupEvents to 2 per second', async () => {
    await withSim(scenario, async (sim) => {
      expect(sim.state.rateLimits['cloudtrail:LookupEvents']).toBe(2);
    });
  });
});

describe('faults', () => {
  it('injects an error for matching calls only (action, account, where), counts them', async () => {
    const s: Scenario = {
      ...scenario,
      faults: [
        {
          action: 'iam:ListAccessKeys',
          error: 'AccessDenied',
          account: ACCOUNT_A,
          where: { UserName: 'BedrockAPIKey-ab12' },
        },
      ],
    };
    await withSim(s, async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      expect(
        await failure(iam.send(new ListAccessKeysCommand({ UserName: 'BedrockAPIKey-ab12' }))),
      ).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
      expect(sim.stats().faulted).toEqual({ 'iam:ListAccessKeys': 1 });
      // the control API replaces the faults
      expect(await control(sim, 'PUT', '/_sim/faults', { faults: [] })).toMatchObject({ status: 200 });
      await iam.send(new ListAccessKeysCommand({ UserName: 'BedrockAPIKey-ab12' }));
      expect(await control(sim, 'PUT', '/_sim/faults', { faults: [{ action: 'iam:Nope!' }] })).toMatchObject({
        status: 400,
      });
    });
  });

  it('is reproducible with a seed and honours count', async () => {
    const run = async () =>
      withSim(
        {
          ...scenario,
          seed: 42,
          faults: [{ action: 'iam:ListUsers', error: 'ServiceFailure', probability: 0.5 }],
        },
        async (sim) => {
          const iam = new IAMClient(clientConfig(sim, 'AKIDX', { maxAttempts: 1 }));
          const outcomes: string[] = [];
          for (let i = 0; i < 20; i++) {
            outcomes.push(
              await iam.send(new ListUsersCommand({})).then(
                () => 'ok',
                (e: Error) => e.name,
              ),
            );
          }
          return outcomes;
        },
      );
    const a = await run();
    expect(a).toEqual(await run());
    expect(a).toContain('ok');
    expect(a).toContain('ServiceFailureException');
    await withSim(
      { ...scenario, faults: [{ action: 'sts:*', error: 'Throttling', count: 2 }] },
      async (sim) => {
        // the SDK retries Throttling: two injected, the third attempt is served
        const sts = new STSClient(clientConfig(sim, 'AKIDX', { maxAttempts: 5 }));
        await sts.send(new GetCallerIdentityCommand({}));
        expect(sim.stats()).toMatchObject({
          faulted: { 'sts:GetCallerIdentity': 2 },
          calls: { 'sts:GetCallerIdentity': 3 },
        });
      },
    );
  });
});

describe('control API', () => {
  it('health, stats and reset, state after changes, events, clock', async () => {
    await withSim(scenario, async (sim) => {
      expect(await control(sim, 'GET', '/_sim/health')).toEqual({ status: 200, body: { ok: true } });
      const iam = new IAMClient(clientConfig(sim));
      await iam.send(new DeleteUserCommand({ UserName: 'alice' }));
      const stats = (await control(sim, 'GET', '/_sim/stats')) as { body: { total: number; calls: object } };
      expect(stats.body).toMatchObject({
        total: 1,
        calls: { 'iam:DeleteUser': 1 },
        throttled: {},
        faulted: {},
      });
      await control(sim, 'POST', '/_sim/stats/reset');
      expect(sim.stats().total).toBe(0);
      const state = (await control(sim, 'GET', '/_sim/state')) as { body: Scenario };
      expect(state.body.accounts[0]!.users!.map((u) => u.name)).toEqual(['BedrockAPIKey-ab12']);
      const ev = trailRecord({
        account: ACCOUNT_B,
        userName: 'ml-app',
        region: 'us-west-2',
        time: new Date('2026-11-19T00:00:00Z'),
        id: 'e1',
      });
      expect(await control(sim, 'POST', '/_sim/events', { account: ACCOUNT_B, events: [ev] })).toMatchObject({
        status: 200,
      });
      expect(sim.state.accounts[1]!.events.some((e) => e.eventID === 'e1')).toBe(true);
      expect(await control(sim, 'POST', '/_sim/events', { account: 'x', events: [] })).toMatchObject({
        status: 400,
      });
      const before = Date.parse(
        ((await control(sim, 'GET', '/_sim/clock')) as { body: { now: string } }).body.now,
      );
      await control(sim, 'POST', '/_sim/clock', { advanceSeconds: 86400 });
      const after = Date.parse(
        ((await control(sim, 'GET', '/_sim/clock')) as { body: { now: string } }).body.now,
      );
      expect(after - before).toBeGreaterThanOrEqual(86400_000);
      expect(await control(sim, 'GET', '/_sim/nope')).toMatchObject({ status: 404 });
    });
  });
});

describe('identity on JSON services', () => {
  it('answers UnrecognizedClientException (400) for an unknown key, as AWS JSON services do', async () => {
    const s: Scenario = {
      ...scenario,
      principals: [{ accessKeyId: 'AKIDKNOWN', account: ACCOUNT_A, arn: `arn:aws:iam::${ACCOUNT_A}:user/x` }],
    };
    await withSim(s, async (sim) => {
      const org = new OrganizationsClient(clientConfig(sim, 'AKIDUNKNOWN', { maxAttempts: 1 }));
      expect(await failure(org.send(new ListAccountsCommand({})))).toMatchObject({
        name: 'UnrecognizedClientException',
        status: 400,
      });
    });
  });
});

const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

describe('explicit deny', () => {
  it("stops a user's or a role session's key on every call a Deny covers (GetCallerIdentity excepted)", async () => {
    const denyAll = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] };
    const s: Scenario = {
      ...scenario,
      principals: [
        { accessKeyId: 'AKIDROLE', account: ACCOUNT_A, arn: `arn:aws:sts::${ACCOUNT_A}:assumed-role/Ops/s1` },
      ],
      accounts: [
        {
          id: ACCOUNT_A,
          roles: [
            {
              name: 'Ops',
              inlinePolicies: {
                noIam: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }],
                },
              },
            },
          ],
          users: [
            {
              name: 'attacker-path',
              managedPolicies: [ADMIN_POLICY],
              accessKeys: [{ id: 'AKIAEXAMPLEDENY00001' }],
            },
            { name: 'fine', managedPolicies: [ADMIN_POLICY], accessKeys: [{ id: 'AKIAEXAMPLEFINE00001' }] },
          ],
        },
      ],
    };
    await withSim(s, async (sim) => {
      const admin = new IAMClient(clientConfig(sim, 'AKIAEXAMPLEFINE00001'));
      const attacker = new IAMClient(clientConfig(sim, 'AKIAEXAMPLEDENY00001', { maxAttempts: 1 }));
      await attacker.send(new ListUsersCommand({}));
      // containment: a deny-all on the user
      await admin.send(
        new PutUserPolicyCommand({
          UserName: 'attacker-path',
          PolicyName: 'bks-deny',
          PolicyDocument: JSON.stringify(denyAll),
        }),
      );
      expect(await failure(attacker.send(new ListUsersCommand({})))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      const org = new OrganizationsClient(clientConfig(sim, 'AKIAEXAMPLEDENY00001', { maxAttempts: 1 }));
      expect(await failure(org.send(new ListAccountsCommand({})))).toMatchObject({
        name: 'AccessDeniedException',
      });
      // STS GetCallerIdentity answers whatever the policies say, as AWS does
      const sts = new STSClient(clientConfig(sim, 'AKIAEXAMPLEDENY00001'));
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toContain('user/attacker-path');
      // AWS managed AWSDenyAll works the same way
      await admin.send(new DeleteUserPolicyCommand({ UserName: 'attacker-path', PolicyName: 'bks-deny' }));
      await attacker.send(new ListUsersCommand({}));
      await admin.send(
        new AttachUserPolicyCommand({
          UserName: 'attacker-path',
          PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll',
        }),
      );
      expect(await failure(attacker.send(new ListUsersCommand({})))).toMatchObject({ name: 'AccessDenied' });
      // a role session with a service-wide deny
      const role = new IAMClient(clientConfig(sim, 'AKIDROLE', { maxAttempts: 1 }));
      expect(await failure(role.send(new ListUsersCommand({})))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
      });
      expect(sim.stats().errors['iam:ListUsers']).toBe(3);
    });
  });
});
