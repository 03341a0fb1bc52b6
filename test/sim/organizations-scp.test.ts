/**
 * The simulator's organization tree and SCPs (sim/orgtree.ts, sim/services/organizations.ts) over
 * the wire with the real SDK v3 client, and `bks scp check` end to end against it.
 */
import { PassThrough } from 'node:stream';
import {
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { describe, expect, it, vi } from 'vitest';
import { loadScenario, type Scenario, ScenarioError } from '../../sim/scenario';
import type { SimHandle } from '../../sim/server';
import { main } from '../../src/cli/main';
import { collectOrganization } from '../../src/policy/check';
import { loadScpCatalog, minifyPolicy, renderScp } from '../../src/policy/scps';
import { clientConfig, control, failure, withSim } from './harness';

const MGMT = '111111111111';
const PROD = '222222222222';
const SANDBOX = '333333333333';
const LEGACY = '444444444444';
const ADMIN = ['AKIA', 'ORGADMINTESTKEY01'].join('');
const MEMBER = ['AKIA', 'ORGMEMBERTESTKEY1'].join('');

const catalog = loadScpCatalog({ includeNegative: true });
const shipped = (name: string) => JSON.parse(minifyPolicy(renderScp(catalog.find((e) => e.name === name)!)));

function scenario(extra: Partial<NonNullable<Scenario['organization']>> = {}): Scenario {
  return {
    principals: [
      { accessKeyId: ADMIN, account: MGMT, arn: `arn:aws:iam::${MGMT}:user/secops` },
      { accessKeyId: MEMBER, account: PROD, arn: `arn:aws:iam::${PROD}:user/dev` },
    ],
    accounts: [{ id: MGMT }, { id: PROD }, { id: SANDBOX }, { id: LEGACY }],
    organization: {
      id: 'o-exampleorg1',
      managementAccount: MGMT,
      rootId: 'r-ex12',
      accounts: [
        { id: MGMT, name: 'management' },
        { id: PROD, name: 'prod-app' },
        { id: SANDBOX, name: 'sandbox-1' },
        { id: LEGACY, name: 'legacy' },
      ],
      ous: [
        { id: 'ou-ex12-prod0001', name: 'prod' },
        { id: 'ou-ex12-teama001', name: 'team-a', parent: 'prod', accounts: [PROD] },
        { id: 'ou-ex12-sandbox1', name: 'sandbox', accounts: [SANDBOX] },
      ],
      policies: [
        {
          id: 'p-longterm1',
          name: 'bks-deny-long-term-api-keys',
          content: shipped('deny-long-term-api-keys'),
          targets: ['prod'],
        },
        {
          id: 'p-maxage001',
          name: 'bks-api-key-max-age',
          content: shipped('api-key-max-age'),
          targets: ['team-a'],
        },
        {
          id: 'p-lockdown1',
          name: 'corp-phantom-lockdown',
          description: "the customer's own",
          content: JSON.stringify(shipped('deny-phantom-escalation'), null, 2),
          targets: [PROD],
        },
        {
          id: 'p-baseline1',
          name: 'baseline-90-days',
          content: shipped('negative/baseline-max-age-no-null'),
          targets: ['ou-ex12-sandbox1'],
        },
      ],
      ...extra,
    },
  };
}

const client = (sim: SimHandle, key = ADMIN) =>
  new OrganizationsClient(clientConfig(sim, key, { maxAttempts: 1 }));

function bks(sim: SimHandle, ...argv: string[]) {
  return bksAs(sim, ADMIN, ...argv);
}

async function bksAs(sim: SimHandle, accessKeyId: string, ...argv: string[]) {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    return true;
  });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_REGION: 'us-east-1',
  });
  // Warnings go to process.stderr (the command's context), errors to main's stream: capture both.
  const err = new PassThrough();
  const errChunks: string[] = [];
  err.on('data', (c: Buffer) => errChunks.push(c.toString('utf8')));
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    errChunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    return true;
  });
  try {
    const code = await main(['scp', 'check', '--endpoint-url', sim.url, ...argv], err);
    return { code, out: chunks.join(''), err: errChunks.join('') };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
    process.env = saved;
  }
}

