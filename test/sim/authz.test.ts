/**
 * bks-sim's IAM authorization (sim/authz.ts, judged by @cloud-copilot/iam-simulate) over the wire
 * with the real SDK v3 clients: a scenario principal's own identity policies (Allow and Deny),
 * its permissions boundary, the SCPs of its account's OU chain (never in the management account),
 * the request's own condition keys, AWS's AccessDenied wording per policy type, and the decision
 * cache (repeated calls cost no new evaluation).
 */
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  GetUserCommand,
  IAMClient,
  ListUsersCommand,
} from '@aws-sdk/client-iam';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { engineEvaluations } from '../../sim/authz';
import { loadScenario, type Scenario, ScenarioError } from '../../sim/scenario';
import { clientConfig, failure, withSim } from './harness';

const MGMT = '111111111111';
const PROD = '222222222222';
const READER = 'AKIAEXAMPLEREADER001';
const BOUNDED = 'AKIAEXAMPLEBOUNDED01';
const ADMIN = 'AKIAEXAMPLEADMIN0001';
const PROD_ADMIN = 'AKIAEXAMPLEPRODADMN1';
const MGMT_ADMIN = 'AKIAEXAMPLEMGMTADMN1';
const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

const denyKeys = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Deny',
      Action: 'iam:CreateServiceSpecificCredential',
      Resource: '*',
      Condition: { StringEquals: { 'iam:ServiceSpecificCredentialServiceName': 'bedrock.amazonaws.com' } },
    },
  ],
};

const scenario: Scenario = {
  principals: [
    {
      accessKeyId: READER,
      account: MGMT,
      arn: `arn:aws:iam::${MGMT}:user/reader`,
      managedPolicies: ['arn:aws:iam::aws:policy/IAMReadOnlyAccess'],
    },
    {
      accessKeyId: BOUNDED,
      account: MGMT,
      arn: `arn:aws:iam::${MGMT}:user/bounded`,
      managedPolicies: [ADMIN_POLICY],
      permissionsBoundary: 'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
    },
    {
      accessKeyId: ADMIN,
      account: MGMT,
      arn: `arn:aws:iam::${MGMT}:user/admin`,
      inlinePolicies: {
        all: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        noKeys: denyKeys,
      },
    },
    {
      accessKeyId: PROD_ADMIN,
      account: PROD,
      arn: `arn:aws:iam::${PROD}:user/ops`,
      managedPolicies: [ADMIN_POLICY],
    },
    {
      accessKeyId: MGMT_ADMIN,
      account: MGMT,
      arn: `arn:aws:iam::${MGMT}:user/root-ops`,
      managedPolicies: [ADMIN_POLICY],
    },
  ],
  accounts: [
    { id: MGMT, users: [{ name: 'alice' }] },
    { id: PROD, users: [{ name: 'bob' }] },
  ],
  organization: {
    id: 'o-exampleorg1',
    managementAccount: MGMT,
    rootId: 'r-ex12',
    accounts: [
      { id: MGMT, name: 'management' },
      { id: PROD, name: 'prod' },
    ],
    ous: [
      { id: 'ou-ex12-prod0001', name: 'prod' },
      { id: 'ou-ex12-teama001', name: 'team-a', parent: 'prod', accounts: [PROD] },
    ],
    policies: [
      {
        id: 'p-nobedrock1',
        name: 'no-bedrock-invoke',
        // Attached to the parent OU: it applies to PROD through the OU chain.
        content: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'bedrock:InvokeModel', Resource: '*' }],
        }),
        targets: ['prod'],
      },
      {
        id: 'p-nokeys0001',
        name: 'no-api-keys',
        content: JSON.stringify(denyKeys),
        targets: ['r-ex12'],
      },
    ],
  },
};

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

