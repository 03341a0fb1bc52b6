/**
 * The regional half of the pipeline: rules on a region's default bus, generated from
 * `detections/`, forwarding matching CloudTrail events to the central bus (a dead-letter queue on
 * every target), an alarm on `AWS/Bedrock` `Invocations` summed over every model and one on the
 * dead-letter queue, whose state changes are forwarded too. Deployed once per region and account: by `BedrockKeyGuard` for
 * the security account, by `BedrockKeyGuardMemberStage` (CDK stages) for member accounts.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pipelineNames } from '../src/pipeline/names';
import { ruleStateFor } from '../src/pipeline/rule-state';
import { type PipelineRule, rulesForRegion } from '../src/pipeline/rules';
import { alarmOnQueue } from './alarms';

/**
 * The alarm's query: a CloudWatch Metrics Insights query alarm summing `Invocations` over the
 * `ModelId` dimension that the Bedrock user guide documents ("Monitor bedrock-runtime inference
 * using CloudWatch metrics"). Alarms cannot use metric-math `SEARCH`; a Metrics Insights query
 * covers models that appear after deployment. Anomaly detection bands are documented for metrics
 * and metric math, not for Metrics Insights queries, so the threshold is static (context
 * `invocationsThreshold`).
 */
export const INVOCATIONS_QUERY = 'SELECT SUM(Invocations) FROM SCHEMA("AWS/Bedrock", ModelId)';

/**
 * Sets the state a rule's pattern needs (`src/pipeline/rule-state.ts`): rules that must see
 * read-only CloudTrail management events get `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, on
 * the default bus and on the central bus alike.
 */
export function withRuleState(rule: events.Rule, pattern: Record<string, unknown>): events.Rule {
  (rule.node.defaultChild as events.CfnRule).state = ruleStateFor(pattern);
  return rule;
}

/** EventBridge rule names are at most 64 characters: refuse at synth rather than at deploy. */
export function checkedRuleName(name: string): string {
  if (name.length > 64)
    throw new Error(
      `rule name ${name} is longer than EventBridge's 64 characters: use a shorter prefix or rule id`,
    );
  return name;
}

export interface DetectionForwarderProps {
  /** Every rule of the rule set; the forwarder keeps those that belong in its region. */
  readonly rules: readonly PipelineRule[];
  /** ARN of the central bus (security account, home region). */
  readonly centralBusArn: string;
  /** Invocations per period (all models) above which the region alarms. @default 1000 */
  readonly invocationsThreshold?: number;
  /** Period of the invocations alarm. @default 5 minutes */
  readonly invocationsPeriod?: Duration;
  /** Prefix of the named resources (`src/pipeline/names.ts`). @default 'bks' */
  readonly prefix?: string;
}

export class DetectionForwarder extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly rules: events.Rule[] = [];
  readonly forwardedRuleIds: string[];

  constructor(scope: Construct, id: string, props: DetectionForwarderProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const placed = rulesForRegion(props.rules, region);
    this.forwardedRuleIds = placed.map((r) => r.id);
    const names = pipelineNames(props.prefix);
    const forwardedAlarm = (what: string) => `${names.forwardedAlarmPrefix}${what}-${region}`;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: names.deadLetterQueue('forwarder'),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the forwarding rules; a DLQ of a DLQ adds nothing.',
    });

    const centralBus = events.EventBus.fromEventBusArn(this, 'CentralBus', props.centralBusArn);
    const role = new iam.Role(this, 'ForwardRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets EventBridge forward bks detection events to the central bus (PutEvents on it only).',
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.centralBusArn] }),
    );
    const forward = () => new targets.EventBus(centralBus, { role, deadLetterQueue: this.deadLetterQueue });

    for (const rule of placed) {
      this.rules.push(
        withRuleState(
          new events.Rule(this, `Forward-${rule.id}`, {
            ruleName: checkedRuleName(names.forwarder(rule.id)),
            description: `bks ${rule.id}: ${rule.title}`.slice(0, 512),
            eventPattern: rule.pattern as events.EventPattern,
            targets: [forward()],
          }),
          rule.pattern,
        ),
      );
    }

    new cloudwatch.CfnAlarm(this, 'Invocations', {
      alarmName: forwardedAlarm('bedrock-invocations'),
      alarmDescription:
        'Bedrock invocations in this region, summed over every model, are above the threshold: a leaked key in ' +
        'use, or a cost bomb.',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: props.invocationsThreshold ?? 1000,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      // No data means no invocation at all in the period, which is not breaching.
      treatMissingData: 'notBreaching',
      metrics: [
        {
          id: 'invocations',
          returnData: true,
          // AWS/Bedrock documents Invocations per ModelId; no dimensionless series is documented.
          expression: INVOCATIONS_QUERY,
          period: (props.invocationsPeriod ?? Duration.minutes(5)).toSeconds(),
          label: 'Bedrock invocations, all models',
        },
      ],
    });
    alarmOnQueue(
      this,
      'DeadLettersAlarm',
      this.deadLetterQueue,
      `the dead-letter queue of the bks forwarders in ${region}`,
      undefined,
      forwardedAlarm('dead-letters'),
    );
    // Alarm actions cannot reach a topic in another region: the state change travels as an event.
    this.rules.push(
      new events.Rule(this, 'ForwardAnomalyAlarm', {
        ruleName: names.anomalyForwarder,
        description: 'bks: invocation and dead-letter alarm state changes, to the central bus',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: {
            alarmName: [forwardedAlarm('bedrock-invocations'), forwardedAlarm('dead-letters')],
            state: { value: ['ALARM'] },
          },
        },
        targets: [forward()],
      }),
    );
  }
}
