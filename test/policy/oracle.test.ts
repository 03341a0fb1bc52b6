/**
 * The project's SCP evaluator (src/policy) cross-checked with an IAM policy engine it did not write
 * (`@cloud-copilot/iam-simulate`): every must-deny, must-allow and known-gap request of every SCP
 * in scps/ (the negative example included), plus a generated set of statements and requests that
 * covers the condition operators (string, numeric, date, Bool, IP, ARN, Null, `…IfExists`, set
 * operators), action and resource wildcards, NotAction and NotResource. The two must agree on
 * whether the SCP explicitly denies the request. Where they could not agree, AWS's documentation
 * settles it and the case is listed in DOCUMENTED below with the page that decides.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import {
  evaluatePolicies,
  type PolicyDocument,
  type PolicyStatement,
  type RequestContext,
} from '../../src/policy/evaluate';
import { loadScpCatalog, renderRequests, renderScp, SELFTEST_SAMPLE_ROLE } from '../../src/policy/scps';

const ACCOUNT = '111122223333';
const FULL_AWS_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

/** The engine's context: strings and lists of strings. */
function engineContext(context: RequestContext | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const one = (v: unknown) => (v instanceof Date ? v.toISOString().replace(/\.\d{3}Z$/, 'Z') : String(v));
  for (const [k, v] of Object.entries(context ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? v.map(one) : one(v);
  }
  return out;
}

interface Verdicts {
  project: boolean;
  engine: boolean;
  ignored: string[];
}

/** Whether each side says the SCP explicitly denies the request. */
async function judge(
  policy: PolicyDocument,
  request: { action: string; resource: string; context?: RequestContext },
): Promise<Verdicts> {
  const project = evaluatePolicies([policy], request).decision === 'Deny';
  const partition = /^arn:([^:]+):/.exec(request.resource)?.[1] ?? 'aws';
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${partition}:iam::${ACCOUNT}:user/tester`,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: engineContext(request.context),
      },
      identityPolicies: [{ name: 'admin', policy: FULL_AWS_ACCESS }],
      serviceControlPolicies: [
        {
          orgIdentifier: 'r-abcd',
          policies: [
            { name: 'FullAWSAccess', policy: FULL_AWS_ACCESS },
            { name: 'scp', policy },
          ],
        },
      ],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`engine refused the case: ${JSON.stringify(result.errors)}`);
  const ignored = [
    ...new Set(
      result.resultType === 'single'
        ? (result.result.ignoredContextKeys ?? [])
        : result.results.flatMap((r) => r.ignoredContextKeys ?? []),
    ),
  ];
  return { project, engine: result.overallResult === 'ExplicitlyDenied', ignored };
}

describe('scps/*.tests.json: src/policy and the independent engine agree', () => {
  const catalog = loadScpCatalog({ includeNegative: true });
  it('the catalog is there', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(6);
  });
  for (const entry of catalog) {
    it(`${entry.name}: every must-deny, must-allow and known-gap request`, async () => {
      const policy = renderScp(entry);
      const sets = [
        ['mustDeny', entry.mustDeny],
        ['mustAllow', entry.mustAllow],
        ['knownGaps', entry.knownGaps],
      ] as const;
      let n = 0;
      for (const [kind, list] of sets) {
        for (const request of renderRequests(entry, list)) {
          const v = await judge(policy, request);
          expect(v.ignored, `${kind} "${request.name}": context keys the engine ignored`).toEqual([]);
          expect(v.engine, `${kind} "${request.name}": engine`).toBe(v.project);
          expect(v.project, `${kind} "${request.name}"`).toBe(kind === 'mustDeny');
          n++;
        }
      }
      expect(n).toBeGreaterThan(0);
    });
  }
});

describe('the bks selftest exemption (aws:PrincipalArn): src/policy and the independent engine agree', () => {
  const role = 'arn:aws:iam::444455556666:role/security/bks-selftest';
  for (const entry of loadScpCatalog().filter((e) => e.selftest)) {
    it(`${entry.name}: exempts the selftest role and its canaries, and nobody else`, async () => {
      const exempt = renderScp(entry, {}, { selftestRole: role });
      const plain = renderScp(entry);
      const named = (list: typeof entry.mustDeny) =>
        list.map((r) => ({
          ...r,
          context: Object.fromEntries(
            Object.entries(r.context ?? {}).map(([k, v]) => [k, v === SELFTEST_SAMPLE_ROLE ? role : v]),
          ) as RequestContext,
        }));
      const cases = [
        ...named(entry.selftest!.mustAllow).map((r) => ({ r, policy: exempt, deny: false, why: 'exempt' })),
        ...named(entry.selftest!.mustDeny).map((r) => ({ r, policy: exempt, deny: true, why: 'not exempt' })),
        // Without the exemption the same requests are denied (the default policy exempts nobody).
        ...named(entry.selftest!.mustAllow).map((r) => ({
          r,
          policy: plain,
          deny: true,
          why: 'no exemption',
        })),
        // The exemption leaves every other sample as it was.
        ...entry.mustDeny.map((r) => ({ r, policy: exempt, deny: true, why: 'sample' })),
        ...entry.mustAllow.map((r) => ({ r, policy: exempt, deny: false, why: 'sample' })),
      ];
      for (const { r, policy, deny, why } of cases) {
        const v = await judge(policy, r);
        expect(v.engine, `${why} "${r.name}": engine`).toBe(v.project);
        expect(v.project, `${why} "${r.name}"`).toBe(deny);
      }
    });
  }
  it('takes exactly one role ARN, and only for SCPs that deny what selftest does', () => {
    const phantom = loadScpCatalog().find((e) => e.name === 'deny-phantom-users')!;
    expect(() => renderScp(phantom, {}, { selftestRole: 'arn:aws:iam::444455556666:role/*' })).toThrow(
      /one IAM role/,
    );
    expect(() => renderScp(phantom, {}, { selftestRole: 'arn:aws:iam::444455556666:user/x' })).toThrow(
      /one IAM role/,
    );
    const maxAge = loadScpCatalog().find((e) => e.name === 'api-key-max-age')!;
    expect(() => renderScp(maxAge, {}, { selftestRole: role })).toThrow(/takes no selftest role/);
  });
});

// ------------------------------------------------------------------------------------------------
// The generated set.

interface Case {
  name: string;
  statement: PolicyStatement;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

const SSC = 'iam:CreateServiceSpecificCredential';
const PHANTOM = `arn:aws:iam::${ACCOUNT}:user/BedrockAPIKey-ab12`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;

/** Requests that each condition is tried against: a key's value, or its absence (undefined). */
const KEYS: { key: string; ops: string[]; policyValues: string[]; requestValues: (string | undefined)[] }[] =
  [
    {
      key: 'aws:PrincipalTag/team',
      ops: [
        'StringEquals',
        'StringNotEquals',
        'StringEqualsIgnoreCase',
        'StringNotEqualsIgnoreCase',
        'StringLike',
        'StringNotLike',
      ],
      policyValues: ['ml', 'ML', 'm*', '*ops', 'm?'],
      requestValues: ['ml', 'ML', 'mlops', undefined],
    },
    {
      key: 'iam:ServiceSpecificCredentialAgeDays',
      ops: [
        'NumericEquals',
        'NumericNotEquals',
        'NumericLessThan',
        'NumericLessThanEquals',
        'NumericGreaterThan',
        'NumericGreaterThanEquals',
      ],
      policyValues: ['90', '1', '36600'],
      requestValues: ['89', '90', '91', '36600', undefined],
    },
    {
      key: 'aws:TokenIssueTime',
      ops: [
        'DateEquals',
        'DateNotEquals',
        'DateLessThan',
        'DateLessThanEquals',
        'DateGreaterThan',
        'DateGreaterThanEquals',
      ],
      policyValues: ['2026-11-20T12:00:00Z', '2026-11-20T12:00:00.000Z'],
      requestValues: ['2026-11-20T11:59:59Z', '2026-11-20T12:00:00Z', '2026-11-20T12:00:01Z', undefined],
    },
    {
      key: 'aws:SecureTransport',
      ops: ['Bool'],
      policyValues: ['true', 'false'],
      requestValues: ['true', 'false', undefined],
    },
    {
      key: 'aws:SourceIp',
      ops: ['IpAddress', 'NotIpAddress'],
      policyValues: ['10.0.0.0/8', '192.0.2.1', '192.0.2.0/24'],
      requestValues: ['10.1.2.3', '192.0.2.1', '203.0.113.9', undefined],
    },
    {
      key: 'aws:PrincipalArn',
      ops: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'],
      policyValues: [
        'arn:aws:iam::*:role/Admin*',
        `arn:aws:iam::${ACCOUNT}:user/*`,
        `arn:aws:iam::${ACCOUNT}:user/alice`,
      ],
      requestValues: [
        `arn:aws:iam::${ACCOUNT}:role/AdminOps`,
        `arn:aws:iam::${ACCOUNT}:user/alice`,
        undefined,
      ],
    },
  ];

function generated(): Case[] {
  const cases: Case[] = [];
  const deny = (extra: Partial<PolicyStatement>): PolicyStatement =>
    ({ Effect: 'Deny', Action: SSC, Resource: '*', ...extra }) as PolicyStatement;
  // Every operator, with and without IfExists, against every request value (and the key absent).
  for (const k of KEYS) {
    for (const op of k.ops) {
      for (const suffix of ['', 'IfExists']) {
        for (const pv of k.policyValues) {
          for (const rv of k.requestValues) {
            cases.push({
              name: `${op}${suffix} ${k.key} ${pv} vs ${rv ?? '(absent)'}`,
              statement: deny({ Condition: { [`${op}${suffix}`]: { [k.key]: pv } } }),
              action: SSC,
              resource: ALICE,
              context: rv === undefined ? {} : { [k.key]: rv },
            });
          }
        }
      }
    }
    // Null: true = "the key is absent", false = "present".
    for (const pv of ['true', 'false']) {
      for (const rv of k.requestValues) {
        cases.push({
          name: `Null ${k.key} ${pv} vs ${rv ?? '(absent)'}`,
          statement: deny({ Condition: { Null: { [k.key]: pv } } }),
          action: SSC,
          resource: ALICE,
          context: rv === undefined ? {} : { [k.key]: rv },
        });
      }
    }
  }
  // Several values for one key are ORed; several keys and operators are ANDed.
  for (const rv of ['bedrock.amazonaws.com', 'codecommit.amazonaws.com', undefined]) {
    for (const age of ['30', '400', undefined]) {
      const context: Record<string, string> = {};
      if (rv) context['iam:ServiceSpecificCredentialServiceName'] = rv;
      if (age) context['iam:ServiceSpecificCredentialAgeDays'] = age;
      cases.push({
        name: `AND of service ${rv} and age ${age}`,
        statement: deny({
          Condition: {
            StringEquals: {
              'iam:ServiceSpecificCredentialServiceName': [
                'bedrock.amazonaws.com',
                'aws-external-anthropic.amazonaws.com',
              ],
            },
            NumericGreaterThan: { 'iam:ServiceSpecificCredentialAgeDays': '90' },
          },
        }),
        action: SSC,
        resource: PHANTOM,
        context,
      });
    }
  }
  // Set operators on a multi-valued key.
  const listKey = 'aws:PrincipalServiceNamesList';
  for (const setOp of [
    'ForAnyValue:StringEquals',
    'ForAllValues:StringEquals',
    'ForAnyValue:StringLike',
    'ForAllValues:StringLike',
  ]) {
    for (const rv of [
      ['ec2.amazonaws.com'],
      ['ec2.amazonaws.com', 'lambda.amazonaws.com'],
      ['s3.amazonaws.com'],
      undefined,
    ]) {
      cases.push({
        name: `${setOp} ${listKey} vs ${rv?.join(',') ?? '(absent)'}`,
        statement: deny({ Condition: { [setOp]: { [listKey]: ['ec2.amazonaws.com', 'lambda.*'] } } }),
        action: SSC,
        resource: ALICE,
        context: rv === undefined ? {} : { [listKey]: rv },
      });
    }
  }
  // Action and resource wildcards, NotAction, NotResource.
  const requests = [
    { action: SSC, resource: PHANTOM },
    { action: SSC, resource: ALICE },
    { action: 'iam:CreateUser', resource: PHANTOM },
    { action: 'iam:ListUsers', resource: '*' },
    { action: 'bedrock:CallWithBearerToken', resource: '*' },
    {
      action: 'bedrock:InvokeModel',
      resource: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2',
    },
  ];
  const actions = [
    'iam:Create*',
    'iam:*ServiceSpecific*',
    'IAM:createservicespecificcredential',
    'bedrock:*',
    '*',
    'iam:?reateUser',
    'bedrock:Invoke*',
  ];
  const resources = [
    '*',
    'arn:aws:iam::*:user/BedrockAPIKey-*',
    `arn:aws:iam::${ACCOUNT}:user/?lice`,
    'arn:aws:bedrock:*::foundation-model/*',
  ];
  for (const r of requests) {
    for (const a of actions) {
      for (const res of resources) {
        for (const [actionField, resourceField] of [
          ['Action', 'Resource'],
          ['NotAction', 'Resource'],
          ['Action', 'NotResource'],
        ] as const) {
          cases.push({
            name: `${actionField} ${a} ${resourceField} ${res} vs ${r.action} on ${r.resource}`,
            statement: {
              Effect: 'Deny',
              [actionField]: a,
              [resourceField]: res,
            } as unknown as PolicyStatement,
            action: r.action,
            resource: r.resource,
            context: {},
          });
        }
      }
    }
  }
  return cases;
}

/**
 * Cases where AWS's documentation settles a point one side got wrong, with the page that decides.
 * Empty: every generated case agrees.
 */
const DOCUMENTED: Record<string, string> = {};

describe('a generated set: src/policy and the independent engine agree', () => {
  const cases = generated();
  it(`covers every operator family (${cases.length} cases)`, () => {
    expect(cases.length).toBeGreaterThan(500);
  });
  it('agree on every case', async () => {
    const disagreements: string[] = [];
    let denied = 0;
    for (const c of cases) {
      const policy: PolicyDocument = { Version: '2012-10-17', Statement: [c.statement] };
      const v = await judge(policy, { action: c.action, resource: c.resource, context: c.context });
      expect(v.ignored, `${c.name}: context keys the engine ignored`).toEqual([]);
      if (v.engine) denied++;
      if (v.project !== v.engine && !(c.name in DOCUMENTED)) {
        disagreements.push(
          `${c.name}: src/policy ${v.project ? 'denies' : 'does not deny'}, engine ${v.engine ? 'denies' : 'does not deny'}`,
        );
      }
    }
    expect(disagreements).toEqual([]);
    // Not vacuous: both verdicts occur often.
    expect(denied).toBeGreaterThan(200);
    expect(cases.length - denied).toBeGreaterThan(200);
  }, 120_000);
});
