/**
 * The demo scenario: current with its builder, valid, and telling its story — every kind of phantom
 * user and API key, the organization with one account AssumeRole cannot enter, and the LLMjacking
 * history across regions — checked over the wire with the JS SDK v3.
 */
import { readFileSync } from 'node:fs';
import { CloudTrailClient, type Event, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  IAMClient,
  ListServiceSpecificCredentialsCommand,
  ListUsersCommand,
  UpdateServiceSpecificCredentialCommand,
} from '@aws-sdk/client-iam';
import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario, type SimState, sscStatus } from '../../sim/scenario';
import { buildDemo } from '../../sim/scenarios/build-demo';
import { type SimHandle, startSim } from '../../sim/server';
import { clientConfig, failure } from './harness';

const FILE = new URL('../../sim/scenarios/demo.json', import.meta.url);
const demo = JSON.parse(readFileSync(FILE, 'utf8')) as Scenario;
const PROD = '222222222222';
const BEDROCK_POLICY = 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess';

interface Rec {
  eventName: string;
  eventTime: string;
  eventSource: string;
  awsRegion: string;
  requestParameters?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
}

let sim: SimHandle;
let state: SimState;
const secops = () => demo.principals![0]!.accessKeyId;

beforeAll(async () => {
  sim = await startSim({ scenario: demo });
  state = sim.state;
});
afterAll(async () => {
  await sim?.close();
});

function users(account: string) {
  return state.accounts.find((a) => a.id === account)!.users;
}

