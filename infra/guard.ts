/**
 * `BedrockKeyGuard`: the whole real-time pipeline behind one construct, for the security account's
 * home region.
 *
 *   new BedrockKeyGuard(stack, 'Guard', { regions: ['us-east-1', 'eu-west-1'] });
 *
 * It is made of four constructs a user may also deploy on their own: `Detection` (central bus,
 * rules, forwarders), `Response` (the workflow), `Approval` (links and Security Hub custom actions)
 * and `Reconciliation` (the scheduled inventory).
 *
 * - A central event bus (accepting the organization's events when `organizationId` is given) and
 *   one rule per detection on it, each targeting the dispatcher (or, for stateful rules, the
 *   windowed-counter consumer) with a dead-letter queue.
 * - Forwarders (rules on each region's default bus, from `detections/`, IAM rules only in the IAM
 *   region) and a Bedrock invocation anomaly alarm per region: in this stack for the home region,
 *   in one sibling stack per other region.
 * - The Standard response workflow (`statemachines/response.asl.json`), its Lambda functions, the
 *   approval table, link endpoint and Security Hub custom actions, the SOC topic, the hourly
 *   reconciliation.
 * Auto-revoke is off unless `autoRevoke` lists severities.
 */
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Severity } from '../src/pipeline/incident';
import { pipelineNames } from '../src/pipeline/names';
import type { ResponsePolicy, TimeoutAction } from '../src/pipeline/policy';
import type { PipelineRule } from '../src/pipeline/rules';
import { OUTPUT_DESCRIPTIONS, OUTPUT_KEYS, type OutputName } from '../src/pipeline/stack-outputs';
import { alarmOnQueue } from './alarms';
import { Approval, type ApprovalSignInProps } from './approval';
import { Detection } from './detection';
import type { DetectionForwarder } from './forwarder';
import type { FunctionName } from './function';
import { Reconciliation } from './reconciliation';
import { ResponderRoles, responderRoleNames } from './responder-roles';
import { Response } from './response';
import { loadPipelineRules } from './rules';
import { holdingQueue, socTopic } from './soc';
import { OrganizationTrail } from './trail';

export { FUNCTION_NAMES, type FunctionName } from './function';
export { responseDefinition } from './response';

export interface BedrockKeyGuardProps {
  /** The detection rules. @default every rule of `detections/` (`loadPipelineRules()`) */
  readonly rules?: readonly PipelineRule[];
  /** Regions whose Bedrock, bedrock-mantle and Claude Platform events are watched. @default [homeRegion] */
  readonly regions?: readonly string[];
  /** Region of the central bus and the workflow. @default the stack's region */
  readonly homeRegion?: string;
  /** Severities revoked without asking; `false` or `[]` turns auto-revoke off. @default false */
  readonly autoRevoke?: readonly Severity[] | false;
  /** Break-glass principals (ARNs, `prefix*`, or IAM user names): notified, never revoked. @default [] */
  readonly allowlistedPrincipals?: readonly string[];
  /** How long an analyst has to decide. @default 4 hours */
  readonly approvalTimeout?: Duration;
  /** What happens when nobody decides in time. @default 'notify-only' */
  readonly timeoutAction?: TimeoutAction;
  /** Longest validity of an approval link (capped by `approvalTimeout`). @default 24 hours */
  readonly approvalLinkTtl?: Duration;
  /** The identity provider the approval page signs analysts in with (docs/approval.md). */
  readonly approvalSignIn?: ApprovalSignInProps;
  /** Where the SOC is notified. @default a new KMS-encrypted topic */
  readonly notificationTopic?: sns.ITopic;
  /** Accept events from every account of this organization on the central bus. */
  readonly organizationId?: string;
  /** How often reconciliation runs; it looks back twice as far (at least an hour). @default 1 hour */
  readonly reconciliationPeriod?: Duration;
  /** Accounts reconciliation inventories (through the reader role). @default this account */
  readonly reconcileAccounts?: readonly string[];
  /**
   * Prefix of every named resource of the pipeline (`src/pipeline/names.ts`): the central bus
   * `<prefix>-central` and its rules `<prefix>-<RULE-ID>`, the forwarders `<prefix>-fwd-<RULE-ID>`,
   * the state machine `<prefix>-response`, the queues `<prefix>-*-dlq`, the tables, the SOC topic, and
   * the roles under the path `/<prefix>/` (responder roles `<prefix>-reader`, `-revoker`,
   * `-findings`; function roles `<prefix>-fn-<function>`). `bks coverage --name-prefix` and
   * `bks selftest` find the pipeline by these names. Names are fixed, so one pipeline per account
   * and prefix. 1-21 letters, digits, `_` or `-`.
   * @default 'bks'
   */
  readonly prefix?: string;
  /**
   * Create the organization trail the pipeline needs (`OrganizationTrail`, infra/trail.ts): every
   * management event read and write, and the data events of Bedrock (agents, knowledge bases, flows,
   * guardrails, prompts, inference logged as data events) and of bedrock-mantle (inference and files)
   * through advanced event selectors. Needs `organizationId`, and the stack in
   * the organization's management account (or CloudTrail's delegated administrator). Leave it off
   * when the organization already has a trail: add the selectors to that one instead.
   * @default false
   */
  readonly organizationTrail?: boolean;
  /** Invocations per 5 minutes, all models, above which a region's invocations alarm fires. @default 1000 */
  readonly invocationsThreshold?: number;
  /** Deploy the responder roles in this account too. @default true */
  readonly deployResponderRoles?: boolean;
  /** Create sibling stacks for the regions other than the home region. @default true */
  readonly regionalStacks?: boolean;
  /**
   * After a rule fires for a key, further matches of the same rule on the same key within this
   * window start no new workflow (the finding and any pending approval already exist). @default 24 hours
   */
  readonly incidentWindow?: Duration;
  /** How far back the enrichment timeline looks. @default 24 hours */
  readonly timelineWindow?: Duration;
}

