/**
 * bks-sim's EventBridge over the wire with the real SDK clients, and its delivery of the
 * simulator's own CloudTrail records as EventBridge does it: only where a trail logs the record,
 * read-only management events only to rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, none
 * to disabled rules; targets: SQS queues, event buses (cross-account with a bus policy) and the
 * in-process hook, with dead-letter queues for failed deliveries (a Lambda function's own errors are
 * Lambda's: test/sim/lambda.test.ts).
 */
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../sim/server';
import type { DeliveryTrace, EventBridgeEvent } from '../../sim/services/events';
import { mantleSelector, trailRecord } from '../helpers/cloudtrail';
import { ACCOUNT_A, ACCOUNT_B, clientConfig, control, failure, withSim } from './harness';

const LAMBDA = `arn:aws:lambda:us-east-1:${ACCOUNT_A}:function:forwarder`;
const IAM_PATTERN = JSON.stringify({ source: ['aws.iam'], 'detail-type': ['AWS API Call via CloudTrail'] });
const STS_PATTERN = JSON.stringify({ source: ['aws.sts'], detail: { eventName: ['AssumeRole'] } });

function scenario(extra: Record<string, unknown> = {}): never {
  return {
    accounts: [
      {
        id: ACCOUNT_A,
        regions: ['us-east-1', 'us-west-2'],
        roles: [{ name: 'Analyst', trustedAccounts: [ACCOUNT_A] }],
        ...extra,
      },
    ],
  } as never;
}

const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function eb(sim: SimHandle, region = 'us-east-1'): EventBridgeClient {
  const c = new EventBridgeClient(clientConfig(sim, 'AKIDSIMTEST', { region, maxAttempts: 1 }));
  clients.push(c);
  return c;
}

async function createUser(sim: SimHandle, name: string): Promise<void> {
  const iam = new IAMClient(clientConfig(sim));
  clients.push(iam);
  await iam.send(new CreateUserCommand({ UserName: name }));
}

