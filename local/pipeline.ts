/**
 * The live pipeline inside bks-sim (`bks-sim --pipeline`): the simulator, the project's rule set
 * and the real handlers, composed as the CDK app deploys them on AWS.
 *
 * `start()` starts bks-sim and deploys the pipeline into it through the AWS SDK, so that what runs
 * is what the simulator's EventBridge, SQS, DynamoDB and Step Functions list:
 * - in every account and region of the scenario (plus the IAM region), forwarder rules
 *   `bks-fwd-<RULE>` on the default bus — IAM rules only in the IAM region — each in the state its
 *   pattern needs (`ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` for rules that must see read-only
 *   management events), targeting the central bus, with the region's `bks-forwarder-dlq`;
 * - in the security account's home region: the central bus `bks-central` (PutEvents allowed to the
 *   other accounts), one rule per detection on it (`bks-<RULE>`; stateful rules count through the
 *   stateful function, `bks-<RULE>-threshold` dispatches), the dead-letter queue `bks-central-dlq`,
 *   the functions' on-failure destination `bks-failed-invocations-dlq`, the approval and counter
 *   tables, and the response workflow `bks-response` in Step Functions — every name from
 *   `pipelineNames()` (src/pipeline/names.ts), as the CDK app deploys it;
 * - in every account, the responder roles the member stacks deploy (`bks-reader`, `bks-revoker`,
 *   `bks-findings`, trusting the security account), added to the scenario before it starts.
 *
 * The simulator then delivers each CloudTrail record it writes as EventBridge does (per region,
 * only where a trail logs it, read-only management events only to rules in the state that receives
 * them); deliveries to the pipeline's functions run the real handlers in this process (dispatch →
 * StartExecution → the local engine, `local/engine.ts`), and the workflow pauses at the approval
 * step until the analyst's decision reaches the simulator. The approval endpoint is served at
 * `/_pipeline/approve` on the simulator's port; the notifications at `GET /_sim/notifications`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateFunctionCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { handler as customAction } from '../handlers/custom-action';
import { handler as dispatch } from '../handlers/dispatch';
import { resetAws } from '../handlers/lib/aws';
import { resetClients } from '../handlers/lib/clients';
import { loadPipelineRules } from '../infra/rules';
import { type SimHandle, startSim } from '../sim/server';
import { putStack } from '../sim/services/cloudformation';
import type { DeliveryTarget } from '../sim/services/events';
import {
  abortAll,
  executionDone,
  type SimExecution,
  setExecutionEngine,
} from '../sim/services/stepfunctions';
import { shiftScenarioToNow } from '../sim/timeshift';
import { THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '../src/pipeline/incident';
import { pipelineNames } from '../src/pipeline/names';
import type { ResponsePolicy } from '../src/pipeline/policy';
import { RESPONDER_ACTIONS } from '../src/pipeline/responder-actions';
import { ruleStateFor } from '../src/pipeline/rule-state';
import { forwarderRegions, type PipelineRule, rulesForRegion } from '../src/pipeline/rules';
import { DEFAULT_STACK_NAME, outputList } from '../src/pipeline/stack-outputs';
import { SERVICES } from '../src/services';
import { serveApproval } from './approval';
import {
  type AsyncInvokeSettings,
  asyncInvokeFromTemplate,
  type CfnTemplate,
  defaultAsyncInvoke,
} from './async-invoke';
import { type ExecutionTrace, responseEngine } from './engine';
import { inFunction, installFunctionEnv } from './function-env';
import { createRecordBucket, responseDefinitionFor } from './workflow';

export interface LivePipelineOptions {
  /** A scenario object, or the path of a scenario JSON file. */
  scenario: unknown;
  port?: number;
  host?: string;
  /** Move the scenario's times so that its `now` is the real current time. */
  shiftToNow?: boolean;
  /** The account the pipeline runs in. @default the organization's management account, else the first account */
  securityAccount?: string;
  /** The pipeline's home region (central bus, workflow, tables). @default us-east-1 */
  homeRegion?: string;
  /** The response policy (auto-revoke, allowlist, timeout action). */
  policy?: Partial<ResponsePolicy>;
  /** The approval step's timeout. @default 14400 (4 hours) */
  approvalTimeoutSeconds?: number;
  /** The identity provider groups allowed to approve. @default ['soc'] */
  approverGroups?: string[];
  /** The detection rules' folder. @default detections/ */
  rulesDir?: string;
  /**
   * The pipeline functions' credentials: a principal of the scenario in the security account.
   * @default a principal of its own, added to the scenario
   */
  principal?: { accessKeyId: string; secretAccessKey: string };
  /** One line per pipeline event (a rule matched, a finding raised, an approval requested). */
  log?: (line: string) => void;
  /** The name the deployment's stack answers to in CloudFormation DescribeStacks. @default BedrockKeyGuard */
  stackName?: string;
  /**
   * A synthesized `BedrockKeyGuard` template (`cdk synth`): the functions' asynchronous invocation
   * settings (retries, maximum event age, on-failure destination) are read from its
   * EventInvokeConfig resources. @default the settings the CDK construct writes (local/async-invoke.ts)
   */
  template?: CfnTemplate;
}

