/**
 * The read APIs `bks coverage` relies on, over the wire with the real SDK clients, answered from the
 * scenario's detection keys: CloudTrail DescribeTrails / GetTrailStatus / GetEventSelectors (shadow
 * and organization trails need their ARN, as on AWS), SQS, Security Hub DescribeHub /
 * GetAdministratorAccount, GuardDuty ListDetectors / GetDetector, Bedrock
 * GetModelInvocationLoggingConfiguration. Cross-checked with botocore when python3 has it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { BedrockClient, GetModelInvocationLoggingConfigurationCommand } from '@aws-sdk/client-bedrock';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import {
  DescribeHubCommand,
  GetAdministratorAccountCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimHandle } from '../../sim/server';
import { mantleSelector } from '../helpers/cloudtrail';
import { ACCOUNT_A, ACCOUNT_B, clientConfig, failure, withSim } from './harness';

const MANTLE_SELECTOR = mantleSelector('bedrock-mantle');

const scenario = {
  organization: { managementAccount: ACCOUNT_A },
  principals: [
    { accessKeyId: 'AKIDMGMT', account: ACCOUNT_A, arn: `arn:aws:iam::${ACCOUNT_A}:user/admin` },
    { accessKeyId: 'AKIDMEMBER', account: ACCOUNT_B, arn: `arn:aws:iam::${ACCOUNT_B}:user/admin` },
  ],
  accounts: [
    {
      id: ACCOUNT_A,
      regions: ['us-east-1', 'eu-west-1'],
      cloudtrail: {
        trails: [
          {
            Name: 'org-trail',
            HomeRegion: 'us-east-1',
            IsMultiRegionTrail: true,
            IsOrganizationTrail: true,
            S3BucketName: 'org-trail-logs',
            AdvancedEventSelectors: [
              { Name: 'management', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
              MANTLE_SELECTOR,
            ],
          },
          { Name: 'eu-only', HomeRegion: 'eu-west-1', IsLogging: false },
        ],
      },
      securityHub: { enabled: true, regions: ['us-east-1'] },
      guardDuty: {
        detectors: [
          {
            DetectorId: '12abc34d567e8fa901bc2d34e56789f0',
            Region: 'us-east-1',
            Status: 'ENABLED',
            Features: [
              { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
              { Name: 'AI_PROTECTION', Status: 'ENABLED' },
            ],
            Tags: { Team: 'sec' },
          },
        ],
      },
      bedrockLogging: {
        cloudWatchConfig: {
          logGroupName: '/bedrock/invocations',
          roleArn: `arn:aws:iam::${ACCOUNT_A}:role/bedrock-logs`,
        },
        textDataDeliveryEnabled: true,
        regions: ['us-east-1'],
      },
      sqs: { queues: [{ QueueName: 'bks-dlq', Messages: [{ Body: '{"failed":1}' }] }] },
    },
    {
      id: ACCOUNT_B,
      cloudtrail: { trails: [] },
      securityHub: { enabled: true, administratorAccount: ACCOUNT_A },
    },
  ],
} as never;

const clients: { destroy(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function make<T extends { destroy(): void }>(
  Ctor: new (cfg: never) => T,
  sim: SimHandle,
  key = 'AKIDMGMT',
  region = 'us-east-1',
): T {
  const c = new Ctor(clientConfig(sim, key, { region, maxAttempts: 1 }) as never);
  clients.push(c);
  return c;
}

describe('bks-sim CloudTrail trails', () => {
  it('DescribeTrails: own trails of the region, shadow trails, organization trails in member accounts', async () => {
    await withSim(scenario, async (sim) => {
      const east = await make(CloudTrailClient, sim).send(new DescribeTrailsCommand({}));
      expect(east.trailList?.map((t) => t.Name)).toEqual(['org-trail']);
      expect(east.trailList?.[0]).toEqual({
        Name: 'org-trail',
        HomeRegion: 'us-east-1',
        TrailARN: `arn:aws:cloudtrail:us-east-1:${ACCOUNT_A}:trail/org-trail`,
        IsMultiRegionTrail: true,
        IsOrganizationTrail: true,
        IncludeGlobalServiceEvents: true,
        S3BucketName: 'org-trail-logs',
        HasCustomEventSelectors: true,
        HasInsightSelectors: false,
      });
      const eu = await make(CloudTrailClient, sim, 'AKIDMGMT', 'eu-west-1').send(
        new DescribeTrailsCommand({}),
      );
      expect(eu.trailList?.map((t) => `${t.Name}@${t.HomeRegion}`).sort()).toEqual([
        'eu-only@eu-west-1',
        'org-trail@us-east-1',
      ]);
      const noShadow = await make(CloudTrailClient, sim, 'AKIDMGMT', 'eu-west-1').send(
        new DescribeTrailsCommand({ includeShadowTrails: false }),
      );
      expect(noShadow.trailList?.map((t) => t.Name)).toEqual(['eu-only']);
      // The member account has no trail of its own but sees the organization trail.
      const member = await make(CloudTrailClient, sim, 'AKIDMEMBER').send(new DescribeTrailsCommand({}));
      expect(member.trailList?.map((t) => t.TrailARN)).toEqual([
        `arn:aws:cloudtrail:us-east-1:${ACCOUNT_A}:trail/org-trail`,
      ]);
    });
  });

  it('GetTrailStatus and GetEventSelectors: by name in the home region, by ARN elsewhere', async () => {
    await withSim(scenario, async (sim) => {
      const ct = make(CloudTrailClient, sim);
      const status = await ct.send(new GetTrailStatusCommand({ Name: 'org-trail' }));
      expect(status.IsLogging).toBe(true);
      expect(status.StartLoggingTime).toBeInstanceOf(Date);
      const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: 'org-trail' }));
      expect(selectors.TrailARN).toBe(`arn:aws:cloudtrail:us-east-1:${ACCOUNT_A}:trail/org-trail`);
      expect(selectors.AdvancedEventSelectors?.[1]).toEqual(MANTLE_SELECTOR);
      expect(selectors.EventSelectors).toBeUndefined();

      const eu = make(CloudTrailClient, sim, 'AKIDMGMT', 'eu-west-1');
      expect(await failure(eu.send(new GetTrailStatusCommand({ Name: 'org-trail' })))).toMatchObject({
        name: 'TrailNotFoundException',
        status: 400,
      });
      const arn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT_A}:trail/org-trail`;
      expect((await eu.send(new GetTrailStatusCommand({ Name: arn }))).IsLogging).toBe(true);
      expect((await eu.send(new GetTrailStatusCommand({ Name: 'eu-only' }))).IsLogging).toBe(false);
      const basic = await eu.send(new GetEventSelectorsCommand({ TrailName: 'eu-only' }));
      expect(basic.EventSelectors).toEqual([
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ]);
      const member = make(CloudTrailClient, sim, 'AKIDMEMBER');
      expect(
        (await member.send(new GetEventSelectorsCommand({ TrailName: arn }))).AdvancedEventSelectors,
      ).toHaveLength(2);
      expect(await failure(member.send(new GetTrailStatusCommand({ Name: 'org-trail' })))).toMatchObject({
        name: 'TrailNotFoundException',
      });
    });
  });

  it('an account without a cloudtrail key has one multi-region trail logging all management events', async () => {
    await withSim({ accounts: [{ id: ACCOUNT_A, regions: ['us-west-2'] }] } as never, async (sim) => {
      const ct = make(CloudTrailClient, sim, 'AKIDSIMTEST', 'eu-central-1');
      const trails = await ct.send(new DescribeTrailsCommand({}));
      expect(trails.trailList).toEqual([
        expect.objectContaining({
          Name: 'management-events',
          HomeRegion: 'us-west-2',
          IsMultiRegionTrail: true,
        }),
      ]);
      const arn = trails.trailList![0]!.TrailARN!;
      expect((await ct.send(new GetEventSelectorsCommand({ TrailName: arn }))).EventSelectors).toEqual([
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ]);
    });
  });
});

describe('bks-sim SQS', () => {
  it('CreateQueue, GetQueueUrl, SendMessage, GetQueueAttributes, ReceiveMessage, DeleteMessage', async () => {
    await withSim(scenario, async (sim) => {
      const sqs = make(SQSClient, sim);
      const { QueueUrl: dlq } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'bks-dlq' }));
      expect(dlq).toBe(`${sim.url}/${ACCOUNT_A}/bks-dlq`);
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlq,
          AttributeNames: ['ApproximateNumberOfMessages', 'QueueArn'],
        }),
      );
      expect(attrs.Attributes).toEqual({
        ApproximateNumberOfMessages: '1',
        QueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT_A}:bks-dlq`,
      });
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: 'work', Attributes: { VisibilityTimeout: '60' } }),
      );
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
      const all = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
      expect(all.Attributes).toMatchObject({ VisibilityTimeout: '60', ApproximateNumberOfMessages: '1' });
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(got.Messages?.map((m) => m.Body)).toEqual(['hello']);
      const inFlight = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      expect(inFlight.Attributes).toEqual({
        ApproximateNumberOfMessages: '0',
        ApproximateNumberOfMessagesNotVisible: '1',
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }));
      expect(await failure(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })))).toMatchObject({
        name: 'QueueDoesNotExist',
        status: 400,
      });
      // Another account's queue is not reachable without a queue policy.
      const member = make(SQSClient, sim, 'AKIDMEMBER');
      expect(
        await failure(member.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['All'] }))),
      ).toMatchObject({
        status: 403,
      });
    });
  });
});

describe('bks-sim Security Hub, GuardDuty and Bedrock logging reads', () => {
  it('DescribeHub and GetAdministratorAccount', async () => {
    await withSim(scenario, async (sim) => {
      const hub = await make(SecurityHubClient, sim).send(new DescribeHubCommand({}));
      expect(hub.HubArn).toBe(`arn:aws:securityhub:us-east-1:${ACCOUNT_A}:hub/default`);
      expect(
        await make(SecurityHubClient, sim).send(new GetAdministratorAccountCommand({})),
      ).not.toHaveProperty('Administrator');
      const eu = make(SecurityHubClient, sim, 'AKIDMGMT', 'eu-west-1');
      expect(await failure(eu.send(new DescribeHubCommand({})))).toMatchObject({
        name: 'InvalidAccessException',
        status: 401,
      });
      const member = await make(SecurityHubClient, sim, 'AKIDMEMBER').send(
        new GetAdministratorAccountCommand({}),
      );
      expect(member.Administrator).toMatchObject({ AccountId: ACCOUNT_A, MemberStatus: 'Enabled' });
    });
    await withSim({ accounts: [{ id: ACCOUNT_A }] } as never, async (sim) => {
      expect(
        await failure(make(SecurityHubClient, sim, 'AKIDSIMTEST').send(new DescribeHubCommand({}))),
      ).toMatchObject({
        name: 'InvalidAccessException',
      });
    });
  });

  it('ListDetectors and GetDetector with Features', async () => {
    await withSim(scenario, async (sim) => {
      const gd = make(GuardDutyClient, sim);
      const { DetectorIds } = await gd.send(new ListDetectorsCommand({}));
      expect(DetectorIds).toEqual(['12abc34d567e8fa901bc2d34e56789f0']);
      const d = await gd.send(new GetDetectorCommand({ DetectorId: DetectorIds![0]! }));
      expect(d.Status).toBe('ENABLED');
      expect(d.Features).toEqual([
        { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
        { Name: 'AI_PROTECTION', Status: 'ENABLED' },
      ]);
      expect(d.Tags).toEqual({ Team: 'sec' });
      expect(
        (await make(GuardDutyClient, sim, 'AKIDMGMT', 'eu-west-1').send(new ListDetectorsCommand({})))
          .DetectorIds,
      ).toEqual([]);
      expect(await failure(gd.send(new GetDetectorCommand({ DetectorId: 'nope' })))).toMatchObject({
        name: 'BadRequestException',
        status: 400,
      });
    });
  });

  it('GetModelInvocationLoggingConfiguration', async () => {
    await withSim(scenario, async (sim) => {
      const out = await make(BedrockClient, sim).send(new GetModelInvocationLoggingConfigurationCommand({}));
      expect(out.loggingConfig).toEqual({
        cloudWatchConfig: {
          logGroupName: '/bedrock/invocations',
          roleArn: `arn:aws:iam::${ACCOUNT_A}:role/bedrock-logs`,
        },
        textDataDeliveryEnabled: true,
      });
      const eu = await make(BedrockClient, sim, 'AKIDMGMT', 'eu-west-1').send(
        new GetModelInvocationLoggingConfigurationCommand({}),
      );
      expect(eu.loggingConfig).toBeUndefined();
    });
  });
});

const hasBotocore = spawnSync('python3', ['-c', 'import botocore'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasBotocore && !process.env.CI)('botocore parses the detection reads', () => {
  it('DescribeTrails, GetEventSelectors, GetQueueAttributes, DescribeHub, GetDetector, Bedrock logging', async () => {
    await withSim(scenario, async (sim) => {
      const script = `
import json, sys, boto3
from botocore.config import Config
cfg = Config(retries={"max_attempts": 1})
def c(s, region="us-east-1"):
    return boto3.client(s, region_name=region, endpoint_url=sys.argv[1], config=cfg,
                        aws_access_key_id="AKIDMGMT", aws_secret_access_key="x")
ct = c("cloudtrail")
out = {}
out["trails"] = [t["Name"] for t in ct.describe_trails()["trailList"]]
out["selectors"] = len(ct.get_event_selectors(TrailName="org-trail")["AdvancedEventSelectors"])
out["logging"] = ct.get_trail_status(Name="org-trail")["IsLogging"]
sqs = c("sqs")
url = sqs.get_queue_url(QueueName="bks-dlq")["QueueUrl"]
out["dlq"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
out["hub"] = c("securityhub").describe_hub()["HubArn"]
gd = c("guardduty")
d = gd.get_detector(DetectorId=gd.list_detectors()["DetectorIds"][0])
out["features"] = [f["Name"] for f in d["Features"]]
out["bedrock"] = c("bedrock").get_model_invocation_logging_configuration()["loggingConfig"]["textDataDeliveryEnabled"]
print(json.dumps(out))
`;
      // Asynchronously: the simulator answers from this process.
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('python3', ['-c', script, sim.url], {
          env: { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        trails: ['org-trail'],
        selectors: 2,
        logging: true,
        dlq: { ApproximateNumberOfMessages: '1' },
        hub: `arn:aws:securityhub:us-east-1:${ACCOUNT_A}:hub/default`,
        features: ['CLOUD_TRAIL', 'AI_PROTECTION'],
        bedrock: true,
      });
    });
  });
});

describe('bks-sim detection scenario keys', () => {
  it('a malformed key fails at start naming the path of the bad field', async () => {
    const { loadScenario } = await import('../../sim/scenario');
    const cases: [Record<string, unknown>, string][] = [
      [
        { cloudtrail: { trails: [{ Name: 'x1x', EventSelectors: [], AdvancedEventSelectors: [] }] } },
        'accounts[0].cloudtrail.trails[0]: a trail has EventSelectors or AdvancedEventSelectors, not both',
      ],
      [
        { eventBridge: { rules: [{ Name: 'r', State: 'ON', EventPattern: { source: ['a'] } }] } },
        'accounts[0].eventBridge.rules[0].State: must be one of ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      ],
      [
        { eventBridge: { rules: [{ Name: 'r', EventPattern: { source: 'aws.iam' } }] } },
        'accounts[0].eventBridge.rules[0].EventPattern: source: match value must be put inside a JSON array',
      ],
      [{ sqs: { queues: [{ QueueName: 'bad name' }] } }, 'accounts[0].sqs.queues[0].QueueName'],
      [
        { securityHub: { enabled: true, administratorAccount: '12' } },
        'accounts[0].securityHub.administratorAccount',
      ],
      [{ guardDuty: { detectors: [{ Status: 'ON' }] } }, 'accounts[0].guardDuty.detectors[0].Status'],
    ];
    for (const [extra, message] of cases) {
      expect(() => loadScenario({ accounts: [{ id: ACCOUNT_A, ...extra }] }), message).toThrow(message);
    }
  });
});
