/**
 * `BedrockKeyGuard`: the whole real-time pipeline behind one construct, for the security account's
 * home region.
 *
 *   new BedrockKeyGuard(stack, 'Guard', { rules, regions: ['us-east-1', 'eu-west-1'] });
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
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type Severity, THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '../src/pipeline/incident';
import type { ResponsePolicy, TimeoutAction } from '../src/pipeline/policy';
import { forwarderRegions, type PipelineRule } from '../src/pipeline/rules';
import { BUNDLE_BANNER, BUNDLE_EXTERNALS, BUNDLE_TARGET } from './bundling';
import { ANOMALY_ALARM_PREFIX, DetectionForwarder } from './forwarder';
import { ResponderRoles, responderRoleNames } from './responder-roles';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BedrockKeyGuardProps {
  /** The detection rules (`loadPipelineRules()` reads `detections/`). */
  readonly rules: readonly PipelineRule[];
  /** Regions whose Bedrock, bedrock-mantle and Claude Platform events are watched. @default [homeRegion] */
  readonly regions?: readonly string[];
  /** Region of the central bus and the workflow. @default the stack's region */
  readonly homeRegion?: string;
  /** Severities revoked without asking. @default [] (auto-revoke off) */
  readonly autoRevoke?: readonly Severity[];
  /** Break-glass principals (ARNs, `prefix*`, or IAM user names): notified, never revoked. @default [] */
  readonly allowlistedPrincipals?: readonly string[];
  /** How long an analyst has to decide. @default 4 hours */
  readonly approvalTimeout?: Duration;
  /** What happens when nobody decides in time. @default 'notify-only' */
  readonly timeoutAction?: TimeoutAction;
  /** Longest validity of an approval link (capped by `approvalTimeout`). @default 24 hours */
  readonly approvalLinkTtl?: Duration;
  /** Where the SOC is notified. @default a new KMS-encrypted topic */
  readonly notificationTopic?: sns.ITopic;
  /** Accept events from every account of this organization on the central bus. */
  readonly organizationId?: string;
  /** How often reconciliation runs; it looks back twice as far (at least an hour). @default 1 hour */
  readonly reconciliationPeriod?: Duration;
  /** Accounts reconciliation inventories (through the reader role). @default this account */
  readonly reconcileAccounts?: readonly string[];
  /** Name of the central bus. @default 'bks-central' */
  readonly centralBusName?: string;
  /** Prefix of the responder roles in each account. @default 'bks' */
  readonly responderRolePrefix?: string;
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

