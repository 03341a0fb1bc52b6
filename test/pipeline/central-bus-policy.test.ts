/**
 * Who may put events on the central bus (issue: a `bks.detect` threshold event becomes a HIGH
 * incident, and an auto-revocation when HIGH is in `autoRevoke`). The bus and its resource policy
 * come from the synthesized template; bks-sim authorizes each PutEvents entry with its IAM engine
 * (@cloud-copilot/iam-simulate) over the caller's identity policies AND the bus policy, with
 * `events:source` in the request context, as EventBridge does. So the test fails where AWS would
 * let a forged threshold event through.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';

const SECURITY = '123456789012';
const MEMBER = '210987654321';
const ORG = 'o-abc123def4';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const KEYS = { accessKeyId: 'AKIAORGADMIN00000001', secretAccessKey: 'x' };

let pipeline: DeployedPipeline;
let sim: SimHandle;

beforeAll(async () => {
  pipeline = deployedPipeline(SECURITY, { organizationId: ORG });
  sim = await startSim({
    port: 0,
    scenario: {
      now: '2026-11-09T03:00:00Z',
      organization: {
        id: ORG,
        managementAccount: SECURITY,
        accounts: [
          { id: SECURITY, name: 'security', email: 'sec@example.com' },
          { id: MEMBER, name: 'member', email: 'member@example.com' },
        ],
      },
      accounts: [
        {
          id: SECURITY,
          regions: ['us-east-1'],
          roles: [
            ...pipeline.roles,
            // Any other principal of the security account, however privileged.
            { name: 'soc-admin', trustedAccounts: [SECURITY], managedPolicies: [ADMIN] },
          ],
          eventBridge: {
            buses: [
              {
                Name: pipeline.busName,
                Region: 'us-east-1',
                Policy: JSON.stringify(pipeline.busPolicy),
              },
            ],
          },
        },
        {
          id: MEMBER,
          regions: ['us-east-1'],
          roles: [{ name: 'member-admin', trustedAccounts: [SECURITY], managedPolicies: [ADMIN] }],
        },
      ],
    },
  });
}, 300_000);
afterAll(() => sim?.close());

async function as(account: string, role: string) {
  const sts = new STSClient({ endpoint: sim.url, region: 'us-east-1', credentials: KEYS });
  const c = (
    await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'test' }),
    )
  ).Credentials!;
  sts.destroy();
  return new EventBridgeClient({
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  });
}

const busArn = () => `arn:aws:events:us-east-1:${SECURITY}:event-bus/${pipeline.busName}`;

async function put(client: EventBridgeClient, source: string): Promise<string> {
  try {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busArn(),
            Source: source,
            DetailType: 'bks threshold reached',
            Detail: JSON.stringify({ ruleId: 'BKS-017', severity: 'HIGH' }),
          },
        ],
      }),
    );
    return out.FailedEntryCount === 0 ? 'accepted' : String(out.Entries?.[0]?.ErrorCode);
  } catch (e) {
    return (e as Error).name;
  } finally {
    client.destroy();
  }
}

describe('the central bus policy from the synthesized template, judged by the IAM engine', () => {
  it('the policy carries the Deny of bks.detect for every principal but the stateful function', () => {
    expect(JSON.stringify(pipeline.busPolicy)).toContain('bks.detect');
    expect(JSON.stringify(pipeline.busPolicy)).toContain('role/bks/bks-fn-stateful');
  });

  it("accepts the stateful function's own threshold event", async () => {
    expect(await put(await as(SECURITY, 'bks/bks-fn-stateful'), 'bks.detect')).toBe('accepted');
  });

  it('refuses a bks.detect event from another principal of the security account, even an administrator', async () => {
    expect(await put(await as(SECURITY, 'soc-admin'), 'bks.detect')).toBe('AccessDeniedException');
  });

  it('refuses a bks.detect event put directly by a principal of another account of the organization', async () => {
    expect(await put(await as(MEMBER, 'member-admin'), 'bks.detect')).toBe('AccessDeniedException');
  });

  it('refuses any direct PutEvents from another account (only rules forwarding AWS events are allowed)', async () => {
    expect(await put(await as(MEMBER, 'member-admin'), 'acme.custom')).toBe('AccessDeniedException');
  });

  it('the same administrator of the security account may still put other events (its identity policy allows)', async () => {
    expect(await put(await as(SECURITY, 'soc-admin'), 'acme.custom')).toBe('accepted');
  });
});
