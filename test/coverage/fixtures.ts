/**
 * A simulated organization whose detection is fully in place (every `bks coverage` control ok), and
 * the knobs the tests turn to break one control at a time. The management account is the security
 * account: it holds the pipeline (central bus, state machine, dead-letter queues).
 */
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { pipelineNames, pipelineRules, requiredState } from '../../src/coverage';
import { rulesForRegion } from '../../src/pipeline/rules';
import { loadScpCatalog, minifyPolicy, renderScp } from '../../src/policy/scps';
import type { SimHandle } from '../../sim/server';

export const MGMT = '111111111111';
export const MEMBER = '222222222222';
export const STRANGER = '333333333333';
export const ADMIN_KEY = ['AKIA', 'SIMCOVERAGE00001'].join('');
export const ADMIN_SECRET = 'sim-coverage-secret-EXAMPLE';
export const REGION = 'us-east-1';
const names = pipelineNames('bks');
const CENTRAL = `arn:aws:events:${REGION}:${MGMT}:event-bus/${names.centralBus}`;

/**
 * Selectors written out from AWS's pages (not from src/): bedrock-mantle's as the Bedrock user guide
 * ("Monitor bedrock-mantle API calls using CloudTrail") gives it, and one per Bedrock resource type
 * of the CloudTrail user guide's data-event table that detection needs.
 */
export const SELECTORS = {
  management: { Name: 'management', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
  mantle: {
    Name: 'Log Bedrock Mantle inference and file events',
    FieldSelectors: [
      { Field: 'eventCategory', Equals: ['Data'] },
      {
        Field: 'resources.type',
        Equals: ['AWS::BedrockMantle::Project', 'AWS::BedrockMantle::CustomizedModel', 'AWS::BedrockMantle::Reservation'],
      },
    ],
  },
  agents: [
    'AWS::Bedrock::AgentAlias',
    'AWS::Bedrock::KnowledgeBase',
    'AWS::Bedrock::FlowAlias',
    'AWS::Bedrock::Guardrail',
    'AWS::Bedrock::PromptVersion',
    'AWS::Bedrock::Model',
    'AWS::Bedrock::AsyncInvoke',
    'AWS::Bedrock::InlineAgent',
  ].map((type) => ({
    Name: type,
    FieldSelectors: [
      { Field: 'eventCategory', Equals: ['Data'] },
      { Field: 'resources.type', Equals: [type] },
    ],
  })),
};

export function okTrail(): Record<string, unknown> {
  return {
    Name: 'security',
    IsMultiRegionTrail: true,
    AdvancedEventSelectors: [SELECTORS.management, SELECTORS.mantle, ...SELECTORS.agents],
  };
}

/** The forwarder rules of a region, as the pipeline deploys them. */
export function forwarders(account: string, region = REGION): Record<string, unknown>[] {
  return rulesForRegion(pipelineRules(), region).map((r) => ({
    Name: names.forwarder(r.id),
    Region: region,
    EventPattern: r.pattern,
    State: requiredState(r),
    Targets: [
      {
        Id: 'central',
        Arn: CENTRAL,
        RoleArn: `arn:aws:iam::${account}:role/bks/forwarder`,
        DeadLetterConfig: { Arn: `arn:aws:sqs:${region}:${account}:bks-forwarder-dlq` },
      },
    ],
  }));
}

function centralRules(): Record<string, unknown>[] {
  return pipelineRules().map((r) => ({
    Name: `bks-${r.id}`,
    EventBusName: names.centralBus,
    EventPattern: r.pattern,
    Targets: [{ Id: 'dispatch', Arn: `arn:aws:lambda:${REGION}:${MGMT}:function:bks-dispatch` }],
  }));
}

export function account(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const security = id === MGMT;
  return {
    id,
    regions: [REGION],
    roles: [
      {
        name: 'OrganizationAccountAccessRole',
        trustedAccounts: [MGMT],
        managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
      },
    ],
    cloudtrail: { trails: [okTrail()] },
    securityHub: { enabled: true, ...(security ? {} : { administratorAccount: MGMT }) },
    guardDuty: {
      detectors: [
        {
          DetectorId: `${id}00000000000000000000`,
          Status: 'ENABLED',
          Features: [
            { Name: 'CLOUD_TRAIL', Status: 'ENABLED' },
            { Name: 'AI_PROTECTION', Status: 'ENABLED' },
          ],
        },
      ],
    },
    bedrockLogging: {
      cloudWatchConfig: { logGroupName: '/bedrock/invocations', roleArn: `arn:aws:iam::${id}:role/bedrock-logging` },
      textDataDeliveryEnabled: true,
    },
    eventBridge: {
      buses: security
        ? [
            {
              Name: names.centralBus,
              Policy: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  {
                    Sid: 'OrganizationPutEvents',
                    Effect: 'Allow',
                    Principal: '*',
                    Action: 'events:PutEvents',
                    Resource: CENTRAL,
                    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg1' } },
                  },
                ],
              }),
            },
          ]
        : [],
      rules: [...forwarders(id), ...(security ? centralRules() : [])],
    },
    sqs: { queues: [{ QueueName: 'bks-forwarder-dlq' }, ...(security ? [{ QueueName: 'bks-dlq' }] : [])] },
    ...overrides,
  };
}

/** Every deployable SCP: three at the root (beside FullAWSAccess), the rest on the OU of every account. */
function scps(): Record<string, unknown>[] {
  return loadScpCatalog()
    .filter((e) => !e.negativeExample)
    .map((e, i) => ({
      name: `bks-${e.name}`,
      content: JSON.parse(minifyPolicy(renderScp(e))),
      targets: [i < 3 ? 'r-ex12' : 'workloads'],
    }));
}

export function scenario(opts: { accounts?: Record<string, unknown>[]; extra?: Record<string, unknown> } = {}) {
  const accounts = opts.accounts ?? [account(MGMT), account(MEMBER)];
  return {
    principals: [
      { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET, account: MGMT, arn: `arn:aws:iam::${MGMT}:user/secops` },
    ],
    organization: {
      id: 'o-exampleorg1',
      managementAccount: MGMT,
      rootId: 'r-ex12',
      accounts: accounts.map((a) => ({ id: a.id as string, name: `acct-${a.id as string}` })),
      ous: [{ id: 'ou-ex12-workload', name: 'workloads', accounts: accounts.map((a) => a.id as string) }],
      policies: scps(),
    },
    accounts,
    ...opts.extra,
  };
}

/** The response state machine (bks-response), created through the simulator's Step Functions. */
export async function deployStateMachine(sim: SimHandle): Promise<void> {
  const sfn = new SFNClient({
    endpoint: sim.url,
    region: REGION,
    credentials: { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET },
  });
  await sfn.send(
    new CreateStateMachineCommand({
      name: names.stateMachine,
      roleArn: `arn:aws:iam::${MGMT}:role/bks/response`,
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  );
  sfn.destroy();
}