/** The Lambda functions of the pipeline, by short name (`handlers/<name>.ts`). */
export const FUNCTION_NAMES = [
  'dispatch',
  'normalize',
  'enrich',
  'finding',
  'decide',
  'request-approval',
  'approval-api',
  'custom-action',
  'revoke',
  'stateful',
  'reconcile',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The ASL with the approval timeout set: `${…}` ARN substitutions are left to CloudFormation. */
export function responseDefinition(approvalTimeoutSeconds: number): string {
  const def = JSON.parse(readFileSync(`${ROOT}/statemachines/response.asl.json`, 'utf8'));
  def.States.AskAnalyst.TimeoutSeconds = approvalTimeoutSeconds;
  return JSON.stringify(def);
}

export class BedrockKeyGuard extends Construct {
  readonly centralBus: events.EventBus;
  readonly stateMachine: sfn.StateMachine;
  readonly topic: sns.ITopic;
  readonly deadLetterQueue: sqs.Queue;
  readonly approvalTable: dynamodb.Table;
  readonly counterTable: dynamodb.Table;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly functions = {} as Record<FunctionName, nodejs.NodejsFunction>;
  readonly approveAction: securityhub.CfnActionTarget;
  readonly rejectAction: securityhub.CfnActionTarget;
  readonly forwarders: DetectionForwarder[] = [];
  readonly regionalStacks: Stack[] = [];
  readonly policy: ResponsePolicy;

  constructor(scope: Construct, id: string, props: BedrockKeyGuardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const homeRegion = props.homeRegion ?? stack.region;
    const regions = [...(props.regions ?? [homeRegion])];
    const approvalTimeout = props.approvalTimeout ?? Duration.hours(4);
    const linkTtl = Math.min(
      (props.approvalLinkTtl ?? Duration.hours(24)).toSeconds(),
      approvalTimeout.toSeconds(),
    );
    this.policy = {
      autoRevoke: [...(props.autoRevoke ?? [])],
      allowlist: [...(props.allowlistedPrincipals ?? [])],
      approvalTimeoutSeconds: approvalTimeout.toSeconds(),
      timeoutAction: props.timeoutAction ?? 'notify-only',
    };
    const roles = responderRoleNames(props.responderRolePrefix);
    const busName = props.centralBusName ?? 'bks-central';

    // --- shared resources -------------------------------------------------------------------
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue of every central rule target and of the workflow's malformed-input branch.",
    });

    if (props.notificationTopic) {
      this.topic = props.notificationTopic;
    } else {
      const key = new kms.Key(this, 'TopicKey', {
        enableKeyRotation: true,
        description: 'bks SOC notification topic',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // EventBridge delivers the anomaly-alarm notifications to the encrypted topic.
      key.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
      this.topic = new sns.Topic(this, 'Notifications', {
        displayName: 'bks: Bedrock API key incidents',
        masterKey: key,
        enforceSSL: true,
      });
    }

    this.approvalTable = new dynamodb.Table(this, 'Approvals', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.counterTable = new dynamodb.Table(this, 'Counters', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.centralBus = new events.EventBus(this, 'CentralBus', { eventBusName: busName });
    if (props.organizationId) {
      this.centralBus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OrganizationPutEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.centralBus.eventBusArn],
          conditions: { StringEquals: { 'aws:PrincipalOrgID': props.organizationId } },
        }),
      );
    }

    // --- functions ----------------------------------------------------------------------------
    const fn = (name: FunctionName, environment: Record<string, string>, timeout = Duration.seconds(30)) => {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(this, `${name}-role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `bks pipeline function ${name}`,
      });
      logGroup.grantWrite(role);
      const f = new nodejs.NodejsFunction(this, name, {
        entry: `${ROOT}/handlers/${name}.ts`,
        handler: 'handler',
        projectRoot: ROOT,
        depsLockFilePath: `${ROOT}/package-lock.json`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout,
        role,
        logGroup,
        environment: { POWERTOOLS_SERVICE_NAME: 'bks-pipeline', ...environment },
        bundling: {
          forceDockerBundling: false,
          minify: true,
          target: BUNDLE_TARGET,
          format: nodejs.OutputFormat.ESM,
          mainFields: ['module', 'main'],
          externalModules: BUNDLE_EXTERNALS,
          banner: BUNDLE_BANNER,
        },
      });
      Validations.of(f).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is deliberate: the code base supports Node 20 and 22 and is tested on both.',
      });
      this.functions[name] = f;
      return f;
    };
    const assume = (f: nodejs.NodejsFunction, roleName: string) => {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole'],
          resources: [
            stack.formatArn({
              service: 'iam',
              region: '',
              account: '*',
              resource: 'role',
              resourceName: roleName,
            }),
          ],
        }),
      );
      Validations.of(f.role!.node.findChild('DefaultPolicy')).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${roleName}]`,
        reason:
          'Incidents come from any account of the organization; the function may assume only this one named ' +
          'responder role, which each account deploys with a trust on the security account.',
      });
    };

    const timelineHours = String((props.timelineWindow ?? Duration.hours(24)).toHours());
    const statefulRules = props.rules.filter((r) => r.kind === 'stateful');

    const normalize = fn('normalize', {});
    const decide = fn('decide', { BKS_POLICY: JSON.stringify(this.policy) });
    const enrich = fn(
      'enrich',
      { BKS_ROLE_NAME: roles.reader, BKS_REGIONS: regions.join(','), BKS_TIMELINE_HOURS: timelineHours },
      Duration.seconds(100),
    );
    assume(enrich, roles.reader);
    const finding = fn('finding', { BKS_ROLE_NAME: roles.findings, BKS_HOME_REGION: homeRegion });
    assume(finding, roles.findings);
    const revoke = fn('revoke', { BKS_ROLE_NAME: roles.revoker }, Duration.seconds(100));
    assume(revoke, roles.revoker);

    const approvalApi = fn('approval-api', { BKS_APPROVAL_TABLE: this.approvalTable.tableName });
    this.approvalTable.grant(approvalApi, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // The link is the credential (HMAC-signed, expiring, single use), so the URL itself is public.
    this.approvalUrl = approvalApi.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    const requestApproval = fn('request-approval', {
      BKS_APPROVAL_TABLE: this.approvalTable.tableName,
      BKS_APPROVAL_URL: this.approvalUrl.url,
      BKS_TOPIC_ARN: this.topic.topicArn,
      BKS_LINK_TTL_SECONDS: String(linkTtl),
    });
    this.approvalTable.grant(requestApproval, 'dynamodb:GetItem', 'dynamodb:PutItem');
    this.topic.grantPublish(requestApproval);

    this.approveAction = new securityhub.CfnActionTarget(this, 'ApproveAction', {
      id: 'BksApproveRevoke',
      name: 'Approve revoke',
      description:
        "bks: approve the pending revocation of this finding's Bedrock API key (add a note with your reason first)",
    });
    this.rejectAction = new securityhub.CfnActionTarget(this, 'RejectAction', {
      id: 'BksRejectRevoke',
      name: 'Reject',
      description:
        "bks: reject the pending revocation of this finding's Bedrock API key (add a note with your reason first)",
    });
    for (const action of [this.approveAction, this.rejectAction]) {
      Validations.of(action).acknowledge({
        id: 'CloudFormation-Validate::F3006',
        reason:
          "AWS::SecurityHub::ActionTarget is a documented CloudFormation type (CreateActionTarget); the validator's " +
          'regional resource table lags behind it.',
      });
    }
    const customAction = fn('custom-action', {
      BKS_APPROVAL_TABLE: this.approvalTable.tableName,
      BKS_APPROVE_ACTION_ARN: this.approveAction.attrActionTargetArn,
      BKS_REJECT_ACTION_ARN: this.rejectAction.attrActionTargetArn,
    });
    this.approvalTable.grant(customAction, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    // --- the workflow -------------------------------------------------------------------------
    const smLogs = new logs.LogGroup(this, 'ResponseLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Named, so the approval functions can be granted SendTaskSuccess on its ARN without a
    // reference cycle (workflow → request-approval → approval URL → approval-api → workflow).
    const stateMachineName = `${stack.stackName}-${id}-response`.slice(0, 80);
    this.stateMachine = new sfn.StateMachine(this, 'Response', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(responseDefinition(approvalTimeout.toSeconds())),
      definitionSubstitutions: {
        Partition: stack.partition,
        NormalizeFunctionArn: normalize.functionArn,
        EnrichFunctionArn: enrich.functionArn,
        FindingFunctionArn: finding.functionArn,
        DecideFunctionArn: decide.functionArn,
        RequestApprovalFunctionArn: requestApproval.functionArn,
        RevokeFunctionArn: revoke.functionArn,
        DeadLetterQueueUrl: this.deadLetterQueue.queueUrl,
        NotificationTopicArn: this.topic.topicArn,
      },
      // Execution data stays out of the logs: it holds the task token while an approval is pending.
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    for (const f of [normalize, enrich, finding, decide, requestApproval, revoke])
      f.grantInvoke(this.stateMachine);
    this.deadLetterQueue.grantSendMessages(this.stateMachine);
    this.topic.grantPublish(this.stateMachine);
    const byName = sfn.StateMachine.fromStateMachineName(this, 'ResponseByName', stateMachineName);
    byName.grantTaskResponse(approvalApi);
    byName.grantTaskResponse(customAction);
    const smPolicy = this.stateMachine.role.node.findChild('DefaultPolicy');
    Validations.of(smPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) support no resource-level ' +
        'permissions; CDK adds them for tracingEnabled and logs.',
    });
    for (const f of [normalize, enrich, finding, decide, requestApproval, revoke]) {
      Validations.of(smPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(f.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason:
          "grantInvoke adds the function's versions and aliases (ARN:*); the workflow invokes only this function.",
      });
    }
    if (!props.notificationTopic) {
      for (const grantee of [this.stateMachine.role, requestApproval.role!]) {
        Validations.of(grantee.node.findChild('DefaultPolicy')).acknowledge({
          id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          reason:
            'Publishing to a KMS-encrypted SNS topic needs kms:GenerateDataKey* (SNS developer guide); the grant is ' +
            "limited to the topic's own key.",
        });
      }
    }

    // --- dispatch and detection on the central bus -------------------------------------------
    const dispatch = fn('dispatch', {
      BKS_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
      BKS_COUNTER_TABLE: this.counterTable.tableName,
      BKS_DEDUPE_SECONDS: String((props.incidentWindow ?? Duration.hours(24)).toSeconds()),
    });
    this.stateMachine.grantStartExecution(dispatch);
    this.counterTable.grant(dispatch, 'dynamodb:PutItem');
    const stateful = fn('stateful', {
      BKS_COUNTER_TABLE: this.counterTable.tableName,
      BKS_EVENT_BUS: this.centralBus.eventBusName,
      BKS_STATEFUL_RULES: JSON.stringify(
        statefulRules.map(({ id, severity, stateful }) => ({ id, severity, stateful })),
      ),
    });
    this.counterTable.grant(stateful, 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
    this.centralBus.grantPutEventsTo(stateful);

    const ruleInput = (r: PipelineRule) =>
      events.RuleTargetInput.fromObject({
        ruleId: r.id,
        severity: r.severity,
        event: events.EventField.fromPath('$'),
      });
    const targetOpts = {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    };
    for (const r of props.rules) {
      if (r.kind === 'stateful') {
        new events.Rule(this, `Count-${r.id}`, {
          eventBus: this.centralBus,
          description: `bks ${r.id} (stateful): count matching events`,
          eventPattern: r.pattern as events.EventPattern,
          targets: [new targets.LambdaFunction(stateful, { ...targetOpts, event: ruleInput(r) })],
        });
        new events.Rule(this, `Threshold-${r.id}`, {
          eventBus: this.centralBus,
          description: `bks ${r.id} (stateful): threshold crossed`,
          eventPattern: {
            source: [THRESHOLD_EVENT_SOURCE],
            detailType: [THRESHOLD_EVENT_DETAIL_TYPE],
            detail: { ruleId: [r.id] },
          },
          targets: [new targets.LambdaFunction(dispatch, { ...targetOpts, event: ruleInput(r) })],
        });
      } else {
        new events.Rule(this, `Detect-${r.id}`, {
          eventBus: this.centralBus,
          description: `bks ${r.id}: ${r.title}`.slice(0, 512),
          eventPattern: r.pattern as events.EventPattern,
          targets: [new targets.LambdaFunction(dispatch, { ...targetOpts, event: ruleInput(r) })],
        });
      }
    }
    new events.Rule(this, 'AnomalyAlarms', {
      eventBus: this.centralBus,
      description: 'bks: Bedrock invocation anomaly alarms from every region, to the SOC topic',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: ANOMALY_ALARM_PREFIX }], state: { value: ['ALARM'] } },
      },
      targets: [new targets.SnsTopic(this.topic, targetOpts)],
    });

    // Security Hub custom actions arrive on the home region's default bus.
    new events.Rule(this, 'CustomActions', {
      description: 'bks: Security Hub custom actions Approve revoke / Reject',
      eventPattern: {
        source: ['aws.securityhub'],
        detailType: ['Security Hub Findings - Custom Action'],
        resources: [this.approveAction.attrActionTargetArn, this.rejectAction.attrActionTargetArn],
      },
      targets: [new targets.LambdaFunction(customAction, targetOpts)],
    });

    // --- reconciliation -----------------------------------------------------------------------
    const reconcile = fn(
      'reconcile',
      {
        BKS_ROLE_NAME: roles.reader,
        BKS_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        BKS_ACCOUNTS: (props.reconcileAccounts ?? []).join(','),
        BKS_LOOKBACK_SECONDS: String(
          Math.max(2 * (props.reconciliationPeriod ?? Duration.hours(1)).toSeconds(), 3600),
        ),
      },
      Duration.minutes(5),
    );
    assume(reconcile, roles.reader);
    this.stateMachine.grantStartExecution(reconcile);
    new events.Rule(this, 'Reconcile', {
      description: 'bks: scheduled reconciliation (inventory; raises what the event stream missed)',
      schedule: events.Schedule.rate(props.reconciliationPeriod ?? Duration.hours(1)),
      targets: [new targets.LambdaFunction(reconcile, targetOpts)],
    });

    // --- responder roles and forwarders ------------------------------------------------------
    if (props.deployResponderRoles ?? true) {
      new ResponderRoles(this, 'Responders', { securityAccount: stack.account, names: roles });
    }
    const busArn = stack.formatArn({
      service: 'events',
      region: homeRegion,
      resource: 'event-bus',
      resourceName: busName,
    });
    for (const region of forwarderRegions(regions, homeRegion)) {
      if (region === homeRegion) {
        this.forwarders.push(
          new DetectionForwarder(this, 'Forwarder', { rules: props.rules, centralBusArn: busArn }),
        );
      } else if (props.regionalStacks ?? true) {
        const stage = Stage.of(this);
        if (!stage)
          throw new Error('BedrockKeyGuard: regional stacks need the construct to be inside an App or Stage');
        const regional = new Stack(stage, `${stack.stackName}-${region}`, {
          env: { account: stack.account, region },
          description: `bks detection forwarders for ${region} (to ${busName} in ${homeRegion})`,
        });
        regional.addStackDependency(stack);
        this.regionalStacks.push(regional);
        this.forwarders.push(
          new DetectionForwarder(regional, 'Forwarder', { rules: props.rules, centralBusArn: busArn }),
        );
      }
    }
  }
}
