/**
 * The regional half of the pipeline: rules on a region's default bus, generated from
 * `detections/`, forwarding matching CloudTrail events to the central bus (a dead-letter queue on
 * every target), and a CloudWatch anomaly-detection alarm on `AWS/Bedrock` `Invocations` whose
 * state changes are forwarded too. Deployed once per region and account: by `BedrockKeyGuard` for
 * the security account, by `BedrockKeyGuardMemberStage` (CDK stages) for member accounts.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ruleStateFor } from '../src/pipeline/rule-state';
import { type PipelineRule, rulesForRegion } from '../src/pipeline/rules';

/** Name prefix of the anomaly alarms; the central bus routes their state changes to the SOC topic. */
export const ANOMALY_ALARM_PREFIX = 'bks-bedrock-invocations-anomaly';

/**
 * Sets the state a rule's pattern needs (`src/pipeline/rule-state.ts`): rules that must see
 * read-only CloudTrail management events get `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, on
 * the default bus and on the central bus alike.
 */
export function withRuleState(rule: events.Rule, pattern: Record<string, unknown>): events.Rule {
  (rule.node.defaultChild as events.CfnRule).state = ruleStateFor(pattern);
  return rule;
}

export interface DetectionForwarderProps {
  /** Every rule of the rule set; the forwarder keeps those that belong in its region. */
  readonly rules: readonly PipelineRule[];
  /** ARN of the central bus (security account, home region). */
  readonly centralBusArn: string;
  /** Width of the anomaly band in standard deviations. @default 3 */
  readonly anomalyBandWidth?: number;
  /** Evaluation period of the anomaly alarm. @default 5 minutes */
  readonly anomalyPeriod?: Duration;
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

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
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
            description: `bks ${rule.id}: ${rule.title}`.slice(0, 512),
            eventPattern: rule.pattern as events.EventPattern,
            targets: [forward()],
          }),
          rule.pattern,
        ),
      );
    }

    const alarmName = `${ANOMALY_ALARM_PREFIX}-${region}`;
    new cloudwatch.CfnAlarm(this, 'InvocationsAnomaly', {
      alarmName,
      alarmDescription:
        'Bedrock invocations in this region are above the anomaly band: a leaked key in use, or a cost bomb.',
      comparisonOperator: 'GreaterThanUpperThreshold',
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      thresholdMetricId: 'band',
      treatMissingData: 'notBreaching',
      metrics: [
        {
          id: 'invocations',
          returnData: true,
          metricStat: {
            metric: { namespace: 'AWS/Bedrock', metricName: 'Invocations' },
            period: (props.anomalyPeriod ?? Duration.minutes(5)).toSeconds(),
            stat: 'Sum',
          },
        },
        {
          id: 'band',
          returnData: true,
          expression: `ANOMALY_DETECTION_BAND(invocations, ${props.anomalyBandWidth ?? 3})`,
          label: 'Invocations (expected)',
        },
      ],
    });
    // Alarm actions cannot reach a topic in another region: the state change travels as an event.
    this.rules.push(
      new events.Rule(this, 'ForwardAnomalyAlarm', {
        description: 'bks: Bedrock invocation anomaly alarm state changes, to the central bus',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: [alarmName], state: { value: ['ALARM'] } },
        },
        targets: [forward()],
      }),
    );
  }
}