async function assumeRole(sim: SimHandle): Promise<void> {
  const sts = new STSClient(clientConfig(sim));
  clients.push(sts);
  await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT_A}:role/Analyst`, RoleSessionName: 'session' }),
  );
}

/** Collects what the hook receives. */
function collect(sim: SimHandle): { ruleName: string; event: EventBridgeEvent }[] {
  const got: { ruleName: string; event: EventBridgeEvent }[] = [];
  sim.onDelivery((target, _input, event) => {
    got.push({ ruleName: target.ruleName, event });
  });
  return got;
}

async function deliveries(sim: SimHandle): Promise<DeliveryTrace[]> {
  const res = (await control(sim, 'GET', '/_sim/deliveries')) as { body: { deliveries: DeliveryTrace[] } };
  return res.body.deliveries;
}

describe('bks-sim EventBridge API', () => {
  it('PutRule, PutTargets, ListRules, DescribeRule, ListTargetsByRule, Enable/Disable, RemoveTargets, DeleteRule', async () => {
    await withSim(scenario(), async (sim) => {
      const c = eb(sim);
      const put = await c.send(
        new PutRuleCommand({
          Name: 'bks-forward',
          EventPattern: IAM_PATTERN,
          State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
          Description: 'forwarder',
        }),
      );
      expect(put.RuleArn).toBe(`arn:aws:events:us-east-1:${ACCOUNT_A}:rule/bks-forward`);
      const targets = await c.send(
        new PutTargetsCommand({
          Rule: 'bks-forward',
          Targets: [
            {
              Id: 'central',
              Arn: `arn:aws:events:us-east-1:${ACCOUNT_B}:event-bus/bks`,
              RoleArn: `arn:aws:iam::${ACCOUNT_A}:role/bks/forwarder`,
              DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:bks-dlq` },
            },
          ],
        }),
      );
      expect(targets).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });

      const listed = await c.send(new ListRulesCommand({ NamePrefix: 'bks-' }));
      expect(listed.Rules).toEqual([
        {
          Name: 'bks-forward',
          Arn: put.RuleArn,
          EventPattern: IAM_PATTERN,
          State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
          Description: 'forwarder',
          EventBusName: 'default',
        },
      ]);
      const described = await c.send(new DescribeRuleCommand({ Name: 'bks-forward' }));
      expect(described).toMatchObject({ Name: 'bks-forward', CreatedBy: ACCOUNT_A, EventBusName: 'default' });
      const t = await c.send(new ListTargetsByRuleCommand({ Rule: 'bks-forward' }));
      expect(t.Targets?.[0]).toMatchObject({
        Id: 'central',
        RoleArn: `arn:aws:iam::${ACCOUNT_A}:role/bks/forwarder`,
        DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:bks-dlq` },
      });
      // Other regions have their own rules.
      expect((await eb(sim, 'us-west-2').send(new ListRulesCommand({}))).Rules).toEqual([]);

      // EnableRule leaves a rule that is already enabled in its state; DisableRule disables.
      await c.send(new EnableRuleCommand({ Name: 'bks-forward' }));
      expect((await c.send(new DescribeRuleCommand({ Name: 'bks-forward' }))).State).toBe(
        'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      );
      await c.send(new DisableRuleCommand({ Name: 'bks-forward' }));
      await c.send(new EnableRuleCommand({ Name: 'bks-forward' }));
      expect((await c.send(new DescribeRuleCommand({ Name: 'bks-forward' }))).State).toBe('ENABLED');

      const withTargets = await failure(c.send(new DeleteRuleCommand({ Name: 'bks-forward' })));
      expect(withTargets).toMatchObject({ name: 'ValidationException', status: 400 });
      await c.send(new RemoveTargetsCommand({ Rule: 'bks-forward', Ids: ['central'] }));
      await c.send(new DeleteRuleCommand({ Name: 'bks-forward' }));
      const gone = await failure(c.send(new DescribeRuleCommand({ Name: 'bks-forward' })));
      expect(gone).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });

      // The state shows rules and targets, in scenario form.
      await c.send(new PutRuleCommand({ Name: 'r2', EventPattern: IAM_PATTERN }));
      const state = (await control(sim, 'GET', '/_sim/state')) as {
        body: { accounts: { eventBridge: unknown }[] };
      };
      expect(state.body.accounts[0]!.eventBridge).toMatchObject({
        rules: [{ Name: 'r2', Region: 'us-east-1', EventBusName: 'default', State: 'ENABLED', Targets: [] }],
      });
    });
  });

  it('refuses what AWS refuses: bad patterns, unknown buses and rules, bad states, too many targets', async () => {
    await withSim(scenario(), async (sim) => {
      const c = eb(sim);
      expect(
        await failure(c.send(new PutRuleCommand({ Name: 'x', EventPattern: '{"source":"aws.iam"}' }))),
      ).toMatchObject({
        name: 'InvalidEventPatternException',
      });
      expect(await failure(c.send(new PutRuleCommand({ Name: 'x' })))).toMatchObject({
        name: 'ValidationException',
      });
      expect(
        await failure(
          c.send(new PutRuleCommand({ Name: 'x', EventPattern: IAM_PATTERN, EventBusName: 'nope' })),
        ),
      ).toMatchObject({ name: 'ResourceNotFoundException' });
      expect(
        await failure(
          c.send(new PutRuleCommand({ Name: 'x', EventPattern: IAM_PATTERN, State: 'ON' as never })),
        ),
      ).toMatchObject({ name: 'ValidationException' });
      expect(
        await failure(c.send(new PutTargetsCommand({ Rule: 'none', Targets: [{ Id: 'a', Arn: LAMBDA }] }))),
      ).toMatchObject({ name: 'ResourceNotFoundException' });
      await c.send(new PutRuleCommand({ Name: 'x', EventPattern: IAM_PATTERN }));
      await c.send(
        new PutTargetsCommand({
          Rule: 'x',
          Targets: [1, 2, 3, 4, 5].map((i) => ({ Id: `t${i}`, Arn: LAMBDA })),
        }),
      );
      expect(
        await failure(c.send(new PutTargetsCommand({ Rule: 'x', Targets: [{ Id: 't6', Arn: LAMBDA }] }))),
      ).toMatchObject({ name: 'LimitExceededException' });
    });
  });

  it('CreateEventBus, DescribeEventBus, PutPermission', async () => {
    await withSim(scenario(), async (sim) => {
      const c = eb(sim);
      const bus = await c.send(new CreateEventBusCommand({ Name: 'bks-central', Description: 'central' }));
      expect(bus.EventBusArn).toBe(`arn:aws:events:us-east-1:${ACCOUNT_A}:event-bus/bks-central`);
      expect(await failure(c.send(new CreateEventBusCommand({ Name: 'bks-central' })))).toMatchObject({
        name: 'ResourceAlreadyExistsException',
      });
      await c.send(
        new PutPermissionCommand({
          EventBusName: 'bks-central',
          Action: 'events:PutEvents',
          Principal: ACCOUNT_B,
          StatementId: 'member',
        }),
      );
      const d = await c.send(new DescribeEventBusCommand({ Name: 'bks-central' }));
      expect(d.Name).toBe('bks-central');
      expect(d.CreationTime).toBeInstanceOf(Date);
      expect(JSON.parse(d.Policy ?? '{}').Statement[0]).toMatchObject({
        Sid: 'member',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT_B}:root` },
      });
      expect((await c.send(new DescribeEventBusCommand({}))).Name).toBe('default');
    });
  });
});