describe('demo.json', () => {
  it('is what sim/scenarios/build-demo.ts builds (regenerate it after editing the builder)', () => {
    expect(demo).toEqual(JSON.parse(JSON.stringify(buildDemo())));
  });

  it('is a valid scenario with a management account and four members', () => {
    const s = loadScenario(structuredClone(demo));
    expect(s.organization?.managementAccount).toBe('111111111111');
    expect(s.accounts.map((a) => a.alias)).toEqual([
      'acme-management',
      'acme-prod',
      'acme-dev',
      'acme-data-science',
      'acme-sandbox',
    ]);
    expect(s.accounts.reduce((n, a) => n + a.users.length, 0)).toBeGreaterThanOrEqual(36);
  });

  it('holds no full key text, only secrets that make keys reconstructible', () => {
    const text = readFileSync(FILE, 'utf8');
    expect(text).not.toMatch(/ABSK[A-Za-z0-9+/]{16,}/);
    expect(text).not.toMatch(/bedrock-api-key-[A-Za-z0-9+/]{16,}/);
    expect(text).not.toMatch(/"AEAA[A-Za-z0-9+/]{16,}/);
  });

  it('has phantom users of every kind', () => {
    const all = state.accounts.flatMap((a) => a.users.map((u) => ({ a: a.id, u })));
    const now = sim.ctx.nowMs();
    const phantoms = all.filter(({ u }) => u.managedPolicies.some((p) => /LimitedAccess$/.test(p)));
    const active = (u: (typeof all)[0]['u']) =>
      u.serviceCredentials.some((c) => sscStatus(c, now) === 'Active');
    expect(
      phantoms.filter(({ u }) => u.accessKeys.some((k) => k.status === 'Active')).map(({ u }) => u.name),
    ).toEqual(['BedrockAPIKey-q7xk']);
    expect(phantoms.some(({ u }) => !active(u) && u.serviceCredentials.length === 0)).toBe(true); // orphaned
    expect(phantoms.some(({ u }) => u.loginProfile !== null)).toBe(true);
    expect(phantoms.some(({ u }) => u.groups.length > 0)).toBe(true);
    expect(phantoms.filter(({ u }) => u.name.startsWith('AeaApiKey-')).length).toBe(2);
    expect(phantoms.some(({ u }) => !/^(BedrockAPIKey|AeaApiKey)-/.test(u.name))).toBe(true); // by policy only
    const lookalikes = all.filter(
      ({ u }) => u.name.startsWith('BedrockAPIKey') && !u.managedPolicies.includes(BEDROCK_POLICY),
    );
    expect(lookalikes.map(({ u }) => u.name).sort()).toEqual(['BedrockAPIKey-test', 'BedrockAPIKeyRotator']);
    // API keys on ordinary users, never-expiring keys, an expired key, two keys on one user.
    const ordinaryWithKey = all.filter(
      ({ u }) =>
        !u.managedPolicies.some((p) => /LimitedAccess$/.test(p)) &&
        u.serviceCredentials.some((c) => c.service === 'bedrock.amazonaws.com'),
    );
    expect(ordinaryWithKey.length).toBeGreaterThanOrEqual(3);
    const creds = all.flatMap(({ u }) => u.serviceCredentials);
    expect(creds.some((c) => c.expiresAt === null && c.service === 'bedrock.amazonaws.com')).toBe(true);
    expect(creds.some((c) => sscStatus(c, now) === 'Expired')).toBe(true);
    expect(creds.some((c) => c.alias.includes('+1-at-'))).toBe(true);
  });

  it('gives the leaked phantom a sibling key, so a revoke can spare it', () => {
    const q7xk = users(PROD).find((u) => u.name === 'BedrockAPIKey-q7xk')!;
    expect(q7xk.serviceCredentials.map((c) => [c.alias, sscStatus(c, sim.ctx.nowMs())])).toEqual([
      [`BedrockAPIKey-q7xk-at-${PROD}`, 'Active'],
      [`BedrockAPIKey-q7xk+1-at-${PROD}`, 'Active'],
    ]);
  });

  it('uses obviously fake secrets', () => {
    const secrets = [
      ...demo.principals!.map((p) => p.secretAccessKey!),
      ...state.accounts.flatMap((a) =>
        a.users.flatMap((u) => [
          ...u.accessKeys.map((k) => k.secret),
          ...u.serviceCredentials.map((c) => c.secret),
        ]),
      ),
    ];
    expect(secrets.length).toBeGreaterThan(30);
    for (const s of secrets) expect(s).toMatch(/EXAMPLE|^sim-/);
  });

  it('has OrganizationAccountAccessRole in every member but the sandbox', () => {
    for (const a of state.accounts.slice(1)) {
      const has = a.roles.some(
        (r) => r.name === 'OrganizationAccountAccessRole' && r.trustedAccounts.includes('111111111111'),
      );
      expect(has, a.alias ?? a.id).toBe(a.alias !== 'acme-sandbox');
    }
  });

  it('tells the LLMjacking story in prod', () => {
    const events = state.accounts.find((a) => a.id === PROD)!.events as unknown as Rec[];
    const names = events.map((e) => e.eventName);
    const phantomCreation = events
      .filter((e) => e.requestParameters?.userName === 'BedrockAPIKey-q7xk')
      .map((e) => e.eventName);
    expect(phantomCreation.slice(0, 5)).toEqual([
      'CreateUser',
      'AttachUserPolicy',
      'CreateServiceSpecificCredential',
      'CreateServiceSpecificCredential', // the ML team's `+1` key, two days later
      'CreateAccessKey',
    ]);
    for (const n of ['ListFoundationModels', 'GetFoundationModelAvailability', 'PutUseCaseForModelAccess'])
      expect(names).toContain(n);
    const bursts = new Set(
      events
        .filter((e) => e.eventName === 'InvokeModel' && e.additionalEventData?.callWithBearerToken === true)
        .map((e) => e.awsRegion),
    );
    expect([...bursts].sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    expect(names).toContain('DeleteModelInvocationLoggingConfiguration');
    expect(names).toContain('CreateProvisionedModelThroughput');
    const mantle = events.filter((e) => e.eventSource === 'bedrock-mantle.amazonaws.com');
    expect(mantle.length).toBeGreaterThan(0);
    expect(
      mantle.every(
        (e) =>
          e.requestParameters?.callWithBearerToken === true &&
          e.requestParameters?.bearerTokenType === 'LONG_TERM',
      ),
    ).toBe(true);
    // Time order: creation → escalation → recon → bursts → evasion → cost bomb.
    const first = (n: string) => events.find((e) => e.eventName === n)!.eventTime;
    const order = [
      'CreateServiceSpecificCredential',
      'CreateAccessKey',
      'PutUseCaseForModelAccess',
      'DeleteModelInvocationLoggingConfiguration',
      'CreateProvisionedModelThroughput',
    ];
    expect(order.map(first)).toEqual([...order.map(first)].sort());
  });
});

describe('the demo over the wire', () => {
  it('lists the organization, enters members with AssumeRole, and cannot enter the sandbox', async () => {
    const org = new OrganizationsClient(clientConfig(sim, secops()));
    const accounts = (await org.send(new ListAccountsCommand({}))).Accounts ?? [];
    expect(accounts).toHaveLength(6);
    expect(accounts.filter((a) => a.Status === 'SUSPENDED').map((a) => a.Name)).toEqual([
      'acme-legacy-research',
    ]);
    const sts = new STSClient(clientConfig(sim, secops()));
    const creds = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`,
        RoleSessionName: 'bks-scan',
      }),
    );
    const denied = await failure(
      sts.send(
        new AssumeRoleCommand({
          RoleArn: 'arn:aws:iam::555555555555:role/OrganizationAccountAccessRole',
          RoleSessionName: 'bks-scan',
        }),
      ),
    );
    expect(denied.name).toBe('AccessDenied');
    const c = creds.Credentials!;
    const iam = new IAMClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken,
      },
    });
    const ssc = await iam.send(new ListServiceSpecificCredentialsCommand({ AllUsers: true }));
    const aliases = (ssc.ServiceSpecificCredentials ?? []).map((x) => x.ServiceCredentialAlias);
    expect(aliases).toContain(`svc-chatbot+1-at-${PROD}`);
    expect(aliases).toContain(`BedrockAPIKey-q7xk-at-${PROD}`);
    const listed = (await iam.send(new ListUsersCommand({}))).Users ?? [];
    expect(listed.map((u) => u.UserName)).toEqual(users(PROD).map((u) => u.name));
  });

  it('serves the story to LookupEvents in each region, and the phantom key still works', async () => {
    const sts = new STSClient(clientConfig(sim, secops()));
    const c = (
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'tl',
        }),
      )
    ).Credentials!;
    const perRegion: Record<string, Event[]> = {};
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) {
      const ct = new CloudTrailClient({
        endpoint: sim.url,
        region,
        credentials: {
          accessKeyId: c.AccessKeyId!,
          secretAccessKey: c.SecretAccessKey!,
          sessionToken: c.SessionToken,
        },
      });
      perRegion[region] = (
        await ct.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'BedrockAPIKey-q7xk' }],
          }),
        )
      ).Events!;
      expect(perRegion[region]!.length).toBeGreaterThan(10);
    }
    const cred = users(PROD).find((u) => u.name === 'BedrockAPIKey-q7xk')!.serviceCredentials[0]!;
    const key = 'ABSK' + Buffer.from(`${cred.alias}:${cred.secret}`).toString('base64');
    const res = await fetch(`${sim.url}/model/anthropic.claude-opus-4-1-20250805-v1%3A0/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
  });
  it('shows a revoke in the timeline: the leaked key stops, its +1 sibling keeps working', async () => {
    const sts = new STSClient(clientConfig(sim, secops()));
    const c = (
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${PROD}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'ir',
        }),
      )
    ).Credentials!;
    const creds = {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken,
    };
    const iam = new IAMClient({ endpoint: sim.url, region: 'us-east-1', credentials: creds });
    const [leaked, sibling] = users(PROD).find((u) => u.name === 'BedrockAPIKey-q7xk')!.serviceCredentials;
    const keyOf = (x: typeof leaked) => 'ABSK' + Buffer.from(`${x!.alias}:${x!.secret}`).toString('base64');
    const call = async (key: string) =>
      (
        await fetch(`${sim.url}/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: '{}',
        })
      ).status;
    expect(await call(keyOf(leaked))).toBe(200);
    await iam.send(
      new UpdateServiceSpecificCredentialCommand({
        UserName: 'BedrockAPIKey-q7xk',
        ServiceSpecificCredentialId: leaked!.id,
        Status: 'Inactive',
      }),
    );
    expect(await call(keyOf(leaked))).toBe(403);
    expect(await call(keyOf(sibling))).toBe(200);
    const ct = new CloudTrailClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: creds,
      // LookupEvents is limited to 2 requests per second per account (as on AWS): retry as a caller must.
      maxAttempts: 10,
    });
    const events = (
      await ct.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'BedrockAPIKey-q7xk' }],
        }),
      )
    ).Events!;
    const revoke = events.find((e) => e.EventName === 'UpdateServiceSpecificCredential')!;
    const record = JSON.parse(revoke.CloudTrailEvent!);
    expect(record.userIdentity).toMatchObject({ type: 'AssumedRole', accountId: PROD });
    expect(record.userIdentity.sessionContext.sessionIssuer.userName).toBe('OrganizationAccountAccessRole');
    expect(record.requestParameters).toMatchObject({ userName: 'BedrockAPIKey-q7xk', status: 'Inactive' });
    expect(revoke.Username).toBe('ir');
    // The refused call is in the key user's timeline, with its error.
    const byUser = (
      await ct.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'BedrockAPIKey-q7xk' }],
        }),
      )
    ).Events!;
    const records = byUser.slice(0, 3).map((e) => JSON.parse(e.CloudTrailEvent!));
    // Newest first: the sibling's call, the refused call, the leaked key's last good call.
    expect(records.map((r) => [r.eventName, r.errorCode])).toEqual([
      ['InvokeModel', undefined],
      ['InvokeModel', 'AccessDeniedException'],
      ['InvokeModel', undefined],
    ]);
    expect(JSON.stringify([...events, ...byUser])).not.toContain(leaked!.secret);
  });
});
