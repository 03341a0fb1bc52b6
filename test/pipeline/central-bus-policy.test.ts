/**
 * Who may put events on the central bus (issue: a `bks.detect` threshold event becomes a HIGH
 * incident, and an auto-revocation when HIGH is in `autoRevoke`). The bus and its resource policy
 * come from the synthesized template; bks-sim authorizes each PutEvents entry with its IAM engine
 * (@cloud-copilot/iam-simulate) over the caller's identity policies AND the bus policy, with
 * `events:source` in the request context, as EventBridge does. So the test fails where AWS would
 * let a forged threshold event through. The forwarding path too: a rule on a member account's
 * default bus, made through the EventBridge API, targets the central bus with the forwarders' role
 * (the template's `ForwardRole` policy); bks-sim judges that delivery as a PutEvents by the role's
 * session with the bus policy, so an account of the organization gets its events through and an
 * account outside it does not.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';

const SECURITY = '123456789012';
const MEMBER = '210987654321';
/** An account outside the organization. */
const OUTSIDER = '555566667777';
const ORG = 'o-abc123def4';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const KEYS = { accessKeyId: 'AKIAORGADMIN00000001', secretAccessKey: 'x' };

let pipeline: DeployedPipeline;
let sim: SimHandle;

/** What an account that forwards to the central bus has: the forwarders' role and a trail. */
function forwardingAccount(id: string) {
  const forwarder = pipeline.roles.find((r) => /ForwardRole/.test(r.name));
  if (!forwarder) throw new Error('the template has no forwarder role');
  return {
    id,
    regions: ['us-east-1'],
    roles: [
      { name: 'account-admin', trustedAccounts: [SECURITY], managedPolicies: [ADMIN] },
      { name: 'bks-forward', inlinePolicies: forwarder.inlinePolicies },
    ],
    cloudtrail: {
      trails: [
        {
          Name: 'trail',
          HomeRegion: 'us-east-1',
          IsMultiRegionTrail: true,
          S3BucketName: 'trail-bucket',
          EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
        },
      ],
    },
  };
}

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
          ...forwardingAccount(MEMBER),
          roles: [
            ...forwardingAccount(MEMBER).roles,
            { name: 'member-admin', trustedAccounts: [SECURITY], managedPolicies: [ADMIN] },
          ],
        },
        forwardingAccount(OUTSIDER),
      ],
    },
  });
}, 300_000);
afterAll(() => sim?.close());

async function session(account: string, role: string) {
  const sts = new STSClient({ endpoint: sim.url, region: 'us-east-1', credentials: KEYS });
  const c = (
    await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'test' }),
    )
  ).Credentials!;
  sts.destroy();
  return {
    endpoint: sim.url,
    region: 'us-east-1',
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  };
}

async function as(account: string, role: string) {
  return new EventBridgeClient(await session(account, role));
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

type Delivery = {
  account: string;
  eventBusName: string;
  eventName?: string;
  eventId: string;
  rules: Array<{ ruleArn: string; targets: Array<{ outcome: string; error?: string }> }>;
};

describe('forwarding to the central bus: the delivery judged by the IAM engine with the bus policy', () => {
  /**
   * In `account`, through the EventBridge API: a forwarder rule for IAM's CloudTrail events on the
   * default bus targeting the central bus with the role `bks-forward`; then an IAM change there.
   * Returns how bks-sim delivered the change's event: the forwarder's target outcome, and whether
   * the central bus received it.
   */
  async function forwardFrom(account: string, user: string) {
    const config = await session(account, 'account-admin');
    const eb = new EventBridgeClient(config);
    await eb.send(
      new PutRuleCommand({ Name: 'bks-fwd-test', EventPattern: JSON.stringify({ source: ['aws.iam'] }) }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: 'bks-fwd-test',
        Targets: [{ Id: 'central', Arn: busArn(), RoleArn: `arn:aws:iam::${account}:role/bks-forward` }],
      }),
    );
    eb.destroy();
    const iam = new IAMClient(config);
    await iam.send(new CreateUserCommand({ UserName: user }));
    iam.destroy();
    await sim.deliveriesSettled();
    const { deliveries } = (await (await fetch(`${sim.url}/_sim/deliveries`)).json()) as {
      deliveries: Delivery[];
    };
    const of = deliveries.filter((d) => d.eventName === 'CreateUser');
    const onDefault = of.findLast((d) => d.account === account && d.eventBusName === 'default');
    const forwarder = onDefault?.rules.find((r) => r.ruleArn.endsWith('/bks-fwd-test'))?.targets[0];
    return {
      forwarder,
      centralReceived: of.some(
        (d) =>
          d.eventId === onDefault?.eventId && d.account === SECURITY && d.eventBusName === pipeline.busName,
      ),
    };
  }

  it('an account of the organization gets its events onto the central bus', async () => {
    const got = await forwardFrom(MEMBER, 'member-new-user');
    expect(got.forwarder?.error).toBeUndefined();
    expect(got.forwarder).toMatchObject({ outcome: 'forwarded' });
    expect(got.centralReceived).toBe(true);
  });

  it('an account outside the organization is refused: the delivery fails, the central bus never sees it', async () => {
    const got = await forwardFrom(OUTSIDER, 'outsider-new-user');
    expect(got.forwarder?.outcome).toBe('failed');
    expect(got.forwarder?.error).toContain(`may not put events on ${busArn()}`);
    expect(got.centralReceived).toBe(false);
  });
});