describe('bks-sim Organizations: the tree and its SCPs', () => {
  it('answers ListRoots, the parent listings, ListPoliciesForTarget and DescribePolicy with AWS shapes', async () => {
    await withSim(scenario(), async (sim) => {
      const org = client(sim);
      const roots = await org.send(new ListRootsCommand({}));
      expect(roots.Roots).toEqual([
        {
          Id: 'r-ex12',
          Arn: `arn:aws:organizations::${MGMT}:root/o-exampleorg1/r-ex12`,
          Name: 'Root',
          PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
        },
      ]);
      const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-ex12' }));
      expect(ous.OrganizationalUnits?.map((u) => u.Name)).toEqual(['prod', 'sandbox']);
      expect(ous.OrganizationalUnits?.[0]?.Arn).toBe(
        `arn:aws:organizations::${MGMT}:ou/o-exampleorg1/ou-ex12-prod0001`,
      );
      const nested = await org.send(
        new ListOrganizationalUnitsForParentCommand({ ParentId: 'ou-ex12-prod0001' }),
      );
      expect(nested.OrganizationalUnits?.map((u) => u.Id)).toEqual(['ou-ex12-teama001']);
      const atRoot = await org.send(new ListAccountsForParentCommand({ ParentId: 'r-ex12' }));
      expect(atRoot.Accounts?.map((a) => [a.Id, a.State])).toEqual([
        [MGMT, 'ACTIVE'],
        [LEGACY, 'ACTIVE'],
      ]);
      const inTeam = await org.send(new ListAccountsForParentCommand({ ParentId: 'ou-ex12-teama001' }));
      expect(inTeam.Accounts?.map((a) => a.Name)).toEqual(['prod-app']);

      const onProd = await org.send(
        new ListPoliciesForTargetCommand({ TargetId: PROD, Filter: 'SERVICE_CONTROL_POLICY' }),
      );
      expect(onProd.Policies).toEqual([
        {
          Id: 'p-FullAWSAccess',
          Arn: 'arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess',
          Name: 'FullAWSAccess',
          Description: 'Allows access to every operation',
          Type: 'SERVICE_CONTROL_POLICY',
          AwsManaged: true,
        },
        {
          Id: 'p-lockdown1',
          Arn: `arn:aws:organizations::${MGMT}:policy/o-exampleorg1/service_control_policy/p-lockdown1`,
          Name: 'corp-phantom-lockdown',
          Description: "the customer's own",
          Type: 'SERVICE_CONTROL_POLICY',
          AwsManaged: false,
        },
      ]);
      const tags = await org.send(new ListPoliciesForTargetCommand({ TargetId: PROD, Filter: 'TAG_POLICY' }));
      expect(tags.Policies).toEqual([]);

      const described = await org.send(new DescribePolicyCommand({ PolicyId: 'p-lockdown1' }));
      expect(described.Policy?.PolicySummary?.Name).toBe('corp-phantom-lockdown');
      expect(JSON.parse(described.Policy?.Content ?? '')).toEqual(shipped('deny-phantom-escalation'));
      const full = await org.send(new DescribePolicyCommand({ PolicyId: 'p-FullAWSAccess' }));
      expect(JSON.parse(full.Policy?.Content ?? '')).toMatchObject({
        Statement: [{ Effect: 'Allow', Action: '*' }],
      });
    });
  });

  it('pages with MaxResults and NextToken, and rejects foreign tokens', async () => {
    const many = Array.from({ length: 23 }, (_, i) => ({
      id: `ou-ex12-bulk${String(i).padStart(4, '0')}`,
      name: `bulk-${i}`,
    }));
    await withSim(scenario({ ous: many, policies: [] }), async (sim) => {
      const org = client(sim);
      const first = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-ex12' }));
      expect(first.OrganizationalUnits).toHaveLength(20);
      expect(first.NextToken).toBeDefined();
      const second = await org.send(
        new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-ex12', NextToken: first.NextToken }),
      );
      expect(second.OrganizationalUnits).toHaveLength(3);
      expect(second.NextToken).toBeUndefined();
      const small = await org.send(new ListAccountsForParentCommand({ ParentId: 'r-ex12', MaxResults: 1 }));
      expect(small.Accounts).toHaveLength(1);
      expect(
        await failure(
          org.send(new ListAccountsForParentCommand({ ParentId: 'r-ex12', NextToken: first.NextToken })),
        ),
      ).toMatchObject({ name: 'InvalidInputException', status: 400 });
      expect(
        await failure(org.send(new ListAccountsForParentCommand({ ParentId: 'r-ex12', MaxResults: 21 }))),
      ).toMatchObject({ name: 'InvalidInputException' });

      const { apiCalls } = await collectOrganization(org);
      expect(apiCalls.ListOrganizationalUnitsForParent).toBe(2 + 23);
    });
  });

  it('answers the errors AWS answers', async () => {
    await withSim(scenario(), async (sim) => {
      const org = client(sim);
      expect(
        await failure(
          org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'ou-ex12-missing1' })),
        ),
      ).toMatchObject({
        name: 'ParentNotFoundException',
        status: 400,
      });
      expect(await failure(org.send(new ListAccountsForParentCommand({ ParentId: 'prod' })))).toMatchObject({
        name: 'InvalidInputException',
      });
      expect(
        await failure(
          org.send(
            new ListPoliciesForTargetCommand({ TargetId: '999999999999', Filter: 'SERVICE_CONTROL_POLICY' }),
          ),
        ),
      ).toMatchObject({ name: 'TargetNotFoundException' });
      expect(
        await failure(
          org.send(new ListPoliciesForTargetCommand({ TargetId: PROD, Filter: 'NOT_A_TYPE' as never })),
        ),
      ).toMatchObject({ name: 'InvalidInputException' });
      expect(
        await failure(org.send(new DescribePolicyCommand({ PolicyId: 'p-nosuchpolicy' }))),
      ).toMatchObject({
        name: 'PolicyNotFoundException',
      });
      expect(await failure(client(sim, MEMBER).send(new ListRootsCommand({})))).toMatchObject({
        name: 'AccessDeniedException',
      });
    });
  });

  it('shows the normalised tree in /_sim/state, and that state loads again as a scenario', async () => {
    await withSim(scenario(), async (sim) => {
      const { body } = (await control(sim, 'GET', '/_sim/state')) as {
        body: { organization: Record<string, unknown> };
      };
      const state = body.organization;
      expect(state.rootId).toBe('r-ex12');
      expect(state.ous).toContainEqual({
        id: 'ou-ex12-teama001',
        name: 'team-a',
        parent: 'ou-ex12-prod0001',
        accounts: [PROD],
      });
      expect((state.policies as { targets: string[] }[])[0]!.targets).toEqual(['ou-ex12-prod0001']);
      expect((state.fullAWSAccess as string[]).length).toBe(1 + 3 + 4);
      const again = loadScenario({ accounts: scenario().accounts, organization: state });
      expect(again.organization).toEqual(state);
    });
  });

  it.each([
    [{ ous: [{ name: 'x', parent: 'nowhere' }] }, 'organization.ous[0].parent', /no root or OU "nowhere"/],
    [{ ous: [{ name: 'x', accounts: ['999999999999'] }] }, 'organization.ous[0].accounts[0]', /not a member/],
    [
      {
        ous: [
          { name: 'a', accounts: [PROD] },
          { name: 'b', accounts: [PROD] },
        ],
      },
      'organization.ous[1].accounts[0]',
      /already in/,
    ],
    [{ ous: [{ id: 'ou-bad', name: 'x' }] }, 'organization.ous[0].id', /is not an OU id/],
    [
      {
        ous: [
          { id: 'ou-ex12-aaaaaaaa', name: 'a', parent: 'b' },
          { id: 'ou-ex12-bbbbbbbb', name: 'b', parent: 'a' },
        ],
      },
      'organization.ous[0].parent',
      /cycle/,
    ],
    [
      { policies: [{ name: 'p', content: { Statement: [] }, targets: ['nope'] }] },
      'organization.policies[0].targets[0]',
      /no root, OU or member/,
    ],
    [
      { policies: [{ name: 'p', content: '{not json' }] },
      'organization.policies[0].content',
      /not valid JSON/,
    ],
    [
      { policies: [{ name: 'p', content: { Statement: [{ Sid: 'x'.repeat(5200) }] } }] },
      'organization.policies[0].content',
      /at most 5120/,
    ],
    [{ fullAWSAccess: ['r-ex12'] }, 'organization.fullAWSAccess', /would hold no SCP/],
    [
      {
        policies: Array.from({ length: 5 }, (_, i) => ({
          name: `p${i}`,
          content: { Statement: [] },
          targets: [PROD],
        })),
      },
      'organization.policies',
      /at most 5/,
    ],
    [
      { scpEnabled: false, policies: [{ name: 'p', content: { Statement: [] }, targets: [PROD] }] },
      'organization.policies[0].targets',
      /not enabled/,
    ],
    [
      { featureSet: 'CONSOLIDATED_BILLING' as const, scpEnabled: true },
      'organization.scpEnabled',
      /featureSet ALL/,
    ],
  ])('rejects a malformed tree %#, naming the field', (extra, path, problem) => {
    const base = scenario();
    const input = { ...base, organization: { ...base.organization!, ous: [], policies: [], ...extra } };
    try {
      loadScenario(input);
      expect.unreachable('the scenario should have been rejected');
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      expect((err as ScenarioError).path).toBe(path);
      expect((err as ScenarioError).problem).toMatch(problem);
    }
  });
});

