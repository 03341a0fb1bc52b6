import { describe, expect, it } from 'vitest';
import {
  type ControlStatus,
  checkOrganization,
  type OrgNode,
  type OrgSnapshot,
} from '../../src/policy/check';
import type { PolicyDocument } from '../../src/policy/evaluate';
import { loadScpCatalog, renderScp, type ScpEntry } from '../../src/policy/scps';

const catalog = loadScpCatalog({ includeNegative: true });
const controls = catalog.filter((e) => !e.negativeExample);
const scp = (name: string): ScpEntry => catalog.find((e) => e.name === name)!;

const FULL_ACCESS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

type PolicyMap = Record<string, PolicyDocument | string>;

/** An organization: root r-root (FullAWSAccess + rootPolicies) → OUs → accounts. */
function org(opts: {
  rootPolicies?: string[];
  ous?: {
    id: string;
    policies?: string[];
    accounts: { id: string; policies?: string[] }[];
    ous?: OrgNode[];
  }[];
  rootAccounts?: { id: string; policies?: string[] }[];
  policies?: PolicyMap;
  scpEnabled?: boolean;
  featureSet?: string;
  partition?: string;
}): OrgSnapshot {
  const policies: OrgSnapshot['policies'] = {
    'p-FullAWSAccess': {
      id: 'p-FullAWSAccess',
      name: 'FullAWSAccess',
      awsManaged: true,
      content: JSON.stringify(FULL_ACCESS),
    },
  };
  for (const [name, doc] of Object.entries(opts.policies ?? {})) {
    policies[`p-${name}`] = {
      id: `p-${name}`,
      name,
      awsManaged: false,
      content: typeof doc === 'string' ? doc : JSON.stringify(doc),
    };
  }
  const ids = (names: string[] = []) => ['p-FullAWSAccess', ...names.map((n) => `p-${n}`)];
  const account = (a: { id: string; policies?: string[] }): OrgNode => ({
    id: a.id,
    name: `acct-${a.id.slice(-4)}`,
    type: 'ACCOUNT',
    state: 'ACTIVE',
    policyIds: ids(a.policies),
    children: [],
  });
  return {
    organizationId: 'o-abc123',
    managementAccountId: '111111111111',
    featureSet: opts.featureSet ?? 'ALL',
    partition: opts.partition ?? 'aws',
    policies,
    roots: [
      {
        id: 'r-root',
        name: 'Root',
        type: 'ROOT',
        scpEnabled: opts.scpEnabled ?? true,
        policyIds: ids(opts.rootPolicies),
        children: [
          account({ id: '111111111111' }),
          ...(opts.rootAccounts ?? []).map(account),
          ...(opts.ous ?? []).map(
            (ou): OrgNode => ({
              id: ou.id,
              name: ou.id,
              type: 'ORGANIZATIONAL_UNIT',
              policyIds: ids(ou.policies),
              children: [...ou.accounts.map(account), ...(ou.ous ?? [])],
            }),
          ),
        ],
      },
    ],
  };
}

const shipped = (name: string, params = {}) => renderScp(scp(name), params);

function statuses(snapshot: OrgSnapshot, accountId: string, params = {}): Record<string, ControlStatus> {
  const report = checkOrganization(snapshot, controls, params);
  const account = report.accounts.find((a) => a.accountId === accountId);
  if (!account) throw new Error(`no account ${accountId}`);
  return Object.fromEntries(account.controls.map((c) => [c.control, c.status]));
}

const ALL_MISSING: Record<string, ControlStatus> = {
  'api-key-max-age': 'missing',
  'deny-api-keys': 'missing',
  'deny-long-term-api-keys': 'missing',
  'deny-phantom-escalation': 'missing',
  'deny-phantom-users': 'missing',
};

