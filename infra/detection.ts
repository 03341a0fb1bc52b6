/**
 * `Detection`: the central event bus (accepting the organization's forwarded events when
 * `organizationId` is given), one rule per detection on it with a dead-letter queue, the dispatcher
 * that starts the response workflow and the windowed counter of the stateful rules, and the
 * forwarders on each watched region's default bus (in this stack for the home region, in one
 * sibling stack per other region).
 */
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '../src/pipeline/incident';
import { DEFAULT_PREFIX, type PipelineNames, pipelineNames } from '../src/pipeline/names';
import { forwarderRegions, type PipelineRule } from '../src/pipeline/rules';
import { failureQueueOf } from './alarms';
import { checkedRuleName, DetectionForwarder, withRuleState } from './forwarder';
import { pipelineFunction } from './function';
import { functionRoleName } from './responder-roles';
import { stateTable } from './state-table';

export interface DetectionProps {
  /** The detection rules (`loadPipelineRules()` reads `detections/`). */
  readonly rules: readonly PipelineRule[];
  /** The response workflow each match starts. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where anomaly alarms are sent. */
  readonly topic: sns.ITopic;
  /** Dead-letter queue of every central rule target. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Regions watched. @default [homeRegion] */
  readonly regions?: readonly string[];
  /** Region of the central bus. @default the stack's region */
  readonly homeRegion?: string;
  /** Accept events from every account of this organization on the central bus. */
  readonly organizationId?: string;
  /** Create sibling stacks for the regions other than the home region. @default true */
  readonly regionalStacks?: boolean;
  /** Further matches of a rule on a key within this window start no new workflow. @default 24 hours */
  readonly incidentWindow?: Duration;
  /**
   * Prefix of the named resources (central bus `<prefix>-central`, rules, queues, counter table;
   * `src/pipeline/names.ts`) and of the function roles. @default 'bks'
   */
  readonly prefix?: string;
  /** On-failure destination of the dispatch and stateful functions. @default a new queue with an alarm */
  readonly failureQueue?: sqs.IQueue;
  /** Invocations per 5 minutes, all models, above which a region alarms. @default 1000 */
  readonly invocationsThreshold?: number;
}

export class Detection extends Construct {
  readonly centralBus: events.EventBus;
  readonly counterTable: dynamodb.Table;
  readonly functions: Record<'dispatch' | 'stateful', nodejs.NodejsFunction>;
  readonly forwarders: DetectionForwarder[] = [];
  readonly regionalStacks: Stack[] = [];