describe('bks-sim authorizes every call as AWS would', () => {
  it("evaluates a principal's own policies: Allow, implicit deny, explicit deny on a request condition key", async () => {
    await withSim(scenario, async (sim) => {
      const reader = new IAMClient(clientConfig(sim, READER, { maxAttempts: 1 }));
      expect((await reader.send(new ListUsersCommand({}))).Users?.map((u) => u.UserName)).toEqual(['alice']);
      expect(await failure(reader.send(new CreateUserCommand({ UserName: 'x' })))).toMatchObject({
        name: 'AccessDenied',
        status: 403,
        message: `User: arn:aws:iam::${MGMT}:user/reader is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${MGMT}:user/x because no identity-based policy allows the iam:CreateUser action`,
      });
      const admin = new IAMClient(clientConfig(sim, ADMIN, { maxAttempts: 1 }));
      await admin.send(new CreateUserCommand({ UserName: 'carol' }));
      // The Deny matches on the request's own key (iam:ServiceSpecificCredentialServiceName).
      expect(
        await failure(
          admin.send(
            new CreateServiceSpecificCredentialCommand({
              UserName: 'carol',
              ServiceName: 'bedrock.amazonaws.com',
            }),
          ),
        ),
      ).toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(/with an explicit deny in an identity-based policy$/),
      });
      const codecommit = await admin.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'carol',
          ServiceName: 'codecommit.amazonaws.com',
        }),
      );
      expect(codecommit.ServiceSpecificCredential?.ServiceName).toBe('codecommit.amazonaws.com');
    });
  });

  it('a permissions boundary caps what the identity policies allow', async () => {
    await withSim(scenario, async (sim) => {
      const bounded = new IAMClient(clientConfig(sim, BOUNDED, { maxAttempts: 1 }));
      await bounded.send(new GetUserCommand({ UserName: 'alice' }));
      expect(await failure(bounded.send(new CreateUserCommand({ UserName: 'y' })))).toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(/because no permissions boundary allows the iam:CreateUser action$/),
      });
    });
  });

  it("SCPs of the account's OU chain apply to members, never to the management account", async () => {
    await withSim(scenario, async (sim) => {
      const bedrock = (key: string) =>
        new BedrockRuntimeClient({
          ...clientConfig(sim, key, { maxAttempts: 1 }),
          requestHandler: new NodeHttpHandler(),
        });
      const invoke = new InvokeModelCommand({ modelId: MODEL, body: JSON.stringify({ messages: [] }) });
      expect(await failure(bedrock(PROD_ADMIN).send(invoke))).toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(/with an explicit deny in a service control policy$/),
      });
      await bedrock(MGMT_ADMIN).send(invoke);
      // The root's SCP reaches PROD too; the management account is exempt.
      const prod = new IAMClient(clientConfig(sim, PROD_ADMIN, { maxAttempts: 1 }));
      expect(
        await failure(
          prod.send(
            new CreateServiceSpecificCredentialCommand({
              UserName: 'bob',
              ServiceName: 'bedrock.amazonaws.com',
            }),
          ),
        ),
      ).toMatchObject({ message: expect.stringMatching(/service control policy$/) });
      const mgmt = new IAMClient(clientConfig(sim, MGMT_ADMIN, { maxAttempts: 1 }));
      await mgmt.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: 'alice',
          ServiceName: 'bedrock.amazonaws.com',
        }),
      );
    });
  });

  it('caches decisions: repeated calls evaluate nothing new', async () => {
    await withSim(scenario, async (sim) => {
      const reader = new IAMClient(clientConfig(sim, READER));
      await reader.send(new ListUsersCommand({}));
      const before = engineEvaluations();
      for (let i = 0; i < 20; i++) await reader.send(new ListUsersCommand({}));
      expect(engineEvaluations()).toBe(before);
    });
  });

  it('principal policy fields are validated like a user’s', () => {
    const bad = structuredClone(scenario);
    (bad.principals?.[0] as { managedPolicies: unknown }).managedPolicies = ['not-an-arn'];
    expect(() => loadScenario(bad)).toThrow(ScenarioError);
    expect(() => loadScenario(bad)).toThrow(/principals\[0\]\.managedPolicies\[0\]/);
  });
});