export class BedrockKeyGuard extends Construct {
  readonly centralBus: events.EventBus;
  readonly stateMachine: sfn.StateMachine;
  readonly topic: sns.ITopic;
  readonly deadLetterQueue: sqs.Queue;
  /** On-failure destination of every asynchronously invoked function. */
  readonly failureQueue: sqs.Queue;
  readonly approvalTable: dynamodb.Table;
  readonly counterTable: dynamodb.Table;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly functions: Record<FunctionName, nodejs.NodejsFunction>;
  readonly approveAction: securityhub.CfnActionTarget;
  readonly rejectAction: securityhub.CfnActionTarget;
  readonly forwarders: DetectionForwarder[];
  readonly regionalStacks: Stack[];
  readonly policy: ResponsePolicy;
  readonly detection: Detection;
  readonly response: Response;
  readonly approval: Approval;
  readonly reconciliation: Reconciliation;
  /** The organization trail, when `organizationTrail` is set. */
  readonly trail?: OrganizationTrail;

  constructor(scope: Construct, id: string, props: BedrockKeyGuardProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const homeRegion = props.homeRegion ?? stack.region;
    const regions = [...(props.regions ?? [homeRegion])];
    const rules = props.rules ?? loadPipelineRules();
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(4);
    this.policy = {
      autoRevoke: [...(props.autoRevoke || [])],
      allowlist: [...(props.allowlistedPrincipals ?? [])],
      approvalTimeoutSeconds: approvalTimeout.toSeconds(),
      timeoutAction: props.timeoutAction ?? 'notify-only',
    };
    if (props.organizationTrail && !props.organizationId)
      throw new Error(
        'BedrockKeyGuard: organizationTrail needs organizationId (the trail logs the whole organization)',
      );
    const roles = responderRoleNames(props.prefix);
    const names = pipelineNames(roles.prefix);
    this.deadLetterQueue = holdingQueue(
      this,
      'DeadLetters',
      "This queue is the dead-letter queue of every central rule target and of the workflow's malformed-input branch.",
      names.deadLetterQueue('central'),
    );
    this.topic = props.notificationTopic ?? socTopic(this, 'Notifications', names.topic);
    alarmOnQueue(this, 'DeadLettersAlarm', this.deadLetterQueue, 'the central dead-letter queue', this.topic);
    this.failureQueue = holdingQueue(
      this,
      'FailedInvocations',
      'This queue is the on-failure destination of the asynchronously invoked functions; a DLQ of it adds nothing.',
      names.deadLetterQueue('failed-invocations'),
    );
    alarmOnQueue(
      this,
      'FailedInvocationsAlarm',
      this.failureQueue,
      'the on-failure destination of the dispatch, stateful, custom-action and reconcile functions',
      this.topic,
    );
    const prefix = roles.prefix;

    // Named (`<prefix>-response`): `bks coverage` finds it, and the approval functions can be granted
    // SendTaskSuccess on its ARN without a reference cycle (workflow → request-approval → approval
    // URL → approval-api → workflow).
    const stateMachineName = names.stateMachine;
    this.approval = new Approval(this, 'Approval', {
      stateMachineName,
      topic: this.topic,
      deadLetterQueue: this.deadLetterQueue,
      failureQueue: this.failureQueue,
      prefix,
      ...(props.approvalSignIn ? { signIn: props.approvalSignIn } : {}),
      linkTtl: Duration.seconds(
        Math.min((props.approvalLinkTtl ?? Duration.hours(24)).toSeconds(), approvalTimeout.toSeconds()),
      ),
    });
    this.response = new Response(this, 'Response', {
      stateMachineName,
      policy: this.policy,
      topic: this.topic,
      deadLetterQueue: this.deadLetterQueue,
      requestApproval: this.approval.functions['request-approval'],
      roles,
      regions,
      homeRegion,
      prefix,
      ...(props.timelineWindow ? { timelineWindow: props.timelineWindow } : {}),
    });
    this.stateMachine = this.response.stateMachine;
    // The closing step, or the manual-action step when a run stops before it, reports what was done
    // back to the approval request (the page after a decision).
    for (const f of [this.response.functions.finding, this.response.functions['manual-action']]) {
      f.addEnvironment('BKS_APPROVAL_TABLE', this.approval.table.tableName);
      this.approval.table.grant(f, 'dynamodb:UpdateItem');
    }
    this.detection = new Detection(this, 'Detection', {
      rules,
      stateMachine: this.stateMachine,
      topic: this.topic,
      deadLetterQueue: this.deadLetterQueue,
      regions,
      homeRegion,
      prefix,
      failureQueue: this.failureQueue,
      ...pick(props, 'organizationId', 'regionalStacks', 'incidentWindow', 'invocationsThreshold'),
    });
    this.reconciliation = new Reconciliation(this, 'Reconciliation', {
      stateMachine: this.stateMachine,
      readerRole: roles.reader,
      deadLetterQueue: this.deadLetterQueue,
      topic: this.topic,
      failureQueue: this.failureQueue,
      prefix,
      ...(props.reconcileAccounts ? { accounts: props.reconcileAccounts } : {}),
      ...(props.reconciliationPeriod ? { period: props.reconciliationPeriod } : {}),
    });
    this.trail = this.organizationTrail(props, prefix);
    if (props.deployResponderRoles ?? true) {
      new ResponderRoles(this, 'Responders', { securityAccount: stack.account, names: roles, homeRegion });
    }

    this.centralBus = this.detection.centralBus;
    this.counterTable = this.detection.counterTable;
    this.forwarders = this.detection.forwarders;
    this.regionalStacks = this.detection.regionalStacks;
    this.approvalTable = this.approval.table;
    this.approvalUrl = this.approval.url;
    this.approveAction = this.approval.approveAction;
    this.rejectAction = this.approval.rejectAction;
    this.functions = {
      ...this.response.functions,
      ...this.approval.functions,
      ...this.detection.functions,
      reconcile: this.reconciliation.function,
    };
    this.outputs(names.prefix);
  }

