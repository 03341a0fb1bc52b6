/**
 * The simulated Bedrock runtime: bearer keys accepted and refused as AWS would (status, expiry,
 * deleted user, Deny policies incl. aws:TokenIssueTime), SigV4 calls, canned responses in the
 * model's shape, and the CloudTrail record of each call (callWithBearerToken, identity, region).
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  DeleteUserPolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateServiceSpecificCredentialCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL, authorize, type PolicyDocument } from '../../sim/authz';
import { loadScenario } from '../../sim/scenario';
import type { SimHandle } from '../../sim/server';
import { createContext, startSim } from '../../sim/server';
import { generatedShortTermKey } from '../helpers/bedrock-token';
import {
  ACCT,
  ADMIN_KEY,
  claudeKey,
  longTermKey,
  SECRET_A,
  SECRET_B,
  SECRET_C,
  scenario,
  UNKNOWN_KEY,
  USER_KEY,
  USER_SECRET,
} from './fixtures';
import { clientConfig, failure } from './harness';

let sim: SimHandle;
let iam: IAMClient;

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const ML_KEY = () => longTermKey(`ml-user-at-${ACCT}`, SECRET_A);

async function invoke(key: string, opts: { model?: string; region?: string; path?: string } = {}) {
  const model = encodeURIComponent(opts.model ?? MODEL);
  const res = await fetch(`${sim.url}/model/${model}/${opts.path ?? 'invoke'}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      'user-agent': 'python-requests/2.32.5',
      ...(opts.region ? { 'x-bks-sim-region': opts.region } : {}),
    },
    body: JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  return {
    status: res.status,
    type: res.headers.get('x-amzn-errortype'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

async function lookup(region: string, user: string) {
  const ct = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region }));
  const out = await ct.send(
    new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: user }] }),
  );
  return (out.Events ?? []).filter(
    (e) => e.EventSource === 'bedrock.amazonaws.com' && e.EventId?.startsWith('evt-') === false,
  );
}

beforeAll(async () => {
  sim = await startSim({ scenario: scenario() });
  iam = new IAMClient(clientConfig(sim, ADMIN_KEY));
});
afterAll(async () => {
  await sim?.close();
});

describe('long-term keys', () => {
  it('accepts an active key and answers an Anthropic messages body', async () => {
    const r = await invoke(ML_KEY(), { region: 'eu-west-1' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text' }],
      stop_reason: 'end_turn',
    });
  });

  it('logs the call with callWithBearerToken, the key user and the request region', async () => {
    const events = await lookup('eu-west-1', 'ml-user');
    expect(events).toHaveLength(1);
    const record = JSON.parse(events[0]!.CloudTrailEvent!);
    expect(record).toMatchObject({
      eventSource: 'bedrock.amazonaws.com',
      eventName: 'InvokeModel',
      awsRegion: 'eu-west-1',
      userIdentity: {
        type: 'IAMUser',
        userName: 'ml-user',
        accountId: ACCT,
        arn: `arn:aws:iam::${ACCT}:user/ml-user`,
      },
      requestParameters: { modelId: MODEL },
      additionalEventData: { callWithBearerToken: true },
      userAgent: 'python-requests/2.32.5',
      recipientAccountId: ACCT,
    });
    expect(record.userIdentity.accessKeyId).toBeUndefined();
    expect(JSON.stringify(record)).not.toContain(SECRET_A);
  });

  it('accepts the +1 key until it expires on the sim clock', async () => {
    const plusOne = longTermKey(`ml-user+1-at-${ACCT}`, SECRET_B);
    expect((await invoke(plusOne)).status).toBe(200);
    sim.advanceClock(31 * 60);
    const r = await invoke(plusOne);
    expect(r.status).toBe(403);
    expect(r.type).toBe('AccessDeniedException');
    expect(r.body.message).toMatch(/expired/);
  });

  it('refuses a wrong secret, an unknown user, an inactive key and a key of another service', async () => {
    expect((await invoke(longTermKey(`ml-user-at-${ACCT}`, SECRET_C))).status).toBe(403);
    expect((await invoke(longTermKey(`ghost-at-${ACCT}`, SECRET_A))).status).toBe(403);
    expect((await invoke(longTermKey(`BedrockAPIKey-ab12-at-${ACCT}`, SECRET_C))).body.message).toMatch(
      /not active/,
    );
    expect((await invoke(claudeKey(`AeaApiKey-zz99-at-${ACCT}`, SECRET_A))).status).toBe(403);
    expect((await invoke('not-a-key')).type).toBe('AccessDeniedException');
  });

  it('refuses a key whose user has a Deny (through a group, or added by a revoke), and accepts it again after', async () => {
    const grouped = await invoke(longTermKey(`grouped-at-${ACCT}`, SECRET_A));
    expect(grouped.status).toBe(403);
    expect(grouped.body.message).toMatch(/explicit deny/);
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'ml-user',
        PolicyName: 'EmergencyRevocation-1',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: ['bedrock:*', 'bedrock-mantle:*'], Resource: '*' }],
        }),
      }),
    );
    expect((await invoke(ML_KEY())).status).toBe(403);
    // The refused call is in the trail too, with its error code.
    const denied = (await lookup('us-east-1', 'ml-user')).map((e) => JSON.parse(e.CloudTrailEvent!));
    expect(denied.some((r) => r.errorCode === 'AccessDeniedException')).toBe(true);
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'ml-user', PolicyName: 'EmergencyRevocation-1' }));
    expect((await invoke(ML_KEY())).status).toBe(200);
  });

  it('stops accepting a key set Inactive through IAM', async () => {
    const state = sim.state.accounts[0]!.users.find((u) => u.name === 'ml-user')!;
    const id = state.serviceCredentials[0]!.id;
    await iam.send(
      new UpdateServiceSpecificCredentialCommand({
        UserName: 'ml-user',
        ServiceSpecificCredentialId: id,
        Status: 'Inactive',
      }),
    );
    expect((await invoke(ML_KEY())).status).toBe(403);
    await iam.send(
      new UpdateServiceSpecificCredentialCommand({
        UserName: 'ml-user',
        ServiceSpecificCredentialId: id,
        Status: 'Active',
      }),
    );
    expect((await invoke(ML_KEY())).status).toBe(200);
  });
});

describe('short-term keys', () => {
  // Keys made by AWS's own generator (a real SigV4 presign), issued at a moment of the sim clock.
  const at = (msAgo = 0) => new Date(sim.ctx.nowMs() - msAgo);
  const userCreds = { accessKeyId: USER_KEY, secretAccessKey: USER_SECRET };

  it('accepts a key signed with an active user access key, logged as the signer in the key region', async () => {
    const key = await generatedShortTermKey(userCreds, 'us-west-2', at(60_000));
    expect((await invoke(key, { path: 'converse' })).status).toBe(200);
    const ct = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region: 'us-west-2' }));
    const out = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Converse' }],
        MaxResults: 1,
      }),
    );
    const record = JSON.parse(out.Events![0]!.CloudTrailEvent!);
    expect(record.userIdentity).toMatchObject({
      type: 'IAMUser',
      userName: 'ml-user',
      accessKeyId: USER_KEY,
    });
    expect(record.additionalEventData).toEqual({ callWithBearerToken: true });
  });

  it('refuses an expired key and an unknown signing key', async () => {
    expect(
      (await invoke(await generatedShortTermKey(userCreds, 'us-west-2', at(7200_000), 3600))).status,
    ).toBe(403);
    const unknown = { accessKeyId: UNKNOWN_KEY, secretAccessKey: USER_SECRET };
    expect((await invoke(await generatedShortTermKey(unknown, 'us-west-2', at()))).status).toBe(403);
  });

  it('is cut off by a Deny with aws:TokenIssueTime on the signing role (an assumed-role ASIA key)', async () => {
    const sts = new STSClient(clientConfig(sim, ADMIN_KEY));
    const assumed = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/AppRole`, RoleSessionName: 'notebook' }),
    );
    const session = (c: typeof assumed.Credentials) => ({
      accessKeyId: c!.AccessKeyId!,
      secretAccessKey: c!.SecretAccessKey!,
      sessionToken: c!.SessionToken!,
    });
    const key = await generatedShortTermKey(session(assumed.Credentials), 'eu-west-1', at());
    expect((await invoke(key)).status).toBe(200);
    sim.advanceClock(5);
    const cutoff = sim.ctx.now().toISOString();
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AppRole',
        PolicyName: 'RevokeOlderSessions',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Action: '*',
              Resource: '*',
              Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
            },
          ],
        }),
      }),
    );
    const r = await invoke(key);
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('assumed-role/AppRole/notebook');
    // A session issued after the cutoff is not affected.
    sim.advanceClock(5);
    const fresh = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/AppRole`, RoleSessionName: 'later' }),
    );
    const freshKey = await generatedShortTermKey(session(fresh.Credentials), 'eu-west-1', at());
    expect((await invoke(freshKey)).status).toBe(200);
  });
});

describe('through the JS SDK v3', () => {
  const http = () => new NodeHttpHandler();

  it('serves InvokeModel and Converse signed with SigV4 (no bearer flag in the record)', async () => {
    const client = new BedrockRuntimeClient({
      ...clientConfig(sim, ADMIN_KEY, { region: 'ap-northeast-1' }),
      requestHandler: http(),
    });
    const out = await client.send(
      new InvokeModelCommand({
        modelId: 'amazon.nova-lite-v1:0',
        contentType: 'application/json',
        body: JSON.stringify({ messages: [] }),
      }),
    );
    expect(JSON.parse(new TextDecoder().decode(out.body))).toMatchObject({ stopReason: 'end_turn' });
    const conv = await client.send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );
    expect(conv.output?.message?.content?.[0]?.text).toMatch(/bks-sim/);
    expect(conv.usage?.totalTokens).toBeGreaterThan(0);
    const ct = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region: 'ap-northeast-1' }));
    const events = (await ct.send(new LookupEventsCommand({}))).Events ?? [];
    expect(events.map((e) => e.EventName)).toEqual(['Converse', 'InvokeModel']);
    const record = JSON.parse(events[0]!.CloudTrailEvent!);
    expect(record.additionalEventData).toBeUndefined();
    // Model input and output never reach the trail.
    expect(record.responseElements).toBeNull();
    expect(JSON.parse(events[1]!.CloudTrailEvent!).responseElements).toBeNull();
  });

  it('sends a bearer key with the token auth scheme and gets AccessDeniedException for a bad one', async () => {
    const client = (token: string) =>
      new BedrockRuntimeClient({
        endpoint: sim.url,
        region: 'us-west-2',
        token: { token },
        authSchemePreference: ['httpBearerAuth'],
        requestHandler: http(),
        maxAttempts: 1,
      });
    const ok = await client(ML_KEY()).send(
      new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );
    expect(ok.stopReason).toBe('end_turn');
    const bad = await failure(
      client(longTermKey(`ml-user-at-${ACCT}`, SECRET_C)).send(
        new ConverseCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      ),
    );
    expect(bad).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(bad.message).not.toContain(SECRET_C);
  });
});

describe('streaming operations (AWS event streams)', () => {
  it('streams ConverseStream and InvokeModelWithResponseStream to the JS SDK, logged under their names', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: sim.url,
      region: 'sa-east-1',
      token: { token: ML_KEY() },
      authSchemePreference: ['httpBearerAuth'],
      requestHandler: new NodeHttpHandler(),
    });
    const conv = await client.send(
      new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );
    let text = '';
    const kinds: string[] = [];
    for await (const ev of conv.stream!) {
      kinds.push(Object.keys(ev).find((k) => k !== '$unknown')!);
      text += ev.contentBlockDelta?.delta?.text ?? '';
    }
    expect(kinds).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    expect(text).toMatch(/^Hello from bks-sim/);
    const inv = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        contentType: 'application/json',
        body: JSON.stringify({ messages: [] }),
      }),
    );
    const types: string[] = [];
    for await (const ev of inv.body!) {
      types.push(JSON.parse(new TextDecoder().decode(ev.chunk!.bytes)).type);
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    // A long-term key carries no region and the SDK sends none to a custom endpoint: us-east-1.
    const ct = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region: 'us-east-1' }));
    for (const name of ['InvokeModelWithResponseStream', 'ConverseStream']) {
      const out = await ct.send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }] }),
      );
      expect(JSON.parse(out.Events![0]!.CloudTrailEvent!).additionalEventData).toEqual({
        callWithBearerToken: true,
      });
    }
  });

  it('authorizes streaming as bedrock:InvokeModelWithResponseStream', async () => {
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'ml-user',
        PolicyName: 'NoStreaming',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'bedrock:InvokeModelWithResponseStream', Resource: '*' }],
        }),
      }),
    );
    try {
      expect((await invoke(ML_KEY(), { path: 'converse-stream' })).status).toBe(403);
      expect((await invoke(ML_KEY(), { path: 'invoke' })).status).toBe(200);
    } finally {
      await iam.send(new DeleteUserPolicyCommand({ UserName: 'ml-user', PolicyName: 'NoStreaming' }));
    }
  });
});

describe('Deny matching (the independent IAM engine behind sim/authz)', () => {
  const ctx = createContext(loadScenario({ accounts: [{ id: ACCT }] }));
  /** A string when some Deny in `docs` refuses the action on top of an allow-all, else undefined. */
  async function matchingDeny(
    docs: PolicyDocument[],
    actions: string[],
    resource: string,
    context: Record<string, string>,
  ): Promise<string | undefined> {
    const { 'aws:TokenIssueTime': tokenIssueTime, ...rest } = context;
    for (const action of actions) {
      const d = await authorize(ctx, {
        principal: {
          arn: `arn:aws:iam::${ACCT}:user/alice`,
          account: ACCT,
          type: 'User',
          identity: [
            { name: 'all', document: ALLOW_ALL },
            ...docs.map((document, i) => ({ name: `d${i}`, document })),
          ],
          ...(tokenIssueTime ? { tokenIssueTime } : {}),
        },
        action,
        resource,
        region: 'us-east-1',
        time: new Date('2026-11-20T12:00:00Z'),
        context: rest,
      });
      if (!d.allowed) return d.why;
    }
    return undefined;
  }
  it('matches Deny statements with wildcards, NotAction and conditions', async () => {
    const doc = (st: Record<string, unknown>) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Resource: '*', ...st }],
    });
    expect(await matchingDeny([doc({ Action: 'bedrock:*' })], ['bedrock:InvokeModel'], '*', {})).toMatch(
      /explicit deny in an identity-based policy/,
    );
    expect(
      await matchingDeny([doc({ Action: 'BEDROCK:invoke*' })], ['bedrock:InvokeModel'], '*', {}),
    ).toBeDefined();
    expect(await matchingDeny([doc({ Action: 's3:*' })], ['bedrock:InvokeModel'], '*', {})).toBeUndefined();
    expect(await matchingDeny([doc({ NotAction: 'iam:*' })], ['bedrock:InvokeModel'], '*', {})).toBeDefined();
    expect(
      await matchingDeny(
        [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
        ['iam:ListUsers'],
        '*',
        {},
      ),
    ).toBeUndefined();
    const tokenTime = doc({
      Action: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-20T12:00:00Z' } },
    });
    expect(
      await matchingDeny([tokenTime], ['bedrock:InvokeModel'], '*', {
        'aws:TokenIssueTime': '2026-11-20T11:00:00Z',
      }),
    ).toBeDefined();
    expect(
      await matchingDeny([tokenTime], ['bedrock:InvokeModel'], '*', {
        'aws:TokenIssueTime': '2026-11-20T13:00:00Z',
      }),
    ).toBeUndefined();
    // A long-term key has no aws:TokenIssueTime: the condition does not match.
    expect(await matchingDeny([tokenTime], ['bedrock:InvokeModel'], '*', {})).toBeUndefined();
    const typed = doc({
      Action: 'bedrock:CallWithBearerToken',
      Condition: { StringEquals: { 'bedrock:bearerTokenType': 'LONG_TERM' } },
    });
    expect(
      await matchingDeny([typed], ['bedrock:CallWithBearerToken'], '*', {
        'bedrock:BearerTokenType': 'LONG_TERM',
      }),
    ).toBeDefined();
    expect(
      await matchingDeny([typed], ['bedrock:CallWithBearerToken'], '*', {
        'bedrock:BearerTokenType': 'SHORT_TERM',
      }),
    ).toBeUndefined();
  });
});