describe('scp check verdicts', () => {
  // [case, snapshot, account, expected statuses (subset)]
  const cases: [string, OrgSnapshot, string, Record<string, ControlStatus>][] = [
    [
      'FullAWSAccess only: every control missing',
      org({ rootAccounts: [{ id: '222222222222' }] }),
      '222222222222',
      ALL_MISSING,
    ],
    [
      'the shipped SCPs on an OU',
      org({
        policies: {
          'bks-deny-long-term-api-keys': shipped('deny-long-term-api-keys'),
          'bks-api-key-max-age': shipped('api-key-max-age'),
          'bks-deny-phantom-escalation': shipped('deny-phantom-escalation'),
        },
        ous: [
          {
            id: 'ou-prod-11111111',
            policies: ['bks-deny-long-term-api-keys', 'bks-api-key-max-age', 'bks-deny-phantom-escalation'],
            accounts: [{ id: '333333333333' }],
          },
        ],
      }),
      '333333333333',
      {
        'api-key-max-age': 'in-force',
        // Long-term creation is denied, short-term use is not: block-all holds in part.
        'deny-api-keys': 'partial',
        'deny-long-term-api-keys': 'in-force',
        'deny-phantom-escalation': 'in-force',
        'deny-phantom-users': 'missing',
      },
    ],
    [
      'inherited from the root down two OU levels',
      org({
        policies: { 'root-guard': shipped('deny-api-keys') },
        rootPolicies: ['root-guard'],
        ous: [
          {
            id: 'ou-a-11111111',
            accounts: [],
            ous: [
              {
                id: 'ou-b-22222222',
                name: 'nested',
                type: 'ORGANIZATIONAL_UNIT',
                policyIds: ['p-FullAWSAccess'],
                children: [
                  {
                    id: '444444444444',
                    name: 'deep',
                    type: 'ACCOUNT',
                    policyIds: ['p-FullAWSAccess'],
                    children: [],
                  },
                ],
              },
            ],
          },
        ],
      }),
      '444444444444',
      {
        'deny-api-keys': 'in-force',
        // No key can be created at all, so none can outlive the maximum age or be long-term.
        'api-key-max-age': 'in-force',
      },
    ],
    [
      'a sibling OU does not inherit',
      org({
        policies: { guard: shipped('deny-api-keys') },
        ous: [
          { id: 'ou-a-11111111', policies: ['guard'], accounts: [{ id: '555555555551' }] },
          { id: 'ou-b-22222222', accounts: [{ id: '555555555552' }] },
        ],
      }),
      '555555555552',
      { 'deny-api-keys': 'missing' },
    ],
    [
      "a customer's own equivalent policy counts, whatever its name",
      org({
        policies: {
          'corp-guardrails': {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Action: ['iam:CreateServiceSpecificCredential'],
                Resource: '*',
                Condition: {
                  StringLike: {
                    'iam:ServiceSpecificCredentialServiceName': ['bedrock*', 'aws-external-anthropic*'],
                  },
                },
              },
              { Effect: 'Deny', Action: ['*:CallWithBearerToken'], Resource: '*' },
              {
                Effect: 'Deny',
                Action: 'iam:CreateUser',
                Resource: ['arn:aws:iam::*:user/*BedrockAPIKey-*', 'arn:aws:iam::*:user/*AeaApiKey-*'],
              },
              {
                Effect: 'Deny',
                Action: 'iam:AttachUserPolicy',
                Resource: '*',
                Condition: { ArnLike: { 'iam:PolicyARN': ['arn:aws:iam::aws:policy/*LimitedAccess'] } },
              },
            ],
          },
        },
        rootAccounts: [{ id: '666666666666', policies: ['corp-guardrails'] }],
      }),
      '666666666666',
      { 'deny-api-keys': 'in-force', 'deny-phantom-users': 'in-force', 'api-key-max-age': 'in-force' },
    ],
    [
      "the baseline's max-age policy lets the never-expiring key through",
      org({
        policies: { 'baseline-90-days': shipped('negative/baseline-max-age-no-null') },
        rootPolicies: ['baseline-90-days'],
        rootAccounts: [{ id: '777777777777' }],
      }),
      '777777777777',
      { 'api-key-max-age': 'partial' },
    ],
    [
      'a stricter maximum age still counts',
      org({
        policies: { strict: shipped('api-key-max-age', { maxAgeDays: 7 }) },
        rootPolicies: ['strict'],
        rootAccounts: [{ id: '888888888888' }],
      }),
      '888888888888',
      { 'api-key-max-age': 'in-force' },
    ],
    [
      'a looser maximum age does not',
      org({
        policies: { loose: shipped('api-key-max-age', { maxAgeDays: 365 }) },
        rootPolicies: ['loose'],
        rootAccounts: [{ id: '888888888889' }],
      }),
      '888888888889',
      { 'api-key-max-age': 'partial' },
    ],
    [
      'the management account is never covered',
      org({ policies: { guard: shipped('deny-api-keys') }, rootPolicies: ['guard'] }),
      '111111111111',
      {
        'api-key-max-age': 'not-covered',
        'deny-api-keys': 'not-covered',
        'deny-long-term-api-keys': 'not-covered',
        'deny-phantom-escalation': 'not-covered',
        'deny-phantom-users': 'not-covered',
      },
    ],
    [
      'SCP type disabled on the root: attached policies do nothing',
      org({
        policies: { guard: shipped('deny-api-keys') },
        rootPolicies: ['guard'],
        rootAccounts: [{ id: '999999999991' }],
        scpEnabled: false,
      }),
      '999999999991',
      ALL_MISSING,
    ],
    [
      'consolidated billing only: no SCPs',
      org({
        policies: { guard: shipped('deny-api-keys') },
        rootPolicies: ['guard'],
        rootAccounts: [{ id: '999999999992' }],
        featureSet: 'CONSOLIDATED_BILLING',
      }),
      '999999999992',
      ALL_MISSING,
    ],
    [
      'an unsupported operator makes the verdict unknown, never in force',
      org({
        policies: {
          odd: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringSounds: { 'k:a': 'x' } } },
            ],
          },
        },
        rootAccounts: [{ id: '999999999993', policies: ['odd'] }],
      }),
      '999999999993',
      { 'deny-api-keys': 'unknown', 'api-key-max-age': 'unknown' },
    ],
    [
      'a policy that is not JSON makes the verdict unknown',
      org({
        policies: { broken: '{"Version":' },
        rootAccounts: [{ id: '999999999994', policies: ['broken'] }],
      }),
      '999999999994',
      { 'deny-api-keys': 'unknown' },
    ],
    [
      'China partition: partition-specific ARNs in a customer policy are matched in that partition',
      org({
        partition: 'aws-cn',
        policies: {
          cn: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Action: 'iam:CreateUser',
                Resource: [
                  'arn:aws-cn:iam::*:user/BedrockAPIKey-*',
                  'arn:aws-cn:iam::*:user/AeaApiKey-*',
                  'arn:aws-cn:iam::*:user/*/*',
                ],
              },
              {
                Effect: 'Deny',
                Action: 'iam:AttachUserPolicy',
                Resource: '*',
                Condition: {
                  ArnEquals: {
                    'iam:PolicyARN': [
                      'arn:aws-cn:iam::aws:policy/AmazonBedrockLimitedAccess',
                      'arn:aws-cn:iam::aws:policy/AnthropicLimitedAccess',
                    ],
                  },
                },
              },
            ],
          },
        },
        rootAccounts: [{ id: '999999999995', policies: ['cn'] }],
      }),
      '999999999995',
      { 'deny-phantom-users': 'in-force' },
    ],
  ];

  it.each(cases)('%s', (_name, snapshot, accountId, expected) => {
    expect(statuses(snapshot, accountId)).toMatchObject(expected);
  });
});