describe('bks-sim EventBridge delivery of CloudTrail records', () => {
  const rules = {
    rules: [
      { Name: 'write', EventPattern: IAM_PATTERN, State: 'ENABLED', Targets: [{ Id: 'fn', Arn: LAMBDA }] },
      {
        Name: 'ro-enabled',
        EventPattern: STS_PATTERN,
        State: 'ENABLED',
        Targets: [{ Id: 'fn', Arn: LAMBDA }],
      },
      {
        Name: 'ro-all',
        EventPattern: STS_PATTERN,
        State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
        Targets: [{ Id: 'fn', Arn: LAMBDA }],
      },
      { Name: 'off', EventPattern: IAM_PATTERN, State: 'DISABLED', Targets: [{ Id: 'fn', Arn: LAMBDA }] },
    ],
  };

  it('delivers write events to ENABLED rules, read-only ones only to ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, nothing to disabled rules', async () => {
    await withSim(scenario({ eventBridge: rules }), async (sim) => {
      const got = collect(sim);
      await createUser(sim, 'BedrockAPIKey-ab12');
      await assumeRole(sim);
      await sim.deliveriesSettled();
      expect(got.map((g) => g.ruleName).sort()).toEqual(['ro-all', 'write']);
      const iamEvent = got.find((g) => g.ruleName === 'write')!.event;
      expect(iamEvent).toMatchObject({
        version: '0',
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.iam',
        account: ACCOUNT_A,
        region: 'us-east-1',
        detail: { eventName: 'CreateUser', eventSource: 'iam.amazonaws.com', readOnly: false },
      });
      const trace = await deliveries(sim);
      const sts = trace.find((t) => t.eventName === 'AssumeRole')!;
      expect(sts.trails).toEqual([`arn:aws:cloudtrail:us-east-1:${ACCOUNT_A}:trail/management-events`]);
      expect(sts.skipped).toEqual([
        expect.objectContaining({ ruleArn: expect.stringContaining('rule/ro-enabled'), state: 'ENABLED' }),
      ]);
      const iam = trace.find((t) => t.eventName === 'CreateUser')!;
      expect(iam.skipped).toEqual([
        expect.objectContaining({ state: 'DISABLED', reason: 'rule is disabled' }),
      ]);
      expect(iam.rules[0]!.targets[0]).toMatchObject({ id: 'fn', outcome: 'invoked' });
    });
  });

  it('delivers nothing without a trail, or where the trail does not log the event', async () => {
    // No trail at all.
    await withSim(scenario({ eventBridge: rules, cloudtrail: { trails: [] } }), async (sim) => {
      const got = collect(sim);
      await createUser(sim, 'u1');
      await sim.deliveriesSettled();
      expect(got).toEqual([]);
      expect((await deliveries(sim)).find((t) => t.eventName === 'CreateUser')).toMatchObject({
        trails: [],
        rules: [],
      });
    });
    // A trail that logs write events only: the read-only AssumeRole never reaches EventBridge.
    const writeOnly = {
      trails: [
        {
          Name: 'writes',
          IsMultiRegionTrail: true,
          EventSelectors: [{ ReadWriteType: 'WriteOnly', IncludeManagementEvents: true }],
        },
      ],
    };
    await withSim(scenario({ eventBridge: rules, cloudtrail: writeOnly }), async (sim) => {
      const got = collect(sim);
      await assumeRole(sim);
      await createUser(sim, 'u2');
      await sim.deliveriesSettled();
      expect(got.map((g) => g.ruleName)).toEqual(['write']);
    });
    // A stopped trail, and a single-region trail elsewhere that does not cover us-east-1's IAM events.
    for (const trail of [
      { Name: 'stopped', IsMultiRegionTrail: true, IsLogging: false },
      { Name: 'west', HomeRegion: 'us-west-2', IsMultiRegionTrail: false },
    ]) {
      await withSim(scenario({ eventBridge: rules, cloudtrail: { trails: [trail] } }), async (sim) => {
        const got = collect(sim);
        await createUser(sim, 'u3');
        await sim.deliveriesSettled();
        expect(got).toEqual([]);
      });
    }
  });

  it('an organization trail of the management account covers member accounts', async () => {
    const s = {
      organization: { managementAccount: ACCOUNT_A },
      accounts: [
        {
          id: ACCOUNT_A,
          cloudtrail: { trails: [{ Name: 'org', IsMultiRegionTrail: true, IsOrganizationTrail: true }] },
        },
        { id: ACCOUNT_B, cloudtrail: { trails: [] }, eventBridge: rules },
      ],
      principals: [
        { accessKeyId: 'AKIDMEMBER', account: ACCOUNT_B, arn: `arn:aws:iam::${ACCOUNT_B}:user/admin` },
      ],
    };
    await withSim(s as never, async (sim) => {
      const got = collect(sim);
      const iam = new IAMClient(clientConfig(sim, 'AKIDMEMBER'));
      clients.push(iam);
      await iam.send(new CreateUserCommand({ UserName: 'member-user' }));
      await sim.deliveriesSettled();
      expect(got.map((g) => [g.ruleName, g.event.account])).toEqual([['write', ACCOUNT_B]]);
    });
  });

  it('selects data events only through a trail selector; the sim routes records handed to it', async () => {
    const { publishCloudTrailRecord } = await import('../../sim/services/events');
    const mantle = JSON.stringify({ source: ['aws.bedrock-mantle'] });
    const record = trailRecord(
      {
        account: ACCOUNT_A,
        userName: 'ml-app',
        region: 'us-east-1',
        time: new Date('2026-11-20T12:00:00Z'),
        id: 'e-1',
        eventSource: 'bedrock-mantle.amazonaws.com',
        eventName: 'CreateInference',
        readOnly: false,
      },
      {
        managementEvent: false,
        eventCategory: 'Data',
        resources: [
          {
            type: 'AWS::BedrockMantle::Project',
            ARN: `arn:aws:bedrock-mantle:us-east-1:${ACCOUNT_A}:project/p`,
          },
        ],
      },
    );
    const eventBridge = {
      rules: [{ Name: 'mantle', EventPattern: mantle, Targets: [{ Id: 'fn', Arn: LAMBDA }] }],
    };
    const selecting = {
      trails: [
        {
          Name: 'data',
          IsMultiRegionTrail: true,
          AdvancedEventSelectors: [
            { Name: 'mgmt', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
            mantleSelector('mantle'),
          ],
        },
      ],
    };
    for (const [cloudtrail, expected] of [
      [undefined, 0],
      [selecting, 1],
    ] as const) {
      await withSim(scenario({ eventBridge, ...(cloudtrail ? { cloudtrail } : {}) }), async (sim) => {
        const got = collect(sim);
        publishCloudTrailRecord(sim.ctx, ACCOUNT_A, record);
        await sim.deliveriesSettled();
        expect(got).toHaveLength(expected);
      });
    }
  });

  it('refuses a data-event selector without resources.type, as CloudTrail does', async () => {
    const { startSim } = await import('../../sim/server');
    const bySource = {
      trails: [
        {
          Name: 'data',
          AdvancedEventSelectors: [
            {
              Name: 'mantle',
              FieldSelectors: [
                { Field: 'eventCategory', Equals: ['Data'] },
                { Field: 'eventSource', Equals: ['bedrock-mantle.amazonaws.com'] },
              ],
            },
          ],
        },
      ],
    };
    await expect(startSim({ port: 0, scenario: scenario({ cloudtrail: bySource }) })).rejects.toThrow(
      /needs a resources.type field selector/,
    );
  });

  it("SQS targets get the event; a Lambda function error is Lambda's to retry, the rule's DLQ gets only delivery failures", async () => {
    // Issue 13: EventBridge invokes Lambda asynchronously. A function that throws was delivered
    // (Lambda accepted the event): Lambda runs it three times in all and, without an on-failure
    // destination, discards the event — it never reaches the rule target's dead-letter queue,
    // which catches delivery failures only (here: a target queue that does not exist).
    const dlq = `arn:aws:sqs:us-east-1:${ACCOUNT_A}:bks-dlq`;
    const s = scenario({
      sqs: { queues: [{ QueueName: 'bks-dlq' }, { QueueName: 'events' }] },
      eventBridge: {
        rules: [
          {
            Name: 'to-queue',
            EventPattern: IAM_PATTERN,
            Targets: [{ Id: 'q', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:events`, InputPath: '$.detail' }],
          },
          {
            Name: 'to-fn',
            EventPattern: IAM_PATTERN,
            Targets: [{ Id: 'fn', Arn: LAMBDA, DeadLetterConfig: { Arn: dlq } }],
          },
          {
            Name: 'to-missing-queue',
            EventPattern: IAM_PATTERN,
            Targets: [
              {
                Id: 'gone',
                Arn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:deleted`,
                DeadLetterConfig: { Arn: dlq },
              },
            ],
          },
        ],
      },
    });
    await withSim(s, async (sim) => {
      let runs = 0;
      sim.onDelivery(() => {
        runs++;
        throw new Error('handler crashed');
      });
      await createUser(sim, 'u4');
      await sim.deliveriesSettled();
      const queues = sim.state.accounts[0]!.sqs!.queues;
      const events = queues.find((q) => q.QueueName === 'events')!.Messages;
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.Body)).toMatchObject({ eventName: 'CreateUser' });
      const dead = queues.find((q) => q.QueueName === 'bks-dlq')!.Messages;
      expect(dead).toHaveLength(1);
      expect(dead[0]!.MessageAttributes).toMatchObject({
        ERROR_MESSAGE: { StringValue: `SQS queue arn:aws:sqs:us-east-1:${ACCOUNT_A}:deleted does not exist` },
      });
      expect(runs).toBe(3);
      const trace = (await deliveries(sim)).find((t) => t.eventName === 'CreateUser')!;
      expect(trace.rules.find((r) => r.ruleArn.endsWith('to-fn'))!.targets[0]).toMatchObject({
        outcome: 'invoked',
        lambda: { attempts: 3, outcome: 'discarded', condition: 'RetriesExhausted', declared: false },
      });
      expect(trace.rules.find((r) => r.ruleArn.endsWith('to-missing-queue'))!.targets[0]).toMatchObject({
        outcome: 'failed',
        deadLetter: 'queued',
      });
    });
  });

  it('forwards to an event bus of another account only when its policy allows the sender', async () => {
    const central = `arn:aws:events:us-east-1:${ACCOUNT_B}:event-bus/bks`;
    const member = {
      id: ACCOUNT_A,
      eventBridge: {
        rules: [{ Name: 'fwd', EventPattern: IAM_PATTERN, Targets: [{ Id: 'c', Arn: central }] }],
      },
    };
    const centralRules = [
      {
        Name: 'detect',
        EventBusName: 'bks',
        EventPattern: IAM_PATTERN,
        Targets: [{ Id: 'fn', Arn: LAMBDA }],
      },
    ];
    for (const [policy, expected] of [
      [undefined, 0],
      [
        JSON.stringify({
          Statement: [
            { Effect: 'Allow', Principal: { AWS: ACCOUNT_A }, Action: 'events:PutEvents', Resource: central },
          ],
        }),
        1,
      ],
    ] as const) {
      const s = {
        accounts: [
          member,
          {
            id: ACCOUNT_B,
            eventBridge: {
              buses: [{ Name: 'bks', ...(policy ? { Policy: policy } : {}) }],
              rules: centralRules,
            },
          },
        ],
      };
      await withSim(s as never, async (sim) => {
        const got = collect(sim);
        await createUser(sim, 'u5');
        await sim.deliveriesSettled();
        expect(got).toHaveLength(expected);
        if (expected) expect(got[0]!.event.account).toBe(ACCOUNT_A);
      });
    }
  });

  it('PutEvents routes custom events through the bus rules; aws.* sources are refused', async () => {
    await withSim(
      scenario({
        eventBridge: {
          rules: [
            {
              Name: 'custom',
              EventPattern: JSON.stringify({ source: ['bks.selftest'] }),
              Targets: [{ Id: 'fn', Arn: LAMBDA }],
            },
          ],
        },
      }),
      async (sim) => {
        const got = collect(sim);
        const out = await eb(sim).send(
          new PutEventsCommand({
            Entries: [
              { Source: 'bks.selftest', DetailType: 'ping', Detail: '{"n":1}' },
              { Source: 'aws.iam', DetailType: 'x', Detail: '{}' },
            ],
          }),
        );
        expect(out.FailedEntryCount).toBe(1);
        expect(out.Entries?.[1]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
        await sim.deliveriesSettled();
        expect(got.map((g) => g.event.detail)).toEqual([{ n: 1 }]);
      },
    );
  });
});
