/**
 * Read-only management events and rule states, through the rules the CDK app deploys: on AWS a rule
 * in state ENABLED never receives a read-only CloudTrail management event (Get/List/Describe…, and
 * Bedrock's InvokeModel, which CloudTrail records as read-only); only one in state
 * ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does (EventBridge user guide, "Receiving read-only
 * management events from AWS services"). bks-sim's EventBridge models that. Here the forwarder and
 * central rules of the synthesized template are deployed into bks-sim, a leaked key's call is made,
 * and the delivery trace shows the event reaching the central rule — and being kept out when the
 * forwarders are in the state every rule had before (ENABLED).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { deployedParts } from '../infra/deployed-pipeline';
import { type DeployedPipeline, deployedPipeline } from './deployed-pipeline';
import { ACCOUNT, API_KEY, SCENARIO } from './workflow-harness';

type Rule = { Name: string; State?: string; EventBusName?: string };
type Trace = {
  eventName?: string;
  eventBusName: string;
  rules: Array<{ ruleArn: string; state: string }>;
  skipped: Array<{ ruleArn: string; state: string; reason: string }>;
};

let pipeline: DeployedPipeline;
let sim: SimHandle | undefined;
beforeAll(() => {
  pipeline = deployedPipeline(ACCOUNT);
}, 300_000);
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function deploy(forwarderState?: string): Promise<SimHandle> {
  const parts = deployedParts(ACCOUNT, { 'us-east-1': { Resources: pipeline.resources } });
  const rules = parts.eventBridge.rules as unknown as Rule[];
  if (forwarderState) for (const r of rules) if (r.Name.startsWith('bks-fwd-')) r.State = forwarderState;
  const s = structuredClone(SCENARIO) as { accounts: Array<Record<string, unknown>> };
  // The forwarders' target role: bks-sim delivers to the central bus as a session of it.
  const forwardRole = pipeline.roles.filter((r) => /ForwardRole/.test(r.name));
  expect(forwardRole).toHaveLength(1);
  Object.assign(s.accounts[0]!, {
    roles: [...((s.accounts[0]!.roles as unknown[]) ?? []), ...forwardRole],
    eventBridge: parts.eventBridge,
    sqs: parts.sqs,
    cloudtrail: {
      trails: [
        {
          Name: 'org-trail',
          HomeRegion: 'us-east-1',
          IsMultiRegionTrail: true,
          S3BucketName: 'trail-bucket',
          EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }],
        },
      ],
    },
  });
  return startSim({ port: 0, scenario: s });
}

async function invokeWithLeakedKey(h: SimHandle): Promise<Trace> {
  const res = await fetch(`${h.url}/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await h.deliveriesSettled();
  const { deliveries } = (await (await fetch(`${h.url}/_sim/deliveries`)).json()) as {
    deliveries: Trace[];
  };
  const onDefault = deliveries.find((d) => d.eventName === 'InvokeModel' && d.eventBusName === 'default');
  expect(onDefault).toBeDefined();
  return onDefault!;
}

describe('read-only management events and the deployed rules’ states', () => {
  it('the bearer-use forwarder is deployed in the state that receives read-only events, and the event reaches the central rule', async () => {
    sim = await deploy();
    const trace = await invokeWithLeakedKey(sim);
    const fwd = trace.rules.find((r) => r.ruleArn.endsWith('/bks-fwd-BKS-010-BEDROCK'));
    expect(fwd?.state).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    const { deliveries } = (await (await fetch(`${sim.url}/_sim/deliveries`)).json()) as {
      deliveries: Trace[];
    };
    const central = deliveries.find((d) => d.eventName === 'InvokeModel' && d.eventBusName === 'bks-central');
    expect(central?.rules.map((r) => r.ruleArn.split('/').pop())).toContain('bks-BKS-010-BEDROCK');
    expect(central?.rules.every((r) => r.state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS')).toBe(
      true,
    );
  }, 120_000);

  it('with every forwarder in state ENABLED (as before), none receives it: the detection is blind, as on AWS', async () => {
    sim = await deploy('ENABLED');
    const trace = await invokeWithLeakedKey(sim);
    expect(trace.rules.map((r) => r.ruleArn)).not.toContainEqual(expect.stringMatching(/BKS-010-BEDROCK$/));
    expect(trace.skipped).toContainEqual(
      expect.objectContaining({
        ruleArn: expect.stringMatching(/\/bks-fwd-BKS-010-BEDROCK$/),
        state: 'ENABLED',
        reason: expect.stringContaining('read-only'),
      }),
    );
    const { deliveries } = (await (await fetch(`${sim.url}/_sim/deliveries`)).json()) as {
      deliveries: Trace[];
    };
    expect(deliveries.some((d) => d.eventName === 'InvokeModel' && d.eventBusName === 'bks-central')).toBe(
      false,
    );
  }, 120_000);
});