  constructor(scope: Construct, id: string, props: DetectionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const homeRegion = props.homeRegion ?? stack.region;
    const prefix = props.prefix ?? DEFAULT_PREFIX;
    const names = pipelineNames(prefix);
    const busName = names.centralBus;
    this.counterTable = stateTable(this, 'Counters', names.counterTable);
    this.centralBus = new events.EventBus(this, 'CentralBus', { eventBusName: busName });
    this.busPolicy(props.organizationId, prefix);
    const failureQueue = failureQueueOf(
      this,
      props.failureQueue,
      props.topic,
      names.deadLetterQueue('detection-failures'),
    );
    const fnOpts = { rolePrefix: prefix, onFailure: failureQueue };

    const dispatch = pipelineFunction(this, 'dispatch', {
      ...fnOpts,
      environment: {
        BKS_STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        BKS_COUNTER_TABLE: this.counterTable.tableName,
        BKS_DEDUPE_SECONDS: String((props.incidentWindow ?? Duration.hours(24)).toSeconds()),
      },
    });
    props.stateMachine.grantStartExecution(dispatch);
    this.counterTable.grant(dispatch, 'dynamodb:PutItem');
    const statefulRules = props.rules.filter((r) => r.kind === 'stateful');
    const stateful = pipelineFunction(this, 'stateful', {
      ...fnOpts,
      environment: {
        BKS_COUNTER_TABLE: this.counterTable.tableName,
        BKS_EVENT_BUS: this.centralBus.eventBusName,
        BKS_STATEFUL_RULES: JSON.stringify(
          statefulRules.map(({ id, severity, pattern, stateful }) => ({ id, severity, pattern, stateful })),
        ),
      },
    });
    this.counterTable.grant(stateful, 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
    this.centralBus.grantPutEventsTo(stateful);
    this.functions = { dispatch, stateful };
    this.centralRules(props, names, dispatch, stateful);

    const busArn = stack.formatArn({
      service: 'events',
      region: homeRegion,
      resource: 'event-bus',
      resourceName: busName,
    });
    for (const region of forwarderRegions(props.regions ?? [homeRegion], homeRegion)) {
      let host: Stack = stack;
      if (region !== homeRegion) {
        if (!(props.regionalStacks ?? true)) continue;
        const stage = Stage.of(this);
        if (!stage)
          throw new Error('Detection: regional stacks need the construct to be inside an App or Stage');
        host = new Stack(stage, `${stack.stackName}-${region}`, {
          env: { account: stack.account, region },
          description: `bks detection forwarders for ${region} (to ${busName} in ${homeRegion})`,
        });
        host.addStackDependency(stack);
        this.regionalStacks.push(host);
      }
      this.forwarders.push(
        new DetectionForwarder(host === stack ? this : host, 'Forwarder', {
          rules: props.rules,
          centralBusArn: busArn,
          prefix,
          ...(props.invocationsThreshold ? { invocationsThreshold: props.invocationsThreshold } : {}),
        }),
      );
    }
  }

  /**
   * Who may put events on the central bus. From the organization's other accounts: only rules
   * (`aws:SourceArn` of a rule) forwarding AWS service events (`events:source` aws.*). Threshold
   * events (`bks.detect`, which become HIGH incidents and possibly auto-revocations): only the
   * stateful function's role — an explicit Deny for every other principal, since callers of this
   * account are otherwise allowed by their identity policies.
   */
  private busPolicy(organizationId: string | undefined, rolePrefix: string) {
    const stack = Stack.of(this);
    if (organizationId) {
      this.centralBus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OrganizationRulesForwardAwsEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.centralBus.eventBusArn],
          conditions: {
            StringEquals: { 'aws:PrincipalOrgID': organizationId },
            ArnLike: { 'aws:SourceArn': 'arn:aws*:events:*:*:rule/*' },
            // events:source is multivalued (ArrayOfString in the Service Authorization Reference):
            // a plain StringLike/StringEquals on it never matches by IAM's rules for such keys.
            'ForAllValues:StringLike': { 'events:source': 'aws.*' },
          },
        }),
      );
    }
    this.centralBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ThresholdEventsOnlyFromTheStatefulFunction',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.centralBus.eventBusArn],
        conditions: {
          'ForAnyValue:StringEquals': { 'events:source': THRESHOLD_EVENT_SOURCE },
          ArnNotEquals: {
            'aws:PrincipalArn': stack.formatArn({
              service: 'iam',
              region: '',
              resource: 'role',
              resourceName: `${rolePrefix}/${functionRoleName(rolePrefix, 'stateful')}`,
            }),
          },
        },
      }),
    );
  }

  /** One rule per detection on the central bus (two per stateful rule), and the anomaly alarms. */
  private centralRules(
    props: DetectionProps,
    names: PipelineNames,
    dispatch: nodejs.NodejsFunction,
    stateful: nodejs.NodejsFunction,
  ) {
    const ruleInput = (r: PipelineRule) =>
      events.RuleTargetInput.fromObject({
        ruleId: r.id,
        severity: r.severity,
        event: events.EventField.fromPath('$'),
      });
    const targetOpts = {
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    };
    const rule = (
      id: string,
      ruleName: string,
      description: string,
      eventPattern: events.EventPattern,
      target: events.IRuleTarget,
    ) =>
      withRuleState(
        new events.Rule(this, id, {
          ruleName: checkedRuleName(ruleName),
          eventBus: this.centralBus,
          description: description.slice(0, 512),
          eventPattern,
          targets: [target],
        }),
        // CDK's camelCase keys back to the event's own field names.
        JSON.parse(JSON.stringify(eventPattern).replaceAll('"detailType":', '"detail-type":')),
      );
    for (const r of props.rules) {
      const toDispatch = new targets.LambdaFunction(dispatch, { ...targetOpts, event: ruleInput(r) });
      if (r.kind === 'stateful') {
        rule(
          `Count-${r.id}`,
          names.centralRule(r.id),
          `bks ${r.id} (stateful): count matching events`,
          r.pattern as events.EventPattern,
          new targets.LambdaFunction(stateful, { ...targetOpts, event: ruleInput(r) }),
        );
        rule(
          `Threshold-${r.id}`,
          names.thresholdRule(r.id),
          `bks ${r.id} (stateful): threshold crossed`,
          {
            source: [THRESHOLD_EVENT_SOURCE],
            detailType: [THRESHOLD_EVENT_DETAIL_TYPE],
            detail: { ruleId: [r.id] },
          },
          toDispatch,
        );
      } else {
        rule(
          `Detect-${r.id}`,
          names.centralRule(r.id),
          `bks ${r.id}: ${r.title}`,
          r.pattern as events.EventPattern,
          toDispatch,
        );
      }
    }
    rule(
      'ForwardedAlarms',
      names.rule('forwarded-alarms'),
      'bks: invocation and dead-letter alarms of the forwarders in every region and account, to the SOC topic',
      {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: names.forwardedAlarmPrefix }], state: { value: ['ALARM'] } },
      },
      new targets.SnsTopic(props.topic, targetOpts),
    );
  }
}