describe('scp check details', () => {
  it('names the policies that deny, and what a partial control lets through', () => {
    const snapshot = org({
      policies: { 'baseline-90-days': shipped('negative/baseline-max-age-no-null') },
      rootAccounts: [{ id: '222222222222', policies: ['baseline-90-days'] }],
    });
    const report = checkOrganization(snapshot, [scp('api-key-max-age')]);
    const verdict = report.accounts.find((a) => a.accountId === '222222222222')!.controls[0]!;
    expect(verdict.deniedBy).toEqual(['baseline-90-days']);
    expect(verdict.notDenied).toContain('never-expiring Bedrock key (no age given)');
    expect(verdict.notDenied).toContain('never-expiring Claude Platform key (no age given)');
    expect(report.summary.accountsWithGaps).toBe(1);
    expect(report.summary.byControl['api-key-max-age']).toEqual({
      'in-force': 0,
      partial: 1,
      missing: 0,
      unknown: 0,
      'not-covered': 1,
    });
  });

  it('models allow lists: what no level allows is denied implicitly, and legitimate requests it blocks are named', () => {
    const snapshot = org({
      policies: {
        'allow-compute-only': {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['ec2:*', 's3:*', 'bedrock:InvokeModel'], Resource: '*' }],
        },
      },
      ous: [{ id: 'ou-sandbox-12345678', accounts: [{ id: '222222222222' }] }],
    });
    // Replace FullAWSAccess on the OU by the allow list.
    const ou = snapshot.roots[0]!.children.find((c) => c.id === 'ou-sandbox-12345678')!;
    ou.policyIds = ['p-allow-compute-only'];
    const report = checkOrganization(snapshot, [scp('deny-api-keys')], {}, controls);
    const account = report.accounts.find((a) => a.accountId === '222222222222')!;
    const verdict = account.controls[0]!;
    expect(verdict.status).toBe('in-force');
    expect(verdict.implicitOnly).toBe(true);
    expect(verdict.deniedBy).toEqual(['not allowed at OU ou-sandbox-12345678']);
    expect(account.blocksLegitimate.map((b) => b.request)).toContain('CodeCommit Git credentials');
    expect(account.blocksLegitimate.map((b) => b.request)).not.toContain(
      'SigV4 (non-bearer) Bedrock invocation',
    );
    expect(account.blocksLegitimate[0]!.by).toBe('not allowed by the SCPs at OU ou-sandbox-12345678');
  });

  it('the five shipped SCPs together: every control in force, nothing legitimate blocked', () => {
    const snapshot = org({
      policies: Object.fromEntries(controls.map((c) => [`bks-${c.name}`, shipped(c.name)])),
      rootPolicies: ['bks-deny-api-keys', 'bks-deny-long-term-api-keys'],
      ous: [
        {
          id: 'ou-all-11111111',
          policies: ['bks-api-key-max-age', 'bks-deny-phantom-users', 'bks-deny-phantom-escalation'],
          accounts: [{ id: '222222222222' }],
        },
      ],
    });
    const account = checkOrganization(snapshot, controls, {}, controls).accounts[1]!;
    expect(account.controls.map((c) => c.status)).toEqual(Array(5).fill('in-force'));
    expect(account.blocksLegitimate).toEqual([]);
  });

  it('flags an SCP that blocks what responders need', () => {
    const tooMuch: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: 'arn:*:iam::*:user/BedrockAPIKey-*' }],
    };
    const snapshot = org({
      policies: { 'lock-phantoms': tooMuch },
      rootAccounts: [{ id: '222222222222', policies: ['lock-phantoms'] }],
    });
    const account = checkOrganization(snapshot, [scp('deny-phantom-escalation')], {}, controls).accounts[1]!;
    expect(account.blocksLegitimate).toContainEqual({
      request: 'deactivating a phantom access key',
      by: 'denied by lock-phantoms',
    });
  });

  it('judges accounts under an unreadable level as unknown, naming the level', () => {
    const snapshot = org({ ous: [{ id: 'ou-x-11111111', accounts: [{ id: '222222222222' }] }] });
    const ou = snapshot.roots[0]!.children.find((c) => c.id === 'ou-x-11111111')!;
    ou.policyIds = undefined;
    ou.error = 'ListPoliciesForTarget: AccessDeniedException: not allowed';
    const verdict = checkOrganization(snapshot, controls).accounts.find(
      (a) => a.accountId === '222222222222',
    )!;
    expect(verdict.controls.every((c) => c.status === 'unknown')).toBe(true);
    expect(verdict.controls[0]!.reason).toMatch(
      /OU ou-x-11111111 could not be fully read: ListPoliciesForTarget/,
    );
  });

  it('lists the management account first and carries the path with policy names', () => {
    const report = checkOrganization(
      org({ ous: [{ id: 'ou-a-11111111', accounts: [{ id: '222222222222' }] }] }),
      controls,
      { maxAgeDays: 30 },
    );
    expect(report.accounts.map((a) => a.accountId)).toEqual(['111111111111', '222222222222']);
    expect(report.accounts[0]!.management).toBe(true);
    expect(report.accounts[1]!.path.map((p) => p.id)).toEqual(['r-root', 'ou-a-11111111', '222222222222']);
    expect(report.accounts[1]!.path[0]!.policies).toEqual(['FullAWSAccess']);
    expect(report.params).toEqual({ maxAgeDays: 30 });
  });
});
