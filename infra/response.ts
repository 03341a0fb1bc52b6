/**
 * `Response`: the Standard response workflow (`statemachines/response.asl.json`) and the functions
 * it runs — normalize, enrich, finding, decide, revoke — plus the approval step's
 * `request-approval` function, which the `Approval` construct provides.
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ResponsePolicy } from '../src/pipeline/policy';
import { acknowledgeInvokeGrants, allowAssume, pipelineFunction, ROOT } from './function';
import type { ResponderRoleNames } from './responder-roles';

/** The ASL with the approval timeout set: `${…}` ARN substitutions are left to CloudFormation. */
export function responseDefinition(approvalTimeoutSeconds: number): string {
  const def = JSON.parse(readFileSync(`${ROOT}/statemachines/response.asl.json`, 'utf8'));
  def.States.AskAnalyst.TimeoutSeconds = approvalTimeoutSeconds;
  return JSON.stringify(def);
}

export interface ResponseProps {
  /** Name of the workflow (the `Approval` construct sends decisions to it by name). */
  readonly stateMachineName: string;
  readonly policy: ResponsePolicy;
  readonly topic: sns.ITopic;
  /** Where malformed workflow input is quarantined. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The function that stores the task token and asks the SOC (`Approval.functions['request-approval']`). */
  readonly requestApproval: lambda.IFunction;
  /** Responder role names assumed in the incident's account. */
  readonly roles: ResponderRoleNames;
  /** Regions the enrichment timeline reads. */
  readonly regions: readonly string[];
  /** Region of the Security Hub findings. */
  readonly homeRegion: string;
  /** How far back the enrichment timeline looks. @default 24 hours */
  readonly timelineWindow?: Duration;
}

export class Response extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'normalize' | 'enrich' | 'finding' | 'decide' | 'revoke', nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: ResponseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { roles } = props;
    const timelineHours = String((props.timelineWindow ?? Duration.hours(24)).toHours());
    const normalize = pipelineFunction(this, 'normalize');
    const decide = pipelineFunction(this, 'decide', {
      environment: { BKS_POLICY: JSON.stringify(props.policy) },
    });
    const enrich = pipelineFunction(this, 'enrich', {
      environment: {
        BKS_ROLE_NAME: roles.reader,
        BKS_REGIONS: props.regions.join(','),
        BKS_TIMELINE_HOURS: timelineHours,
      },
      timeout: Duration.seconds(100),
    });
    allowAssume(enrich, roles.reader);
    const finding = pipelineFunction(this, 'finding', {
      environment: { BKS_ROLE_NAME: roles.findings, BKS_HOME_REGION: props.homeRegion },
    });
    allowAssume(finding, roles.findings);
    const revoke = pipelineFunction(this, 'revoke', {
      environment: { BKS_ROLE_NAME: roles.revoker },
      timeout: Duration.seconds(100),
    });
    allowAssume(revoke, roles.revoker);
    this.functions = { normalize, enrich, finding, decide, revoke };

    const smLogs = new logs.LogGroup(this, 'ResponseLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Response', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(responseDefinition(props.policy.approvalTimeoutSeconds)),
      definitionSubstitutions: {
        Partition: stack.partition,
        NormalizeFunctionArn: normalize.functionArn,
        EnrichFunctionArn: enrich.functionArn,
        FindingFunctionArn: finding.functionArn,
        DecideFunctionArn: decide.functionArn,
        RequestApprovalFunctionArn: props.requestApproval.functionArn,
        RevokeFunctionArn: revoke.functionArn,
        DeadLetterQueueUrl: props.deadLetterQueue.queueUrl,
        NotificationTopicArn: props.topic.topicArn,
      },
      // Execution data stays out of the logs: it holds the task token while an approval is pending.
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    const invoked = [normalize, enrich, finding, decide, props.requestApproval, revoke];
    for (const f of invoked) f.grantInvoke(this.stateMachine);
    props.deadLetterQueue.grantSendMessages(this.stateMachine);
    props.topic.grantPublish(this.stateMachine);
    const smPolicy = this.stateMachine.role.node.findChild('DefaultPolicy');
    Validations.of(smPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) support no resource-level ' +
        'permissions; CDK adds them for tracingEnabled and logs.',
    });
    Validations.of(smPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted SNS topic needs kms:GenerateDataKey* (SNS developer guide); the grant is ' +
        "limited to the topic's own key.",
    });
    acknowledgeInvokeGrants(smPolicy, invoked);
  }
}