describe('bks scp check against bks-sim', () => {
  it('reports inherited controls per account with one call per target and per distinct policy', async () => {
    await withSim(scenario(), async (sim) => {
      await control(sim, 'POST', '/_sim/stats/reset');
      const { code, out, err } = await bks(sim, '-o', 'json');
      expect(err).toBe('');
      expect(code).toBe(0);
      const report = JSON.parse(out) as {
        schema: string;
        accounts: {
          accountId: string;
          management: boolean;
          controls: { control: string; status: string; notDenied: string[]; deniedBy: string[] }[];
        }[];
        apiCalls: Record<string, number>;
        summary: { accountsWithGaps: number };
      };
      expect(report.schema).toBe('bks.scp-check/v1');
      const verdicts = (id: string) => report.accounts.find((a) => a.accountId === id)!.controls;
      const statuses = (id: string) => Object.fromEntries(verdicts(id).map((c) => [c.control, c.status]));
      expect(statuses(PROD)).toEqual({
        'api-key-max-age': 'in-force',
        'deny-api-keys': 'partial',
        'deny-long-term-api-keys': 'in-force',
        'deny-phantom-escalation': 'in-force',
        'deny-phantom-users': 'missing',
      });
      expect(verdicts(PROD).find((c) => c.control === 'deny-phantom-escalation')!.deniedBy).toEqual([
        'corp-phantom-lockdown',
      ]);
      // The baseline's 90-day policy in the sandbox: the never-expiring key gets through.
      const sandboxAge = verdicts(SANDBOX).find((c) => c.control === 'api-key-max-age')!;
      expect(sandboxAge.status).toBe('partial');
      expect(sandboxAge.notDenied).toContain('never-expiring Bedrock key (no age given)');
      expect(Object.values(statuses(LEGACY))).toEqual(Array(5).fill('missing'));
      expect(Object.values(statuses(MGMT))).toEqual(Array(5).fill('not-covered'));
      expect(report.summary.accountsWithGaps).toBe(3);

      // 1 root + 3 OUs list children; 1 + 3 + 4 targets list policies; 5 distinct policies.
      const expected = {
        DescribeOrganization: 1,
        ListRoots: 1,
        ListOrganizationalUnitsForParent: 4,
        ListAccountsForParent: 4,
        ListPoliciesForTarget: 8,
        DescribePolicy: 5,
      };
      expect(report.apiCalls).toEqual(expected);
      const { body } = (await control(sim, 'GET', '/_sim/stats')) as {
        body: { calls: Record<string, number> };
      };
      for (const [op, n] of Object.entries(expected)) expect(body.calls[`organizations:${op}`]).toBe(n);
    });
  });

  it('exits 1 with --fail-on missing; the table names the gaps and the management account', async () => {
    await withSim(scenario(), async (sim) => {
      const { code, out } = await bks(sim, '--fail-on', 'missing');
      expect(code).toBe(1);
      expect(out).toMatch(/Root\/prod\/team-a/);
      expect(out).toMatch(/management account: SCPs never apply/);
      expect(out).toMatch(/333333333333 api-key-max-age: PARTIAL, lets through: never-expiring Bedrock key/);
      const only = await bks(
        sim,
        '--fail-on',
        'missing',
        '--controls',
        'deny-long-term-api-keys',
        '-o',
        'markdown',
      );
      expect(only.code).toBe(1);
      expect(only.out).toContain('| Account | Name | Path | `long-term-api-keys` |');
    });
  });

  it('fails closed and exits 3 when part of the organization cannot be read', async () => {
    const input = scenario();
    input.faults = [
      {
        action: 'organizations:ListPoliciesForTarget',
        error: 'AccessDeniedException',
        where: { TargetId: 'ou-ex12-prod0001' },
      },
    ];
    await withSim(input, async (sim) => {
      const { code, out, err } = await bks(sim, '-o', 'json');
      expect(code).toBe(3);
      expect(err).toMatch(/ListPoliciesForTarget ou-ex12-prod0001 failed/);
      const report = JSON.parse(out) as {
        accounts: { accountId: string; controls: { status: string; reason?: string }[] }[];
        errors: unknown[];
      };
      expect(report.errors).toHaveLength(1);
      const prod = report.accounts.find((a) => a.accountId === PROD)!;
      expect(prod.controls.every((c) => c.status === 'unknown')).toBe(true);
      expect(prod.controls[0]!.reason).toMatch(/OU prod \(ou-ex12-prod0001\) could not be fully read/);
      // Accounts outside the unreadable OU are still judged.
      expect(report.accounts.find((a) => a.accountId === SANDBOX)!.controls[0]!.status).not.toBe('unknown');
    });
  });

  it('reports SCPs disabled on the root as every control missing', async () => {
    await withSim(scenario({ scpEnabled: false, policies: [] }), async (sim) => {
      const { code, out } = await bks(sim, '-o', 'json', '--fail-on', 'missing');
      expect(code).toBe(1);
      const report = JSON.parse(out) as {
        scpEnabled: boolean;
        accounts: { controls: { status: string; reason?: string }[] }[];
      };
      expect(report.scpEnabled).toBe(false);
      expect(report.accounts[1]!.controls[0]).toMatchObject({
        status: 'missing',
        reason: 'the SERVICE_CONTROL_POLICY type is not enabled on the root',
      });
    });
  });

  it('exits 3 with one line when a member account runs it', async () => {
    await withSim(scenario(), async (sim) => {
      const { code, out, err } = await bksAs(sim, MEMBER);
      expect(code).toBe(3);
      expect(out).toBe('');
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toMatch(/^bks: cannot read the organization: .*AccessDenied/);
    });
  });

  it('exits 3 with one line when the caller is not in an organization', async () => {
    const input = scenario();
    delete input.organization;
    await withSim(input, async (sim) => {
      const { code, out, err } = await bks(sim);
      expect(code).toBe(3);
      expect(out).toBe('');
      expect(err.trim()).toBe('bks: this account is not a member of an organization: no SCP can apply to it');
    });
  });
});