  /** The organization trail, when `organizationTrail` asks for it (infra/trail.ts). */
  private organizationTrail(props: BedrockKeyGuardProps, prefix: string): OrganizationTrail | undefined {
    if (!props.organizationTrail || !props.organizationId) return undefined;
    return new OrganizationTrail(this, 'OrganizationTrail', {
      organizationId: props.organizationId,
      trailName: `${prefix}-organization`,
    });
  }

  /**
   * Stack outputs with fixed keys (`Bks…`), so tools find a deployment from the stack alone
   * (`aws cloudformation describe-stacks`): the prefix every name derives from, and the resources
   * `bks selftest` and `bks coverage` read.
   */
  private outputs(prefix: string) {
    // `bks selftest`: the decide step verifies a canary's run id in the approval table
    // (src/pipeline/canary.ts).
    this.response.functions.decide.addEnvironment('BKS_APPROVAL_TABLE', this.approvalTable.tableName);
    this.approvalTable.grant(this.response.functions.decide, 'dynamodb:GetItem');
    const out = (key: OutputName, value: string) =>
      new CfnOutput(this, OUTPUT_KEYS[key], {
        value,
        description: OUTPUT_DESCRIPTIONS[key],
      }).overrideLogicalId(OUTPUT_KEYS[key]);
    out('prefix', prefix);
    out('centralBusArn', this.centralBus.eventBusArn);
    out('stateMachineArn', this.stateMachine.stateMachineArn);
    out('approvalTable', this.approvalTable.tableName);
    out('counterTable', this.counterTable.tableName);
    out('topicArn', this.topic.topicArn);
    out('approvalUrl', this.approvalUrl.url);
    out('recordBucket', this.response.recordBucket.bucketName);
  }
}

/** The props among `keys` that are set (exactOptionalPropertyTypes leaves no `undefined` through). */
function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): { [P in K]?: NonNullable<T[P]> } {
  const out: { [P in K]?: NonNullable<T[P]> } = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k] as NonNullable<T[K]>;
  return out;
}
