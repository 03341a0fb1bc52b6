/**
 * Issue 13 item 12, live: GuardDuty AI Protection findings through the same workflow. bks-sim's
 * GuardDuty raises `Impact:IAMUser/AnomalousModelInvocation` about a phantom user of a member
 * account (`POST /_sim/guardduty/findings`, published as a "GuardDuty Finding" event on that
 * account's default bus); the forwarder `bks-fwd-BKS-019` carries it to the central bus, `bks-BKS-019`
 * hands it to the dispatch function, and the workflow opens ONE incident for that user — one
 * execution, one Security Hub finding, one approval request — and a second finding about the same
 * user joins it instead of opening another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import { until } from '../helpers/until';

const SEC = '111111111111';
const MEMBER = '222222222222';
const PHANTOM = 'BedrockAPIKey-gd01';

const scenario = () => ({
  now: new Date().toISOString(),
  accounts: [
    { id: SEC, regions: ['us-east-1'] },
    {
      id: MEMBER,
      regions: ['us-east-1'],
      users: [
        {
          name: PHANTOM,
          id: 'AIDAGDUTYPHANTOM0001',
          managedPolicies: ['arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'],
          serviceCredentials: [{ service: 'bedrock.amazonaws.com' }],
        },
      ],
      guardDuty: {
        detectors: [
          {
            DetectorId: '12abc34d567e8fa901bc2d34e56789f0',
            Status: 'ENABLED',
            Features: [{ Name: 'AI_PROTECTION', Status: 'ENABLED' }],
          },
        ],
      },
    },
  ],
});

interface Delivery {
  source: string;
  account: string;
  eventBusName: string;
  rules: Array<{ ruleArn: string; targets: Array<{ outcome: string }> }>;
}

describe('GuardDuty live in bks-sim --pipeline', () => {
  let p: LivePipeline;
  afterEach(async () => {
    await p?.stop();
  });

  const raise = async (type: string) => {
    const res = await fetch(`${p.sim.url}/_sim/guardduty/findings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ account: MEMBER, region: 'us-east-1', type, userName: PHANTOM, severity: 8 }),
    });
    expect(res.status).toBe(200);
    await p.sim.deliveriesSettled();
  };
  const findings = async () =>
    (
      (await (await fetch(`${p.sim.url}/_sim/findings`)).json()) as {
        findings: Array<Record<string, unknown>>;
      }
    ).findings;

  it('an AI Protection finding about a phantom user reaches BKS-019 and ends in one incident for that user', async () => {
    p = new LivePipeline({ scenario: scenario() });
    await p.start();
    await raise('Impact:IAMUser/AnomalousModelInvocation');

    // How it travelled: the member's default bus → bks-fwd-BKS-019 → bks-central → bks-BKS-019.
    const { deliveries } = (await (await fetch(`${p.sim.url}/_sim/deliveries`)).json()) as {
      deliveries: Delivery[];
    };
    const gd = deliveries.filter((d) => d.source === 'aws.guardduty');
    const matched = (account: string, bus: string) =>
      gd
        .filter((d) => d.account === account && d.eventBusName === bus)
        .flatMap((d) => d.rules.map((r) => r.ruleArn.split('/').pop()));
    expect(matched(MEMBER, 'default')).toEqual(['bks-fwd-BKS-019']);
    expect(matched(SEC, 'bks-central')).toEqual(['bks-BKS-019']);

    // One incident: one execution, which raises one finding and asks once.
    const asked = await until('the approval request', () => p.traces.find((t) => t.taskToken));
    expect(p.traces).toHaveLength(1);
    const [finding, ...others] = await until('the finding', async () => {
      const f = await findings();
      return f.length > 0 ? f : undefined;
    });
    // On failure, every finding's identity: which import made the extra one.
    const ids = [finding, ...others].map(
      (f) => `${f!['Id']} ${f!['GeneratorId']} ${f!['ProductArn']} ${f!['CreatedAt']}`,
    );
    expect(others, ids.join('\n')).toEqual([]);
    expect(finding!['AwsAccountId']).toBe(MEMBER);
    const text = JSON.stringify(finding);
    expect(text).toContain(`arn:aws:iam::${MEMBER}:user/${PHANTOM}`);
    expect(text).toContain('Impact:IAMUser/AnomalousModelInvocation');
    expect(String(asked.finding?.id)).toBe(finding!['Id']);

    // GuardDuty reports the same user again (another finding type): the open incident holds it.
    await raise('Impact:IAMUser/CostHarvesting');
    await until('the second dispatch to finish', async () => {
      const { invocations } = (await (await fetch(`${p.sim.url}/_sim/lambda/invocations`)).json()) as {
        invocations: Array<{ functionArn: string; outcome: string }>;
      };
      const dispatches = invocations.filter((i) => i.functionArn.endsWith(':function:bks-dispatch'));
      return dispatches.length === 2 && dispatches.every((i) => i.outcome === 'succeeded') ? true : undefined;
    });
    expect(p.traces).toHaveLength(1);
    expect(await findings()).toHaveLength(1);
  }, 120_000);
});
