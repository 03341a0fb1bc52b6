/**
 * CloudTrail LookupEvents of bks-sim through the JS SDK v3: pagination newest first, every lookup
 * attribute, the time window, AWS's errors, and the sim's own records of the calls it serves.
 */
import {
  CloudTrailClient,
  type Event,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRecord,
  cloudTrailDate,
  cloudTrailErrorCode,
  EventStore,
  scrubSecrets,
} from '../../sim/cloudtrail';
import type { SimHandle } from '../../sim/server';
import { startSim } from '../../sim/server';
import { trailRecord } from '../helpers/cloudtrail';
import { ACCT, ADMIN_KEY, scenario } from './fixtures';
import { clientConfig, failure } from './harness';

let sim: SimHandle;
let west: CloudTrailClient;
let east: CloudTrailClient;

beforeAll(async () => {
  sim = await startSim({ scenario: scenario() });
  west = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region: 'us-west-2', maxAttempts: 1 }));
  east = new CloudTrailClient(clientConfig(sim, ADMIN_KEY, { region: 'us-east-1', maxAttempts: 1 }));
});
afterAll(async () => {
  await sim?.close();
});

async function all(
  client: CloudTrailClient,
  input: LookupEventsCommandInput,
): Promise<{ events: Event[]; calls: number }> {
  const events: Event[] = [];
  let token: string | undefined;
  let calls = 0;
  do {
    const out = await client.send(new LookupEventsCommand({ ...input, NextToken: token }));
    calls++;
    events.push(...(out.Events ?? []));
    token = out.NextToken;
  } while (token);
  return { events, calls };
}

describe('LookupEvents', () => {
  it('pages 50 at a time, newest first, within the 90-day window of its region', async () => {
    const { events, calls } = await all(west, {});
    expect(events).toHaveLength(120); // the 100-day-old event is outside the window
    expect(calls).toBe(3);
    const times = events.map((e) => e.EventTime!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(events.some((e) => e.EventId === 'evt-too-old')).toBe(false);
    const first = events[0]!;
    expect(first.EventId).toBe('evt-us-west-2-0');
    expect(JSON.parse(first.CloudTrailEvent!).eventID).toBe('evt-us-west-2-0');
    expect(first.Username).toBe('ml-user');
    expect(first.AccessKeyId).toMatch(/^AKIA/);
    expect(first.ReadOnly).toBe('true');
    expect((await all(east, {})).events).toHaveLength(3);
  });

  it('honours MaxResults and filters on every lookup attribute', async () => {
    const page = await west.send(new LookupEventsCommand({ MaxResults: 7 }));
    expect(page.Events).toHaveLength(7);
    expect(page.NextToken).toBeDefined();
    const by = async (AttributeKey: string, AttributeValue: string) =>
      (await all(west, { LookupAttributes: [{ AttributeKey: AttributeKey as 'EventId', AttributeValue }] }))
        .events;
    expect(await by('Username', 'ml-user')).toHaveLength(40);
    expect(await by('EventName', 'Converse')).toHaveLength(60);
    expect(await by('EventId', 'evt-us-west-2-5')).toHaveLength(1);
    expect(await by('ReadOnly', 'true')).toHaveLength(120);
    expect(await by('ReadOnly', 'false')).toHaveLength(0);
    expect(await by('EventSource', 'bedrock.amazonaws.com')).toHaveLength(120);
    expect(await by('AccessKeyId', (await by('Username', 'ml-user'))[0]!.AccessKeyId!)).toHaveLength(40);
    const byModel = await by('ResourceName', 'anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(byModel).toHaveLength(120);
    expect(byModel[0]!.Resources).toEqual([
      { ResourceType: 'AWS::Bedrock::Model', ResourceName: 'anthropic.claude-sonnet-4-5-20250929-v1:0' },
    ]);
    expect(await by('ResourceType', 'AWS::Bedrock::Model')).toHaveLength(120);
  });

  it('filters on StartTime and EndTime (inclusive)', async () => {
    const now = Date.parse('2026-11-20T12:00:00Z');
    const { events } = await all(west, {
      StartTime: new Date(now - 10 * 60_000),
      EndTime: new Date(now - 3 * 60_000),
    });
    expect(events.map((e) => e.EventId)).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((i) => `evt-us-west-2-${i}`));
  });

  it('answers the errors the botocore model names', async () => {
    const two = await failure(
      west.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: 'Username', AttributeValue: 'a' },
            { AttributeKey: 'EventName', AttributeValue: 'b' },
          ],
        }),
      ),
    );
    expect(two.name).toBe('InvalidLookupAttributesException');
    expect(two.status).toBe(400);
    const badKey = await failure(
      west.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'Nope' as 'EventId', AttributeValue: 'x' }],
        }),
      ),
    );
    expect(badKey.name).toBe('InvalidLookupAttributesException');
    expect((await failure(west.send(new LookupEventsCommand({ MaxResults: 51 })))).name).toBe(
      'InvalidMaxResultsException',
    );
    expect((await failure(west.send(new LookupEventsCommand({ MaxResults: 0 })))).name).toBe(
      'InvalidMaxResultsException',
    );
    const range = await failure(
      west.send(
        new LookupEventsCommand({
          StartTime: new Date('2026-11-20T00:00:00Z'),
          EndTime: new Date('2026-11-19T00:00:00Z'),
        }),
      ),
    );
    expect(range.name).toBe('InvalidTimeRangeException');
    const page = await west.send(new LookupEventsCommand({ MaxResults: 5 }));
    const other = await failure(
      west.send(
        new LookupEventsCommand({
          NextToken: page.NextToken,
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'ml-user' }],
        }),
      ),
    );
    expect(other.name).toBe('InvalidNextTokenException');
    expect((await failure(west.send(new LookupEventsCommand({ NextToken: 'garbage' })))).name).toBe(
      'InvalidNextTokenException',
    );
  });

  it('throttles above the account-region rate with ThrottlingException', async () => {
    const s = await startSim({ scenario: { ...scenario(), rateLimits: { 'cloudtrail:LookupEvents': 2 } } });
    try {
      const c = new CloudTrailClient(clientConfig(s, ADMIN_KEY, { region: 'us-west-2', maxAttempts: 1 }));
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => c.send(new LookupEventsCommand({ MaxResults: 1 }))),
      );
      const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(rejected.length).toBeGreaterThanOrEqual(3);
      expect(rejected.every((r) => (r.reason as Error).name === 'ThrottlingException')).toBe(true);
      // Another region has its own bucket.
      const other = new CloudTrailClient(clientConfig(s, ADMIN_KEY, { region: 'eu-west-1', maxAttempts: 1 }));
      await expect(other.send(new LookupEventsCommand({}))).resolves.toBeDefined();
      expect(s.stats().throttled['cloudtrail:LookupEvents']).toBe(rejected.length);
    } finally {
      await s.close();
    }
  });
});

