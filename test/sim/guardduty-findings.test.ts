/**
 * GuardDuty findings live in bks-sim: `POST /_sim/guardduty/findings` raises an AI Protection
 * finding as an enabled detector would, and GuardDuty's "GuardDuty Finding" event (source
 * `aws.guardduty`, the finding in GuardDuty's finding format as its detail) reaches the rules of the
 * default bus of the finding's account and region — nowhere else, and not at all without a detector.
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { SimHandle } from '../../sim/server';
import { ACCOUNT_A, ACCOUNT_B, clientConfig, control, withSim } from './harness';

const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';

const scenario = () =>
  ({
    principals: [
      {
        accessKeyId: 'AKIDSIMTEST',
        secretAccessKey: 'x',
        account: ACCOUNT_A,
        arn: `arn:aws:iam::${ACCOUNT_A}:user/a`,
      },
      {
        accessKeyId: 'AKIDSIMTESTB',
        secretAccessKey: 'x',
        account: ACCOUNT_B,
        arn: `arn:aws:iam::${ACCOUNT_B}:user/b`,
      },
    ],
    accounts: [
      {
        id: ACCOUNT_A,
        regions: ['us-east-1', 'us-west-2'],
        users: [{ name: 'BedrockAPIKey-gd01', id: 'AIDAGDUTYPHANTOM0001' }],
        guardDuty: { detectors: [{ DetectorId: DETECTOR, Region: 'us-east-1', Status: 'ENABLED' }] },
        sqs: {
          queues: [
            { QueueName: 'findings', Region: 'us-east-1' },
            { QueueName: 'west', Region: 'us-west-2' },
          ],
        },
      },
      { id: ACCOUNT_B, regions: ['us-east-1'], sqs: { queues: [{ QueueName: 'findings' }] } },
    ],
  }) as never;

/** A rule for GuardDuty findings to a queue, in `account`/`region`. */
async function ruleToQueue(sim: SimHandle, account: string, region: string, queue: string) {
  const key = account === ACCOUNT_A ? 'AKIDSIMTEST' : 'AKIDSIMTESTB';
  const eb = new EventBridgeClient(clientConfig(sim, key, { region, maxAttempts: 1 }));
  await eb.send(
    new PutRuleCommand({
      Name: 'gd',
      EventPattern: JSON.stringify({ source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] }),
    }),
  );
  await eb.send(
    new PutTargetsCommand({
      Rule: 'gd',
      Targets: [{ Id: 'q', Arn: `arn:aws:sqs:${region}:${account}:${queue}` }],
    }),
  );
  eb.destroy();
}

async function received(sim: SimHandle, account: string, region: string, queue: string) {
  const key = account === ACCOUNT_A ? 'AKIDSIMTEST' : 'AKIDSIMTESTB';
  const sqs = new SQSClient(clientConfig(sim, key, { region, maxAttempts: 1 }));
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: `${sim.url}/${account}/${queue}`, MaxNumberOfMessages: 10 }),
  );
  sqs.destroy();
  return (out.Messages ?? []).map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
}

const raise = (sim: SimHandle, body: Record<string, unknown>) =>
  control(sim, 'POST', '/_sim/guardduty/findings', body) as Promise<{
    status: number;
    body: { finding?: unknown; error?: string };
  }>;

describe('bks-sim GuardDuty findings', () => {
  it('an AI Protection finding about a phantom user reaches the default bus of its account and region as a GuardDuty Finding event', async () => {
    await withSim(scenario(), async (sim) => {
      await ruleToQueue(sim, ACCOUNT_A, 'us-east-1', 'findings');
      await ruleToQueue(sim, ACCOUNT_A, 'us-west-2', 'west');
      await ruleToQueue(sim, ACCOUNT_B, 'us-east-1', 'findings');
      const r = await raise(sim, {
        account: ACCOUNT_A,
        region: 'us-east-1',
        type: 'Impact:IAMUser/AnomalousModelInvocation',
        userName: 'BedrockAPIKey-gd01',
      });
      expect(r.status).toBe(200);
      const [event, ...more] = await received(sim, ACCOUNT_A, 'us-east-1', 'findings');
      expect(more).toEqual([]);
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'GuardDuty Finding',
        source: 'aws.guardduty',
        account: ACCOUNT_A,
        region: 'us-east-1',
        detail: {
          schemaVersion: '2.0',
          accountId: ACCOUNT_A,
          region: 'us-east-1',
          type: 'Impact:IAMUser/AnomalousModelInvocation',
          arn: expect.stringMatching(
            new RegExp(
              `^arn:aws:guardduty:us-east-1:${ACCOUNT_A}:detector/${DETECTOR}/finding/[0-9a-f]{32}$`,
            ),
          ),
          resource: {
            resourceType: 'AccessKey',
            accessKeyDetails: {
              userName: 'BedrockAPIKey-gd01',
              userType: 'IAMUser',
              principalId: 'AIDAGDUTYPHANTOM0001',
            },
          },
          service: { serviceName: 'guardduty', detectorId: DETECTOR, resourceRole: 'TARGET' },
        },
      });
      expect(event!.detail).toEqual(r.body.finding);
      // Only that account and region.
      expect(await received(sim, ACCOUNT_A, 'us-west-2', 'west')).toEqual([]);
      expect(await received(sim, ACCOUNT_B, 'us-east-1', 'findings')).toEqual([]);
      const listed = (await control(sim, 'GET', '/_sim/guardduty/findings')) as {
        body: { findings: unknown[] };
      };
      expect(listed.body.findings).toHaveLength(1);
    });
  });

  it('raises nothing where no detector is enabled, and refuses malformed requests with one line', async () => {
    await withSim(scenario(), async (sim) => {
      await ruleToQueue(sim, ACCOUNT_B, 'us-east-1', 'findings');
      const base = {
        account: ACCOUNT_A,
        type: 'Impact:IAMUser/CostHarvesting',
        userName: 'BedrockAPIKey-gd01',
      };
      for (const [body, message] of [
        [{ ...base, account: ACCOUNT_B }, /no enabled GuardDuty detector in 222222222222 us-east-1/],
        [{ ...base, region: 'us-west-2' }, /no enabled GuardDuty detector/],
        [{ ...base, type: 'anomalous' }, /is not a GuardDuty finding type/],
        [{ ...base, userName: undefined }, /userName must be a non-empty string/],
        [{ ...base, userType: 'Robot' }, /userType must be one of/],
        [{ ...base, severity: 11 }, /severity must be a number from 1 to 10/],
        [{ ...base, account: '999999999999' }, /not in the scenario/],
      ] as const) {
        const r = await raise(sim, body as Record<string, unknown>);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(String(r.body.error)).toMatch(message);
      }
      expect(await received(sim, ACCOUNT_B, 'us-east-1', 'findings')).toEqual([]);
    });
  });
});
