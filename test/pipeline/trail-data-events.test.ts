/**
 * Behaviour, not only template shape: the advanced event selectors the organization trail option
 * deploys (infra/trail.ts `trailSelectors()`), given to bks-sim's CloudTrail as a trail, let every
 * Bedrock and bedrock-mantle data event detection needs through to EventBridge, and a trail logging
 * management events only lets none of them through (data events reach EventBridge only where a
 * trail selects them). The delivery trace is read over HTTP; an EventBridge rule made with the SDK
 * receives what the trail logged.
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { trailSelectors } from '../../infra/trail';
import type { SimHandle } from '../../sim/server';
import { type DeliveryTrace, publishCloudTrailRecord } from '../../sim/services/events';
import { ruleStateFor } from '../../src/pipeline/rule-state';
import { ACCOUNT_A, clientConfig, control, withSim } from '../sim/harness';

/** The trail's selectors in the form DescribeTrails/GetEventSelectors give them. */
function deployedSelectors(): Array<{
  Name?: string;
  FieldSelectors: Array<{ Field: string; Equals: string[] }>;
}> {
  return trailSelectors().map((s) => ({
    ...(s.name ? { Name: s.name } : {}),
    FieldSelectors: (s.fieldSelectors as Array<{ field: string; equalTo: string[] }>).map((f) => ({
      Field: f.field,
      Equals: f.equalTo,
    })),
  }));
}

/**
 * One data event per resource type the docs name (source, a call, the type). Where no AWS page names
 * a call of that type the name is a placeholder: the selectors do not filter on names.
 */
const DATA_EVENTS: Array<[string, string, string]> = [
  ['bedrock.amazonaws.com', 'InvokeAgent', 'AWS::Bedrock::AgentAlias'],
  ['bedrock.amazonaws.com', 'Retrieve', 'AWS::Bedrock::KnowledgeBase'],
  ['bedrock.amazonaws.com', 'InvokeFlow', 'AWS::Bedrock::FlowAlias'],
  ['bedrock.amazonaws.com', 'ApplyGuardrail', 'AWS::Bedrock::Guardrail'],
  ['bedrock.amazonaws.com', 'PromptCall', 'AWS::Bedrock::PromptVersion'],
  ['bedrock.amazonaws.com', 'ModelCall', 'AWS::Bedrock::Model'],
  ['bedrock.amazonaws.com', 'AsyncInvokeCall', 'AWS::Bedrock::AsyncInvoke'],
  ['bedrock.amazonaws.com', 'InlineAgentCall', 'AWS::Bedrock::InlineAgent'],
  ['bedrock-mantle.amazonaws.com', 'CreateInference', 'AWS::BedrockMantle::Project'],
  ['bedrock-mantle.amazonaws.com', 'MantleCall', 'AWS::BedrockMantle::CustomizedModel'],
  ['bedrock-mantle.amazonaws.com', 'MantleReservationCall', 'AWS::BedrockMantle::Reservation'],
];

function record(
  i: number,
  [eventSource, eventName, type]: [string, string, string],
): Record<string, unknown> {
  return {
    eventVersion: '1.11',
    eventTime: '2026-11-20T12:00:00Z',
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    eventID: `data-${i}`,
    eventType: 'AwsApiCall',
    readOnly: false,
    managementEvent: false,
    eventCategory: 'Data',
    requestParameters: { callWithBearerToken: true },
    resources: [{ type, ARN: `arn:aws:${eventSource.split('.')[0]}:eu-west-1:${ACCOUNT_A}:x/${i}` }],
    recipientAccountId: ACCOUNT_A,
  };
}

function scenario(trail: Record<string, unknown>): never {
  return {
    accounts: [
      {
        id: ACCOUNT_A,
        regions: ['eu-west-1'],
        cloudtrail: {
          trails: [
            {
              Name: 'org',
              HomeRegion: 'us-east-1',
              IsMultiRegionTrail: true,
              S3BucketName: 'logs',
              ...trail,
            },
          ],
        },
      },
    ],
  } as never;
}

/** Sends every data event and returns, per event name, the trails that logged it and the rules that got it. */
async function send(sim: SimHandle): Promise<Record<string, { trails: number; rules: number }>> {
  const pattern = {
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: { requestParameters: { callWithBearerToken: [true] } },
  };
  const eb = new EventBridgeClient(clientConfig(sim, 'AKIDSIMTEST', { region: 'eu-west-1', maxAttempts: 1 }));
  await eb.send(
    new PutRuleCommand({
      Name: 'bearer',
      EventPattern: JSON.stringify(pattern),
      State: ruleStateFor(pattern),
    }),
  );
  await eb.send(
    new PutTargetsCommand({
      Rule: 'bearer',
      Targets: [{ Id: 'fn', Arn: `arn:aws:lambda:eu-west-1:${ACCOUNT_A}:function:f` }],
    }),
  );
  eb.destroy();
  DATA_EVENTS.forEach((e, i) => {
    publishCloudTrailRecord(sim.ctx, ACCOUNT_A, record(i, e));
  });
  await sim.deliveriesSettled();
  const res = (await control(sim, 'GET', '/_sim/deliveries')) as { body: { deliveries: DeliveryTrace[] } };
  return Object.fromEntries(
    res.body.deliveries
      .filter((d) => d.cloudTrailEventId?.startsWith('data-'))
      .map((d) => [d.eventName, { trails: d.trails?.length ?? 0, rules: d.rules.length }]),
  );
}

describe('the organization trail’s selectors deliver the data events detection needs', () => {
  it('every Bedrock and bedrock-mantle data event reaches EventBridge through the deployed selectors', async () => {
    await withSim(scenario({ AdvancedEventSelectors: deployedSelectors() }), async (sim) => {
      const got = await send(sim);
      for (const [, name] of DATA_EVENTS) expect(got[name], name).toEqual({ trails: 1, rules: 1 });
    });
  });

  it('a trail logging management events only delivers none of them', async () => {
    const managementOnly = {
      AdvancedEventSelectors: [
        { Name: 'm', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      ],
    };
    await withSim(scenario(managementOnly), async (sim) => {
      const got = await send(sim);
      for (const [, name] of DATA_EVENTS) expect(got[name], name).toEqual({ trails: 0, rules: 0 });
    });
  });
});
