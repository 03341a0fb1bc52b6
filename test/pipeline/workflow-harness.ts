/**
 * The workflow tests' fixture: a one-account scenario with a console phantom and its key, run
 * through the shared local runner (local/workflow.ts: bks-sim, the workflow deployed into its Step
 * Functions, the local engine with the real handlers).
 */
import { randomBytes } from 'node:crypto';
import { LocalPipeline, type PipelineDeployment } from '../../local/workflow';

export type { Analyst, Doc, RunOutcome } from '../../local/workflow';

export const ACCOUNT = '123456789012';
export const USER = 'BedrockAPIKey-q7xk';
export const CRED_ID = 'ACCAEXAMPLECRED00001';
/** Built from parts at run time: no key literal in the repository. */
export const SECRET = randomBytes(24).toString('base64url');
export const API_KEY = `ABSK${Buffer.from(`${USER}-at-${ACCOUNT}:${SECRET}`).toString('base64')}`;

export const SCENARIO = {
  now: '2026-11-09T03:00:00Z',
  accounts: [
    {
      id: ACCOUNT,
      regions: ['us-east-1', 'us-west-2'],
      // bks-sim evaluates every call against the role's policies: until these roles are loaded
      // from the synthesized CDK template, they may do anything.
      roles: ['bks-reader', 'bks-revoker', 'bks-findings'].map((name) => ({
        name,
        trustedAccounts: [ACCOUNT],
        managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
      })),
      users: [
        {
          name: USER,
          createdAt: '2026-11-02T09:14:05Z',
          managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
          serviceCredentials: [
            {
              id: CRED_ID,
              service: 'bedrock.amazonaws.com',
              secret: SECRET,
              status: 'Active',
              createdAt: '2026-11-02T09:14:06Z',
              expiresAt: null,
            },
          ],
        },
        { name: 'break-glass', createdAt: '2026-01-01T00:00:00Z' },
      ],
    },
  ],
};

export class Harness extends LocalPipeline {
  /** `scenario`: another scenario for the run (default SCENARIO). */
  /** `deployment`: run as the pipeline the CDK app deploys (see local/workflow.ts). */
  constructor(scenario: object = SCENARIO, deployment?: PipelineDeployment) {
    super({
      scenario,
      ...(deployment ? { deployment } : {}),
      account: ACCOUNT,
      credentials: { accessKeyId: 'AKIAPIPELINETEST0001', secretAccessKey: 'pipeline-test' },
    });
  }

  async credentialStatus(): Promise<string> {
    const state = await this.simGet<{
      accounts: Array<{
        users: Array<{ name: string; serviceCredentials?: Array<{ id: string; status: string }> }>;
      }>;
    }>('/_sim/state');
    const user = state.accounts[0]!.users.find((u) => u.name === USER);
    return user?.serviceCredentials?.find((c) => c.id === CRED_ID)?.status ?? 'absent';
  }

  /** A Bedrock runtime call with the leaked key, as an attacker would make it. */
  async bearerCall(key: string = API_KEY): Promise<number> {
    const res = await fetch(`${this.sim.url}/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    return res.status;
  }
}