/** What was deployed into the simulator (names as the SDK returned them). */
export interface Deployment {
  securityAccount: string;
  homeRegion: string;
  centralBusArn: string;
  stateMachineArn: string;
  approvalTable: string;
  counterTable: string;
  topicArn: string;
  approvalUrl: string;
  deadLetterQueues: string[];
  /** The functions EventBridge invokes (asynchronously), with the settings deployed for each. */
  functions: Record<string, { arn: string } & AsyncInvokeSettings>;
  /** Forwarder rules per `account/region`. */
  forwarders: Record<string, string[]>;
  centralRules: string[];
}

const ROLE_NAMES = { reader: 'bks-reader', revoker: 'bks-revoker', findings: 'bks-findings' };
/** The names the CDK app deploys (src/pipeline/names.ts): `bks coverage` and `bks selftest` find them here too. */
const NAMES = pipelineNames();
/** The functions EventBridge invokes in the local pipeline (asynchronously, as on AWS). */
const ASYNC_FUNCTIONS = ['dispatch', 'stateful', 'custom-action'] as const;

/** `AKIA` + 16 characters: an access key id of the simulated pipeline's own principals. */
function principalKey(kind: 'P' | 'D', account: string): string {
  return `AKIABKS${kind}${account.slice(0, 12)}`.slice(0, 20).padEnd(20, '0');
}