describe('data events are not in the event history', () => {
  it('LookupEvents returns a bedrock-mantle ListModels (management) but never a CreateInference (data event)', async () => {
    const call = (eventName: string, data: boolean) =>
      buildRecord({
        userIdentity: { type: 'IAMUser', userName: 'BedrockAPIKey-m4nt', accountId: ACCT },
        eventSource: 'bedrock-mantle.amazonaws.com',
        eventName,
        region: 'eu-central-1',
        recipientAccountId: ACCT,
        requestParameters: { callWithBearerToken: true, bearerTokenType: 'LONG_TERM' },
        readOnly: !data,
        time: new Date('2026-11-19T10:00:00Z'),
        ...(data
          ? {
              data: true,
              resources: [
                {
                  accountId: ACCT,
                  type: 'AWS::BedrockMantle::Project',
                  ARN: `arn:aws:bedrock-mantle:eu-central-1:${ACCT}:project/default`,
                },
              ],
            }
          : {}),
      });
    const inference = call('CreateInference', true);
    // The shape of the Bedrock user guide's example record: a data event, the project in resources.
    expect(inference).toMatchObject({ managementEvent: false, eventCategory: 'Data', readOnly: false });
    expect(Object.keys(inference).slice(-2)).toEqual(['eventCategory', 'resources']);
    const s = await startSim({ scenario: scenario() });
    try {
      const res = await fetch(`${s.url}/_sim/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ account: ACCT, events: [call('ListModels', false), inference] }),
      });
      expect(res.status).toBe(200);
      const c = new CloudTrailClient(clientConfig(s, ADMIN_KEY, { region: 'eu-central-1', maxAttempts: 1 }));
      const { events } = await all(c, {});
      expect(events.map((e) => e.EventName)).toEqual(['ListModels']);
      const byName = await all(c, {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateInference' }],
      });
      expect(byName.events).toEqual([]);
      // The call happened: the state keeps it (a trail selecting its data events would log it).
      const state = (await (await fetch(`${s.url}/_sim/state`)).json()) as {
        accounts: { id: string; events: { eventName: string }[] }[];
      };
      expect(state.accounts.find((a) => a.id === ACCT)?.events.map((e) => e.eventName)).toContain(
        'CreateInference',
      );
    } finally {
      await s.close();
    }
  });
});

describe('the sim records its own management events', () => {
  it('logs mutating IAM calls in us-east-1 as full records without secrets', async () => {
    const iam = new IAMClient(clientConfig(sim, ADMIN_KEY, { region: 'eu-west-1' }));
    await iam.send(new CreateUserCommand({ UserName: 'temp-user' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'temp-user' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'temp-user',
        PolicyName: 'deny',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
        }),
      }),
    );
    const { events } = await all(east, {
      LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'secops' }],
    });
    expect(events.map((e) => e.EventName)).toEqual(['PutUserPolicy', 'CreateAccessKey', 'CreateUser']);
    const text = JSON.stringify(events);
    expect(text).not.toContain(key.AccessKey!.SecretAccessKey!);
    const record = JSON.parse(events[1]!.CloudTrailEvent!);
    expect(record).toMatchObject({
      eventVersion: '1.11',
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${ACCT}:user/secops`,
        accountId: ACCT,
        accessKeyId: ADMIN_KEY,
      },
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateAccessKey',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      requestParameters: { userName: 'temp-user' },
      responseElements: {
        accessKey: { userName: 'temp-user', accessKeyId: key.AccessKey!.AccessKeyId, status: 'Active' },
      },
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCT,
      eventCategory: 'Management',
    });
    expect(record.userAgent).toMatch(/aws-sdk-js/);
    expect(record.responseElements.accessKey.createDate).toMatch(
      /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/,
    );
    expect(events[1]!.Resources).toContainEqual({
      ResourceType: 'AWS::IAM::AccessKey',
      ResourceName: key.AccessKey!.AccessKeyId,
    });
  });
});

