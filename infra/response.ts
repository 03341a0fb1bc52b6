/**
 * `Response`: the Standard response workflow (`statemachines/response.asl.json`) and the functions
 * it runs — normalize, enrich, finding, decide, revoke — plus the approval step's
 * `request-approval` function, which the `Approval` construct provides.
 */
import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pipelineNames } from '../src/pipeline/names';
import type { ResponsePolicy } from '../src/pipeline/policy';
import { forwarderRegions, partitionOfRegion } from '../src/pipeline/rules';
import { alarmOnWorkflow } from './alarms';
import { acknowledgeInvokeGrants, allowAssume, pipelineFunction, ROOT } from './function';
import type { ResponderRoleNames } from './responder-roles';

/**
 * The ASL with the approval timeout set and, when known at synth time, the partition written in
 * (so the definition is checkable as it stands); the other `${…}` ARNs are left to CloudFormation.
 */
export function responseDefinition(approvalTimeoutSeconds: number, partition?: string): string {
  const def = JSON.parse(readFileSync(`${ROOT}/statemachines/response.asl.json`, 'utf8'));
  def.States.AskAnalyst.TimeoutSeconds = approvalTimeoutSeconds;
  const text = JSON.stringify(def);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal `${Partition}` definition substitution of the ASL file (not a template), written in when the partition is known
  return partition ? text.replaceAll('${Partition}', partition) : text;
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
  /** Prefix of the named resources and of the function roles (`src/pipeline/names.ts`). @default 'bks' */
  readonly prefix?: string;
}

/** The functions the workflow runs (the approval step's function comes from `Approval`). */
export type ResponseFunctionName = 'normalize' | 'enrich' | 'finding' | 'decide' | 'revoke' | 'manual-action';

export class Response extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Where the revoke function writes its plan-then-act records (`bks restore s3://…`). */
  readonly recordBucket: s3.Bucket;
  readonly functions: Record<ResponseFunctionName, nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: ResponseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { roles } = props;
    const timelineHours = String((props.timelineWindow ?? Duration.hours(24)).toHours());
    const base = props.prefix ? { rolePrefix: props.prefix } : {};
    const normalize = pipelineFunction(this, 'normalize', base);
    const decide = pipelineFunction(this, 'decide', {
      ...base,
      environment: { BKS_POLICY: JSON.stringify(props.policy) },
    });
    const enrich = pipelineFunction(this, 'enrich', {
      ...base,
      environment: {
        BKS_ROLE_NAME: roles.reader,
        // IAM's events (key creation, phantom users) are recorded only in the IAM region.
        BKS_REGIONS: forwarderRegions(props.regions, props.homeRegion).join(','),
        BKS_TIMELINE_HOURS: timelineHours,
      },
      timeout: Duration.seconds(100),
    });
    allowAssume(enrich, roles.reader);
    const finding = pipelineFunction(this, 'finding', {
      ...base,
      environment: { BKS_ROLE_NAME: roles.findings, BKS_HOME_REGION: props.homeRegion },
    });
    allowAssume(finding, roles.findings);
    this.recordBucket = recordBucket(this);
    const revoke = pipelineFunction(this, 'revoke', {
      ...base,
      environment: { BKS_ROLE_NAME: roles.revoker, BKS_RECORD_BUCKET: this.recordBucket.bucketName },
      timeout: Duration.seconds(100),
    });
    allowAssume(revoke, roles.revoker);
    // PutObject only (records are written once, never read back by the function); SSE-KMS needs
    // GenerateDataKey on the bucket's key.
    revoke.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.recordBucket.arnForObjects('records/*')],
      }),
    );
    this.recordBucket.encryptionKey!.grant(revoke, 'kms:GenerateDataKey');
    Validations.of(revoke.role!.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.recordBucket.node.defaultChild as s3.CfnBucket)}.Arn>/records/*]`,
      reason:
        'One record per revocation, keyed by account and execution: unknown at deploy time; PutObject only.',
    });
    const manualAction = this.manualActionFunction(props, base);
    this.functions = { normalize, enrich, finding, decide, revoke, 'manual-action': manualAction };

    const partition = Token.isUnresolved(stack.region) ? undefined : partitionOfRegion(stack.region);
    const smLogs = new logs.LogGroup(this, 'ResponseLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'Response', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        responseDefinition(props.policy.approvalTimeoutSeconds, partition),
      ),
      definitionSubstitutions: {
        ...(partition ? {} : { Partition: stack.partition }),
        NormalizeFunctionArn: normalize.functionArn,
        EnrichFunctionArn: enrich.functionArn,
        FindingFunctionArn: finding.functionArn,
        DecideFunctionArn: decide.functionArn,
        RequestApprovalFunctionArn: props.requestApproval.functionArn,
        RevokeFunctionArn: revoke.functionArn,
        ManualActionFunctionArn: manualAction.functionArn,
        DeadLetterQueueUrl: props.deadLetterQueue.queueUrl,
        NotificationTopicArn: props.topic.topicArn,
      },
      // Execution data stays out of the logs: it holds the task token while an approval is pending.
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    const invoked = [normalize, enrich, finding, decide, props.requestApproval, revoke, manualAction];
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
    alarmOnWorkflow(this, 'Response', this.stateMachine, props.topic);
  }

  /**
   * The needs-manual-action step: releases the dispatch gate (DeleteItem on the counter table, by
   * its fixed name, conditioned on the execution holding it) and marks the finding through the
   * findings role. The SOC notification is published by the workflow itself.
   */
  private manualActionFunction(props: ResponseProps, base: { rolePrefix?: string }): nodejs.NodejsFunction {
    const names = pipelineNames(props.prefix);
    const f = pipelineFunction(this, 'manual-action', {
      ...base,
      environment: {
        BKS_COUNTER_TABLE: names.counterTable,
        BKS_ROLE_NAME: props.roles.findings,
        BKS_HOME_REGION: props.homeRegion,
      },
    });
    allowAssume(f, props.roles.findings);
    f.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
        resources: [
          Stack.of(this).formatArn({
            service: 'dynamodb',
            resource: 'table',
            resourceName: names.counterTable,
          }),
        ],
      }),
    );
    return f;
  }
}

/**
 * Revocation records: versioned, KMS-encrypted (a customer key, rotated), TLS only, never public,
 * kept — they are what `bks restore` needs to undo a revocation.
 */
function recordBucket(scope: Construct): s3.Bucket {
  const key = new kms.Key(scope, 'RecordKey', {
    enableKeyRotation: true,
    description: 'bks revocation records',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const bucket = new s3.Bucket(scope, 'Records', {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    bucketKeyEnabled: true,
    versioned: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Each object is a revocation record written by one function; CloudTrail data events (the trail option) ' +
      'record who read or wrote it, and versioning keeps every version.',
  });
  return bucket;
}
