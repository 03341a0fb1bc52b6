/**
 * Scenario files: validation names the path of the bad field; defaults are a new account's; key ids
 * the simulator makes decode to their account offline.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountFromAccessKeyId, loadScenario, makeAccessKeyId, ScenarioError } from '../../sim/scenario';

const ok = {
  accounts: [{ id: '111111111111', users: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }] }],
};

function messageOf(input: unknown): string {
  try {
    loadScenario(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

function withUser3(patch: Record<string, unknown>): unknown {
  const s = structuredClone(ok) as { accounts: { users: Record<string, unknown>[] }[] };
  Object.assign(s.accounts[0]!.users[3]!, patch);
  return s;
}

describe('scenario validation', () => {
  it('checks the detection fields of an account (cloudtrail … sqs) by the schema alone: one line naming the field', () => {
    const cases: [string, unknown, string][] = [
      [
        'cloudtrail',
        { trails: [{ Name: 'x' }] },
        'cloudtrail.trails[0].Name: "x" is not a trail name (3-128 letters, digits, . _ -)',
      ],
      [
        'cloudtrail',
        {
          trails: [
            {
              Name: 'org-trail',
              AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }],
            },
          ],
        },
        'cloudtrail.trails[0].AdvancedEventSelectors[0].FieldSelectors: a data-event selector needs a resources.type field selector',
      ],
      ['securityHub', { enabled: 'yes' }, 'securityHub.enabled: must be true or false'],
      [
        'guardDuty',
        { detectors: [{ Status: 'ON' }] },
        'guardDuty.detectors[0].Status: must be one of ENABLED, DISABLED (got "ON")',
      ],
      ['bedrockLogging', { regions: ['Mars'] }, 'bedrockLogging.regions[0]: "Mars" is not a region name'],
      [
        'eventBridge',
        { rules: [{ Name: 'r', EventPattern: { source: ['aws.iam'] }, State: 'ON' }] },
        'eventBridge.rules[0].State: must be one of ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (got "ON")',
      ],
      [
        'sqs',
        { queues: [{ QueueName: 'q', Attributes: { Color: 'red' } }] },
        'sqs.queues[0].Attributes.Color: is not a queue attribute you can set',
      ],
    ];
    for (const [field, value, message] of cases) {
      expect(messageOf({ accounts: [{ id: '111111111111', [field]: value }] }), field).toBe(
        `scenario: accounts[0].${message}`,
      );
    }
    // What a schema cannot say: names unique per account (trails) and per region (queues).
    expect(
      messageOf({
        accounts: [{ id: '111111111111', cloudtrail: { trails: [{ Name: 'abc' }, { Name: 'abc' }] } }],
      }),
    ).toBe('scenario: accounts[0].cloudtrail.trails[1].Name: duplicate trail name abc');
    expect(
      messageOf({
        accounts: [{ id: '111111111111', sqs: { queues: [{ QueueName: 'q' }, { QueueName: 'q' }] } }],
      }),
    ).toBe('scenario: accounts[0].sqs.queues[1].QueueName: duplicate queue q in us-east-1');
  });

  it('names the path of the bad field', () => {
    expect(messageOf(withUser3({ accessKeys: [{ status: 'Enabled' }] }))).toBe(
      'scenario: accounts[0].users[3].accessKeys[0].status: must be one of Active, Inactive (got "Enabled")',
    );
    expect(messageOf(withUser3({ name: 'bad name' }))).toMatch(
      /^scenario: accounts\[0\]\.users\[3\]\.name: /,
    );
    expect(
      messageOf(withUser3({ serviceCredentials: [{ service: 'bedrock.amazonaws.com', expiresAt: 'soon' }] })),
    ).toMatch(
      /^scenario: accounts\[0\]\.users\[3\]\.serviceCredentials\[0\]\.expiresAt: must be an ISO 8601/,
    );
    expect(messageOf(withUser3({ groups: ['nope'] }))).toBe(
      'scenario: accounts[0].users[3].groups[0]: group "nope" is not in the account',
    );
    expect(messageOf(withUser3({ colour: 'red' }))).toMatch(
      /^scenario: accounts\[0\]\.users\[3\]\.colour: unknown field/,
    );
    expect(
      messageOf(
        withUser3({ serviceCredentials: [1, 2, 3].map(() => ({ service: 'bedrock.amazonaws.com' })) }),
      ),
    ).toMatch(
      /^scenario: accounts\[0\]\.users\[3\]\.serviceCredentials\[2\]: a user has at most 2 credentials/,
    );
    expect(messageOf(withUser3({ accessKeys: [{}, {}, {}] }))).toMatch(
      /accounts\[0\]\.users\[3\]\.accessKeys: .*at most 2/,
    );
    expect(messageOf({ accounts: [{ id: '12' }] })).toMatch(
      /^scenario: accounts\[0\]\.id: "12" is not a 12-digit account id/,
    );
    expect(messageOf({ accounts: [] })).toBe('scenario: accounts: must list at least one account');
    expect(messageOf({})).toMatch(/^scenario: accounts: is required/);
    expect(messageOf([])).toBe('scenario: $: must be an object');
    expect(messageOf({ ...ok, partition: 'aws-mars' })).toMatch(
      /^scenario: partition: must be one of aws, aws-us-gov, aws-cn/,
    );
    expect(messageOf({ ...ok, faults: [{ action: 'iam:ListUsers', error: 'X', probability: 2 }] })).toBe(
      'scenario: faults[0].probability: must be between 0 and 1 (got 2)',
    );
    expect(messageOf({ ...ok, rateLimits: { ListUsers: 3 } })).toMatch(
      /^scenario: rateLimits\.ListUsers: key must be/,
    );
    expect(messageOf({ ...ok, organization: { accounts: [] } })).toMatch(
      /^scenario: organization\.managementAccount: /,
    );
    expect(messageOf({ accounts: [{ id: '111111111111' }, { id: '111111111111' }] })).toBe(
      'scenario: accounts[1]: duplicate account id "111111111111"',
    );
    expect(messageOf(withUser3({ name: 'A' }))).toMatch(
      /^scenario: accounts\[0\]\.users\[3\]: duplicate user name "A"/,
    );
    expect(
      messageOf({ accounts: [{ id: '111111111111', events: [{ eventName: 'X', eventSource: 'y' }] }] }),
    ).toMatch(/^scenario: accounts\[0\]\.events\[0\]\.eventTime: /);
  });

  it('takes its shape from sim/schemas/scenario.schema.json, which the demo scenario references', () => {
    const demo = JSON.parse(readFileSync(new URL('../../sim/scenarios/demo.json', import.meta.url), 'utf8'));
    expect(demo.$schema).toBe('../schemas/scenario.schema.json');
    const schema = JSON.parse(
      readFileSync(new URL('../../sim/schemas/scenario.schema.json', import.meta.url), 'utf8'),
    );
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    // every user field the schema lists is one the loader knows, and the other way round
    expect(Object.keys(schema.definitions.user.properties).sort()).toEqual(
      Object.keys(loadScenario(withUser3({})).accounts[0]!.users[3]!).sort(),
    );
    expect(messageOf({ ...ok, faults: [{ action: '*', error: 'X', where: { a: {} } }] })).toBe(
      'scenario: faults[0].where.a: must be a scalar',
    );
    expect(messageOf(withUser3({ loginProfile: 'yes' }))).toBe(
      'scenario: accounts[0].users[3].loginProfile: must be true, false or an object',
    );
    expect(messageOf(withUser3({ inlinePolicies: { 'bad name': { Statement: [] } } }))).toBe(
      'scenario: accounts[0].users[3].inlinePolicies.bad name: is not a valid policy name',
    );
    expect(messageOf({ ...ok, now: 5 })).toBe(
      'scenario: now: must be an ISO 8601 date-time such as 2026-01-02T03:04:05Z (got 5)',
    );
  });

  it('fills what a new account has', () => {
    const s = loadScenario({
      now: '2026-11-20T12:00:00Z',
      accounts: [{ id: '111111111111', users: [{ name: 'a' }] }],
    });
    expect(s.partition).toBe('aws');
    expect(s.latencyMs).toBe(0);
    expect(s.faults).toEqual([]);
    expect(s.organization).toBeNull();
    const u = s.accounts[0]!.users[0]!;
    expect(u).toMatchObject({
      path: '/',
      createdAt: '2026-11-20T12:00:00Z',
      loginProfile: null,
      mfaDevices: [],
      accessKeys: [],
      serviceCredentials: [],
      permissionsBoundary: null,
    });
    expect(u.id).toMatch(/^AIDA[A-Z2-7]{17}$/);
    // the same scenario yields the same ids
    expect(
      loadScenario({ accounts: [{ id: '111111111111', users: [{ name: 'a' }] }] }).accounts[0]!.users[0]!.id,
    ).toBe(u.id);
  });

  it('derives aliases and ServiceUserNames as IAM does', () => {
    const s = loadScenario({
      accounts: [
        {
          id: '123456789012',
          users: [
            {
              name: 'BedrockAPIKey-h42z',
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com' },
                { service: 'bedrock.amazonaws.com' },
                { service: 'codecommit.amazonaws.com' },
              ],
            },
          ],
        },
      ],
    });
    const creds = s.accounts[0]!.users[0]!.serviceCredentials;
    expect(creds.map((c) => c.alias)).toEqual([
      'BedrockAPIKey-h42z-at-123456789012',
      'BedrockAPIKey-h42z+1-at-123456789012',
      'BedrockAPIKey-h42z-at-123456789012',
    ]);
    expect(creds[2]!.serviceUserName).toBe('BedrockAPIKey-h42z-at-123456789012');
    expect(creds[0]!.serviceUserName).toBeNull();
  });
});

describe('access key ids', () => {
  it('decode the documented vector', () => {
    expect(accountFromAccessKeyId('ASIAQNZGKIQY56JQ7WML')).toBe('029608264753');
    expect(accountFromAccessKeyId('AKIDEXAMPLE')).toBeUndefined();
  });

  it('encode any account so that it decodes back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999_999_999 }),
        fc.integer(),
        fc.boolean(),
        (n, seed, session) => {
          const account = String(n).padStart(12, '0');
          let x = seed >>> 0;
          const id = makeAccessKeyId(session ? 'ASIA' : 'AKIA', account, () => {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            return x;
          });
          expect(id).toMatch(/^A[KS]IA[A-Z2-7]{16}$/);
          expect(accountFromAccessKeyId(id)).toBe(account);
        },
      ),
    );
  });
});

describe('generated secrets', () => {
  it('look fake on purpose', () => {
    const s = loadScenario({
      accounts: [
        {
          id: '111111111111',
          users: [
            { name: 'a', accessKeys: [{}], serviceCredentials: [{ service: 'bedrock.amazonaws.com' }] },
          ],
        },
      ],
    });
    const u = s.accounts[0]!.users[0]!;
    expect(u.accessKeys[0]!.secret).toMatch(/^simEXAMPLE[A-Za-z0-9+/]{30}$/);
    expect(u.serviceCredentials[0]!.secret).toMatch(/^simEXAMPLE/);
  });
});

describe('the state is the scenario form', () => {
  it('loads again as a scenario and normalises to itself', () => {
    const s = loadScenario({
      now: '2026-11-20T12:00:00Z',
      seed: 7,
      partition: 'aws-cn',
      faults: [{ action: 'iam:*', error: 'Throttling', probability: 0.1, where: { UserName: 'x' } }],
      principals: [
        { accessKeyId: 'AKIDP', account: '111111111111', arn: 'arn:aws-cn:iam::111111111111:user/p' },
      ],
      organization: { managementAccount: '111111111111' },
      accounts: [
        {
          id: '111111111111',
          alias: 'acme',
          groups: [{ name: 'g', inlinePolicies: { p: { Version: '2012-10-17', Statement: [] } } }],
          roles: [{ name: 'r', externalId: 'e', trustedAccounts: ['222222222222'] }],
          policies: [{ name: 'deny', document: { Version: '2012-10-17', Statement: [] } }],
          users: [
            {
              name: 'u',
              groups: ['g'],
              loginProfile: true,
              mfaDevices: 1,
              sshPublicKeys: 1,
              signingCertificates: 1,
              accessKeys: [
                { lastUsedAt: '2026-11-01T00:00:00Z', lastUsedService: 'iam', lastUsedRegion: 'cn-north-1' },
                {},
              ],
              serviceCredentials: [
                { service: 'bedrock.amazonaws.com', expiresAt: '2027-01-01T00:00:00Z' },
                { service: 'codecommit.amazonaws.com' },
              ],
            },
          ],
        },
        { id: '222222222222' },
      ],
    });
    const again = loadScenario(JSON.parse(JSON.stringify(s)));
    expect(again).toEqual(s);
  });
});