describe('failed calls are recorded as CloudTrail does', () => {
  it('logs a refused DeleteUser with errorCode DeleteConflictException', async () => {
    const iam = new IAMClient(clientConfig(sim, ADMIN_KEY, { maxAttempts: 1 }));
    await failure(iam.send(new DeleteUserCommand({ UserName: 'ml-user' })));
    const out = await east.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'DeleteUser' }],
      }),
    );
    const record = JSON.parse(out.Events![0]!.CloudTrailEvent!);
    expect(record).toMatchObject({ errorCode: 'DeleteConflictException', responseElements: null });
    expect(record.errorMessage).toBeTruthy();
    expect(cloudTrailErrorCode('query', 'AccessDenied')).toBe('AccessDenied');
    expect(cloudTrailErrorCode('rest-json', 'AccessDeniedException')).toBe('AccessDeniedException');
  });
});

describe('record builder and index (units)', () => {
  it('drops every secret field at any depth', () => {
    expect(
      scrubSecrets({
        a: { SecretAccessKey: 'x', serviceCredentialSecret: 'y', keep: 1 },
        password: 'p',
        list: [{ sessionToken: 't' }],
      }),
    ).toEqual({ a: { keep: 1 }, list: [{}] });
  });

  it('formats dates as IAM CloudTrail does', () => {
    expect(cloudTrailDate(new Date('2026-11-02T09:14:06Z'))).toBe('Nov 2, 2026, 9:14:06 AM');
    expect(cloudTrailDate(new Date('2026-12-02T00:05:00Z'))).toBe('Dec 2, 2026, 12:05:00 AM');
    expect(cloudTrailDate(new Date('2026-12-02T13:05:00Z'))).toBe('Dec 2, 2026, 1:05:00 PM');
  });

  // 10,000 events here (100 per user name, two pages for one of them); the same lookups over 100,000
  // events, timed, are in bench/sim.ts.
  it('looks events up through the index over 10k events: pages by attribute, follows appends and back-dated events', () => {
    const events: Record<string, unknown>[] = [];
    const base = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 10_000; i++) {
      events.push(
        trailRecord({
          account: ACCT,
          userName: `u${i % 100}`,
          region: 'us-west-2',
          time: new Date(base + i * 1000),
          id: `e${i}`,
        }),
      );
    }
    const store = new EventStore();
    const state = { accounts: [{ id: ACCT, events }] } as never;
    store.sync(state);
    const page = store.lookup(ACCT, 'us-west-2', {
      attribute: { key: 'Username', value: 'u7' },
      maxResults: 50,
    });
    expect(page.events).toHaveLength(50);
    expect(page.events[0]!.EventId).toBe('e9907');
    const next = store.lookup(ACCT, 'us-west-2', {
      attribute: { key: 'Username', value: 'u7' },
      maxResults: 50,
      after: page.next,
    });
    expect(next.events[0]!.EventId).toBe('e4907');
    // Recording a newer event is an append: the posting lists follow without a rebuild.
    events.push(
      trailRecord({
        account: ACCT,
        userName: 'u7',
        region: 'us-west-2',
        time: new Date(base + 200_000_000),
        id: 'newest',
        eventName: 'Newest',
      }),
    );
    store.sync(state);
    const fresh = store.lookup(ACCT, 'us-west-2', {
      attribute: { key: 'Username', value: 'u7' },
      maxResults: 2,
    });
    expect(fresh.events.map((e) => e.EventId)).toEqual(['newest', 'e9907']);
    // An older (back-dated) event is placed by time too.
    events.push(
      trailRecord({
        account: ACCT,
        userName: 'u7',
        region: 'us-west-2',
        time: new Date(base - 1000),
        id: 'late',
        eventName: 'Late',
      }),
    );
    store.sync(state);
    const all7 = store.lookup(ACCT, 'us-west-2', {
      attribute: { key: 'EventName', value: 'Late' },
      maxResults: 50,
    });
    expect(all7.events.map((e) => e.EventId)).toEqual(['late']);
  });
});