function readScenario(scenario: unknown): Record<string, unknown> {
  if (typeof scenario !== 'string') return structuredClone(scenario) as Record<string, unknown>;
  let text: string;
  try {
    text = readFileSync(scenario, 'utf8');
  } catch (e) {
    throw new Error(`cannot read scenario ${scenario}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`scenario ${scenario} is not valid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

type Doc = Record<string, unknown>;

/**
 * The responder roles' policies, as the member stacks grant them (infra/responder-roles.ts), and
 * the forwarders' target role.
 */
function responderRoles(partition: string, security: string): Doc[] {
  const stmt = (actions: readonly string[], resource: string) => ({
    Effect: 'Allow',
    Action: [...actions],
    Resource: resource,
  });
  const users = `arn:${partition}:iam::*:user/*`;
  const roles = `arn:${partition}:iam::*:role/*`;
  const doc = (...s: Doc[]) => ({ Version: '2012-10-17', Statement: s });
  return [
    {
      name: ROLE_NAMES.reader,
      trustedAccounts: [security],
      inlinePolicies: {
        reader: doc(stmt(RESPONDER_ACTIONS.readerUsers, users), stmt(RESPONDER_ACTIONS.readerAccount, '*')),
      },
    },
    {
      name: ROLE_NAMES.revoker,
      trustedAccounts: [security],
      inlinePolicies: {
        revoker: doc(
          stmt(RESPONDER_ACTIONS.revoker, users),
          stmt(RESPONDER_ACTIONS.revokerRoles, roles),
          stmt(RESPONDER_ACTIONS.revokerAccount, '*'),
          {
            Effect: 'Allow',
            Action: [...RESPONDER_ACTIONS.revokerPhantomPasswords],
            Resource: SERVICES.map((s) => `arn:${partition}:iam::*:user/${s.phantomUserPrefix}*`),
          },
        ),
      },
    },
    {
      name: ROLE_NAMES.findings,
      trustedAccounts: [security],
      inlinePolicies: { findings: doc(stmt(RESPONDER_ACTIONS.findings, '*')) },
    },
    // The forwarders' target role (infra/forwarder.ts ForwardRole): EventBridge puts the events on
    // the central bus as this role, which bks-sim judges with the bus policy.
    {
      name: `${NAMES.prefix}-forwarder`,
      trustPolicy: doc({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sts:AssumeRole',
      }),
      inlinePolicies: {
        forward: doc(
          stmt(['events:PutEvents'], `arn:${partition}:events:*:${security}:event-bus/${NAMES.centralBus}`),
        ),
      },
    },
  ];
}

/** The Security Hub custom actions the analyst approves or rejects a revocation with. */
interface CustomActions {
  approve: string;
  reject: string;
}

function customActionArns(partition: string, region: string, account: string): CustomActions {
  const arn = (id: string) => `arn:${partition}:securityhub:${region}:${account}:action/custom/${id}`;
  return { approve: arn('BksApproveRevoke'), reject: arn('BksRejectRevoke') };
}

export class LivePipeline {
  sim!: SimHandle;
  deployment!: Deployment;
  readonly traces: ExecutionTrace[] = [];
  /** The handlers' structured log lines (kept, never printed unless asked). */
  readonly logs: string[] = [];
  private readonly secret = randomBytes(18).toString('base64url');
  private savedEnv = { ...process.env };
  private undo: Array<() => void | Promise<void>> = [];
  private rules: PipelineRule[] = [];

  constructor(readonly options: LivePipelineOptions) {}

  private say(line: string): void {
    this.options.log?.(line);
  }

  /** The credentials of the pipeline's own principal (the functions' role) in the security account. */
  get credentials(): { accessKeyId: string; secretAccessKey: string } {
    return (
      this.options.principal ?? {
        accessKeyId: principalKey('P', this.deployment.securityAccount),
        secretAccessKey: this.secret,
      }
    );
  }

  private clientConfig(account: string, region: string, kind: 'P' | 'D' = 'D') {
    return {
      endpoint: this.sim.url,
      region,
      credentials: { accessKeyId: principalKey(kind, account), secretAccessKey: this.secret },
      maxAttempts: 2,
    };
  }

  async start(): Promise<Deployment> {
    const raw = readScenario(this.options.scenario);
    const scenario = (this.options.shiftToNow ? shiftScenarioToNow(raw) : raw) as Doc & {
      accounts?: Array<Doc & { id: string; roles?: Doc[] }>;
      principals?: Doc[];
      organization?: { managementAccount?: string } | null;
      partition?: string;
    };
    const accounts = Array.isArray(scenario.accounts) ? scenario.accounts : [];
    if (accounts.length === 0) throw new Error('scenario: accounts must name at least one account');
    const security =
      this.options.securityAccount ?? scenario.organization?.managementAccount ?? String(accounts[0]!.id);
    if (!accounts.some((a) => a.id === security)) {
      throw new Error(`--security-account ${security} is not an account of the scenario`);
    }
    const partition = scenario.partition ?? 'aws';
    // What the CDK deployment brings before anything runs: the responder roles in every account,
    // the functions' role in the security account, a deployment role per account.
    for (const a of accounts) {
      const have = new Set((a.roles ?? []).map((r) => String(r['name'])));
      a.roles = [
        ...(a.roles ?? []),
        ...responderRoles(partition, security).filter((r) => !have.has(String(r['name']))),
      ];
    }
    scenario.principals = [
      ...(scenario.principals ?? []),
      {
        accessKeyId: principalKey('P', security),
        secretAccessKey: this.secret,
        account: security,
        arn: `arn:${partition}:sts::${security}:assumed-role/bks-pipeline-functions/bks-pipeline`,
      },
      ...accounts.map((a) => ({
        accessKeyId: principalKey('D', a.id),
        secretAccessKey: this.secret,
        account: a.id,
        arn: `arn:${partition}:sts::${a.id}:assumed-role/cdk-deploy-role/bks-deploy`,
      })),
    ];
    this.sim = await startSim({
      scenario,
      port: this.options.port ?? 0,
      host: this.options.host ?? '127.0.0.1',
    });
    this.undo.push(() => this.sim.close());
    try {
      await this.deploy(security);
    } catch (e) {
      await this.stop();
      throw e;
    }
    return this.deployment;
  }

  private async deploy(security: string): Promise<void> {
    const home = this.options.homeRegion ?? 'us-east-1';
    const partition = this.sim.state.partition;
    this.rules = loadPipelineRules(this.options.rulesDir);
    const d: Deployment = {
      securityAccount: security,
      homeRegion: home,
      centralBusArn: '',
      stateMachineArn: '',
      approvalTable: NAMES.approvalTable,
      counterTable: NAMES.counterTable,
      topicArn: `arn:${partition}:sns:${home}:${security}:${NAMES.topic}`,
      approvalUrl: `${this.sim.url}/_pipeline/approve`,
      deadLetterQueues: [],
      functions: {},
      forwarders: {},
      centralRules: [],
    };
    this.deployment = d;
    await this.createTables(d);
    // As BedrockKeyGuard: one central dead-letter queue for the rule targets and the workflow's
    // malformed-input branch, and the functions' on-failure destination.
    const centralDlq = await this.createQueue(security, home, NAMES.deadLetterQueue('central'));
    await this.createQueue(security, home, NAMES.deadLetterQueue('failed-invocations'));
    await this.createWorkflow(d, centralDlq.url);
    await this.createFunctions(d);
    const customActions = await this.deployCentralBus(d, centralDlq.arn);
    await this.deployForwarders(d);
    this.setFunctionEnvironment(d, customActions);
    // The stateful function reads its rules when it loads: load it now that they are set.
    const { handler: stateful } = await import('../handlers/stateful');
    this.keepHandlerLogs();
    this.attachEngine();
    this.routeDeliveries(d, stateful as never);
    // The approval endpoint (the Lambda function URL on AWS), on the simulator's port, signing analysts
    // in at the simulator's test OIDC provider.
    const approval = await serveApproval(this.sim, {
      region: d.homeRegion,
      credentials: this.credentials,
      allowedGroups: this.options.approverGroups ?? ['soc'],
    });
    Object.assign(process.env, approval.env);
    this.undo.push(approval.stop);
    this.registerStack(d);
    const total = Object.values(d.forwarders).reduce((n, l) => n + l.length, 0);
    this.say(
      `deployed: ${d.centralRules.length} central rules on ${NAMES.centralBus}, ${total} forwarder rules in ` +
        `${Object.keys(d.forwarders).length} account-regions, workflow ${NAMES.stateMachine}; approvals at ${d.approvalUrl}`,
    );
  }

  /** The approval and counter tables and the record bucket, in the security account's home region. */
  private async createTables(d: Deployment): Promise<void> {
    await createRecordBucket(this.recordBucket(d), this.clientConfig(d.securityAccount, d.homeRegion));
    const ddb = new DynamoDBClient(this.clientConfig(d.securityAccount, d.homeRegion));
    for (const TableName of [d.approvalTable, d.counterTable]) {
      await ddb.send(
        new CreateTableCommand({
          TableName,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    }
    ddb.destroy();
  }

  /** A dead-letter queue (listed in the deployment's `deadLetterQueues`). */
  private async createQueue(account: string, region: string, name: string) {
    const sqs = new SQSClient(this.clientConfig(account, region));
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ['QueueArn'] }),
      );
      this.deployment.deadLetterQueues.push(attrs.Attributes!['QueueArn']!);
      return { url: QueueUrl!, arn: attrs.Attributes!['QueueArn']! };
    } finally {
      sqs.destroy();
    }
  }

  /** The response workflow `bks-response`. */
  private async createWorkflow(d: Deployment, dlqUrl: string): Promise<void> {
    const security = d.securityAccount;
    const sfn = new SFNClient(this.clientConfig(security, d.homeRegion));
    const sm = await sfn.send(
      new CreateStateMachineCommand({
        name: NAMES.stateMachine,
        definition: responseDefinitionFor(security, {
          region: d.homeRegion,
          approvalTimeoutSeconds: this.options.approvalTimeoutSeconds ?? 14_400,
          topicArn: d.topicArn,
          dlqUrl,
        }),
        roleArn: `arn:${this.sim.state.partition}:iam::${security}:role/${NAMES.prefix}-response`,
        type: 'STANDARD',
      }),
    );
    sfn.destroy();
    d.stateMachineArn = sm.stateMachineArn!;
  }

  /**
   * The functions EventBridge invokes, created in the simulator's Lambda with the asynchronous
   * invocation settings of the template (or of the CDK construct): their code runs in this process
   * (`routeDeliveries`), Lambda's retries and on-failure destination are the simulator's.
   */
  private async createFunctions(d: Deployment): Promise<void> {
    const settings = this.options.template
      ? asyncInvokeFromTemplate(this.options.template)
      : defaultAsyncInvoke(ASYNC_FUNCTIONS, NAMES.prefix);
    const client = new LambdaClient(this.clientConfig(d.securityAccount, d.homeRegion));
    const partition = this.sim.state.partition;
    try {
      for (const name of ASYNC_FUNCTIONS) {
        const created = await client.send(
          new CreateFunctionCommand({
            FunctionName: `${NAMES.prefix}-${name}`,
            Role: `arn:${partition}:iam::${d.securityAccount}:role/${NAMES.prefix}/${NAMES.prefix}-fn-${name}`,
            Runtime: 'nodejs22.x',
            Handler: 'index.handler',
            // The handler runs in this process; nothing is uploaded.
            Code: { ZipFile: new Uint8Array() },
          }),
        );
        const s = settings[name] ?? {};
        if (Object.keys(s).length > 0) {
          const destination = s.onFailureQueue
            ? `arn:${partition}:sqs:${d.homeRegion}:${d.securityAccount}:${s.onFailureQueue}`
            : undefined;
          await client.send(
            new PutFunctionEventInvokeConfigCommand({
              FunctionName: created.FunctionName!,
              ...(s.maximumRetryAttempts !== undefined
                ? { MaximumRetryAttempts: s.maximumRetryAttempts }
                : {}),
              ...(s.maximumEventAgeInSeconds !== undefined
                ? { MaximumEventAgeInSeconds: s.maximumEventAgeInSeconds }
                : {}),
              ...(destination ? { DestinationConfig: { OnFailure: { Destination: destination } } } : {}),
            }),
          );
        }
        d.functions[name] = { arn: created.FunctionArn!, ...s };
      }
    } finally {
      client.destroy();
    }
  }

  /** A function of the pipeline, in the security account's home region. */
  private lambdaArn(name: string): string {
    const d = this.deployment;
    return `arn:${this.sim.state.partition}:lambda:${d.homeRegion}:${d.securityAccount}:function:${NAMES.prefix}-${name}`;
  }

  /**
   * The central bus (PutEvents open to the member accounts), one rule per detection on it, and the
   * rule for Security Hub's custom actions on the home region's default bus.
   */
  private async deployCentralBus(d: Deployment, dlqArn: string): Promise<CustomActions> {
    const security = d.securityAccount;
    const eb = new EventBridgeClient(this.clientConfig(security, d.homeRegion));
    const bus = await eb.send(new CreateEventBusCommand({ Name: NAMES.centralBus }));
    d.centralBusArn = bus.EventBusArn!;
    for (const a of this.sim.state.accounts) {
      if (a.id === security) continue;
      await eb.send(
        new PutPermissionCommand({
          EventBusName: NAMES.centralBus,
          Action: 'events:PutEvents',
          Principal: a.id,
          StatementId: `member-${a.id}`,
        }),
      );
    }
    const targetOpts = {
      DeadLetterConfig: { Arn: dlqArn },
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
    };
    // RuleTargetInput.fromObject({ruleId, severity, title, event: EventField.fromPath('$')}), as CDK renders it.
    const ruleInput = (r: PipelineRule) => ({
      InputTransformer: {
        InputPathsMap: { event: '$' },
        InputTemplate: `{"ruleId":${JSON.stringify(r.id)},"severity":${JSON.stringify(r.severity)},"title":${JSON.stringify(r.title)},"event":<event>}`,
      },
    });
    const centralRule = async (name: string, pattern: Doc, target: Doc) => {
      await eb.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: NAMES.centralBus,
          EventPattern: JSON.stringify(pattern),
          State: ruleStateFor(pattern),
        }),
      );
      await eb.send(
        new PutTargetsCommand({
          Rule: name,
          EventBusName: NAMES.centralBus,
          Targets: [{ Id: 'fn', ...targetOpts, ...target } as never],
        }),
      );
      d.centralRules.push(name);
    };
    for (const r of this.rules) {
      const fn = r.kind === 'stateful' ? 'stateful' : 'dispatch';
      await centralRule(NAMES.centralRule(r.id), r.pattern, { Arn: this.lambdaArn(fn), ...ruleInput(r) });
      if (r.kind !== 'stateful') continue;
      await centralRule(
        NAMES.thresholdRule(r.id),
        {
          source: [THRESHOLD_EVENT_SOURCE],
          'detail-type': [THRESHOLD_EVENT_DETAIL_TYPE],
          detail: { ruleId: [r.id] },
        },
        { Arn: this.lambdaArn('dispatch'), ...ruleInput(r) },
      );
    }
    const actions = customActionArns(this.sim.state.partition, d.homeRegion, security);
    await eb.send(
      new PutRuleCommand({
        Name: NAMES.rule('custom-actions'),
        EventPattern: JSON.stringify({
          source: ['aws.securityhub'],
          'detail-type': ['Security Hub Findings - Custom Action'],
          resources: [actions.approve, actions.reject],
        }),
        State: 'ENABLED',
      }),
    );
    await eb.send(
      new PutTargetsCommand({
        Rule: NAMES.rule('custom-actions'),
        Targets: [{ Id: 'fn', Arn: this.lambdaArn('custom-action'), ...targetOpts }],
      }),
    );
    eb.destroy();
    return actions;
  }

  /** Forwarders: every account, every region it uses, plus the IAM region (account-regions in parallel). */
  private async deployForwarders(d: Deployment): Promise<void> {
    const placements = this.sim.state.accounts.flatMap((a) =>
      forwarderRegions(a.regions, d.homeRegion).map((region) => ({ account: a.id, region })),
    );
    await Promise.all(
      placements.map(async ({ account, region }) => {
        const dlq = await this.createQueue(account, region, NAMES.deadLetterQueue('forwarder'));
        const client = new EventBridgeClient(this.clientConfig(account, region));
        const names: string[] = [];
        try {
          for (const r of rulesForRegion(this.rules, region)) {
            const name = NAMES.forwarder(r.id);
            await client.send(
              new PutRuleCommand({
                Name: name,
                EventPattern: JSON.stringify(r.pattern),
                State: ruleStateFor(r.pattern),
                Description: `bks ${r.id}: ${r.title}`.slice(0, 512),
              }),
            );
            await client.send(
              new PutTargetsCommand({
                Rule: name,
                Targets: [
                  {
                    Id: 'central',
                    Arn: d.centralBusArn,
                    RoleArn: `arn:${this.sim.state.partition}:iam::${account}:role/${NAMES.prefix}-forwarder`,
                    DeadLetterConfig: { Arn: dlq.arn },
                  },
                ],
              }),
            );
            names.push(name);
          }
        } finally {
          client.destroy();
        }
        d.forwarders[`${account}/${region}`] = names;
      }),
    );
  }

  /** The revocation records' bucket (the CDK app's is versioned and KMS-encrypted). */
  private recordBucket(d: Deployment): string {
    return `${NAMES.prefix}-records-${d.securityAccount}`;
  }

  /** The functions' environment, as the CDK app sets it. */
  private setFunctionEnvironment(d: Deployment, actions: CustomActions): void {
    const statefulRules = this.rules.filter((r) => r.kind === 'stateful');
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: this.sim.url,
      AWS_REGION: d.homeRegion,
      AWS_ACCESS_KEY_ID: this.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.credentials.secretAccessKey,
      AWS_SESSION_TOKEN: '',
      BKS_APPROVAL_TABLE: d.approvalTable,
      BKS_COUNTER_TABLE: d.counterTable,
      BKS_APPROVAL_URL: d.approvalUrl,
      BKS_TOPIC_ARN: d.topicArn,
      BKS_HOME_REGION: d.homeRegion,
      BKS_REGIONS: [...new Set(this.sim.state.accounts.flatMap((a) => a.regions))].join(','),
      BKS_TIMELINE_HOURS: '24',
      BKS_APPROVE_ACTION_ARN: actions.approve,
      BKS_REJECT_ACTION_ARN: actions.reject,
      BKS_STATE_MACHINE_ARN: d.stateMachineArn,
      BKS_DEDUPE_SECONDS: '86400',
      BKS_EVENT_BUS: NAMES.centralBus,
      BKS_STATEFUL_RULES: JSON.stringify(
        statefulRules.map(({ id, severity, pattern, stateful }) => ({ id, severity, pattern, stateful })),
      ),
      BKS_POLICY: JSON.stringify(this.options.policy ?? {}),
      BKS_RECORD_BUCKET: this.recordBucket(d),
      BKS_LINK_TTL_SECONDS: String(Math.min(86_400, this.options.approvalTimeoutSeconds ?? 14_400)),
      POWERTOOLS_DEV: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env['AWS_SESSION_TOKEN'];
    delete process.env['AWS_PROFILE'];
    resetClients();
    resetAws();
  }

  /** The handlers' structured logs: kept in memory (they would interleave with the CLI's output). */
  private keepHandlerLogs(): void {
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.startsWith('{"level"') || text.startsWith('{"cold_start"') || /^\{"[a-z_]+":/.test(text)) {
        this.logs.push(text);
        return true;
      }
      return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as never;
    this.undo.push(() => {
      process.stdout.write = write;
    });
  }

  /** The local engine behind the simulator's StartExecution. */
  private attachEngine(): void {
    setExecutionEngine(
      this.sim.ctx,
      responseEngine({
        ctx: this.sim.ctx,
        simUrl: this.sim.url,
        credentials: this.credentials,
        roles: ROLE_NAMES,
        hooks: {
          onStart: (t) => {
            this.traces.push(t);
            this.say(`workflow ${t.name} started`);
          },
          onApprovalRequested: (t) =>
            this.say(
              `workflow ${t.name}: finding ${String(t.finding?.id ?? '?')} raised, approval requested`,
            ),
        },
      }),
    );
    this.undo.push(() => {
      abortAll(this.sim.ctx);
      setExecutionEngine(this.sim.ctx, undefined);
    });
  }

  /** Deliveries to the pipeline's functions run the real handlers in this process. */
  private routeDeliveries(d: Deployment, stateful: (input: never) => Promise<unknown>): void {
    // The dispatcher's own environment (as the template sets it): the findings role, for escalations.
    installFunctionEnv();
    const asDispatch = (input: never) =>
      inFunction({ BKS_ROLE_NAME: ROLE_NAMES.findings }, () => dispatch(input));
    const functions: Record<string, (input: never) => Promise<unknown>> = {
      [`${NAMES.prefix}-dispatch`]: asDispatch as never,
      [`${NAMES.prefix}-stateful`]: stateful,
      [`${NAMES.prefix}-custom-action`]: customAction as never,
    };
    this.undo.push(
      this.sim.onDelivery(async (target: DeliveryTarget, input: unknown) => {
        const m = /^arn:[\w-]+:lambda:([\w-]+):(\d{12}):function:([\w-]+)$/.exec(target.target.Arn);
        const fn = m && m[2] === d.securityAccount && m[1] === d.homeRegion ? functions[m[3]!] : undefined;
        if (!fn) throw new Error(`no function ${target.target.Arn} in the local pipeline`);
        const ruleId = (input as { ruleId?: string }).ruleId;
        if (ruleId && m![3] === `${NAMES.prefix}-dispatch`)
          this.say(`${ruleId} matched (${target.ruleName})`);
        return fn(input as never);
      }),
    );
  }

  /**
   * The stack, as CloudFormation DescribeStacks lists it with the outputs the CDK app writes
   * (BedrockKeyGuard's outputs, src/pipeline/stack-outputs.ts): `bks selftest` finds this deployment
   * exactly as it finds one on AWS.
   */
  private registerStack(d: Deployment): void {
    putStack(this.sim.ctx, d.securityAccount, d.homeRegion, {
      StackName: this.options.stackName ?? DEFAULT_STACK_NAME,
      Description:
        'bks: real-time detection and approved revocation of Bedrock API keys (bks-sim --pipeline)',
      Outputs: outputList({
        prefix: NAMES.prefix,
        centralBusArn: d.centralBusArn,
        stateMachineArn: d.stateMachineArn,
        approvalTable: d.approvalTable,
        counterTable: d.counterTable,
        topicArn: d.topicArn,
        approvalUrl: d.approvalUrl,
      }),
    });
  }

  /** Resolves with the execution once it is no longer running. */
  done(executionArn: string): Promise<SimExecution> {
    return executionDone(this.sim.ctx, executionArn);
  }

  async stop(): Promise<void> {
    for (const u of this.undo.splice(0).reverse()) await u();
    process.env = this.savedEnv;
    resetClients();
    resetAws();
  }
}
