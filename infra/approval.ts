/**
 * `Approval`: how an analyst decides on a pending revocation — the approval table, the signed-link
 * endpoint (a public function URL: the HMAC-signed, expiring, single-use link is the credential),
 * the function that stores the task token and notifies the SOC, and the Security Hub custom actions
 * "Approve revoke" / "Reject" with their rule on the default bus. Decisions go back to the response
 * workflow named `stateMachineName` through SendTaskSuccess.
 */
import { Annotations, Duration, Token, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pipelineNames } from '../src/pipeline/names';
import { failureQueueOf } from './alarms';
import { type FunctionName, pipelineFunction } from './function';
import { holdingQueue } from './soc';
import { stateTable } from './state-table';

/** The organization's OpenID Connect provider the approval page signs analysts in with (docs/approval.md). */
export interface ApprovalSignInProps {
  /** Issuer URL (`https://acme.okta.com/oauth2/default`, `https://login.microsoftonline.com/<tenant>/v2.0`, a Cognito user pool). */
  readonly issuer: string;
  readonly clientId: string;
  /** The client secret (a plain-text secret); the approval function may only read this one. */
  readonly clientSecret: secretsmanager.ISecret;
  /** Identity provider groups allowed to approve (at least one). */
  readonly allowedGroups: string[];
  /** The ID token claim listing the user's groups. @default 'groups' */
  readonly groupsClaim?: string;
}

export interface ApprovalProps {
  /**
   * Sign-in for the approval page. Without it the page answers 503 "not configured" (nothing is
   * decided without a verified identity); the Security Hub custom actions still work.
   */
  readonly signIn?: ApprovalSignInProps;
  /** Name of the response workflow the decisions are sent to. */
  readonly stateMachineName: string;
  /** Where the SOC is notified of a pending approval. */
  readonly topic: sns.ITopic;
  /** Longest validity of an approval link. @default 24 hours */
  readonly linkTtl?: Duration;
  /** Dead-letter queue of the custom-action rule's target. @default a new queue */
  readonly deadLetterQueue?: sqs.IQueue;
  /** On-failure destination of the custom-action function. @default a new queue with an alarm */
  readonly failureQueue?: sqs.IQueue;
  /** Prefix of the named resources and of the function roles (`src/pipeline/names.ts`). @default 'bks' */
  readonly prefix?: string;
}

export class Approval extends Construct {
  readonly table: dynamodb.Table;
  readonly url: lambda.FunctionUrl;
  readonly approveAction: securityhub.CfnActionTarget;
  readonly rejectAction: securityhub.CfnActionTarget;
  readonly functions: Record<'approval-api' | 'request-approval' | 'custom-action', nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: ApprovalProps) {
    super(scope, id);
    const linkTtl = (props.linkTtl ?? Duration.hours(24)).toSeconds();
    const names = pipelineNames(props.prefix);
    this.table = stateTable(this, 'Approvals', names.approvalTable);
    const fn = (name: FunctionName, environment: Record<string, string>, onFailure?: sqs.IQueue) =>
      pipelineFunction(this, name, {
        environment: { BKS_APPROVAL_TABLE: this.table.tableName, ...environment },
        ...(props.prefix ? { rolePrefix: props.prefix } : {}),
        ...(onFailure ? { onFailure } : {}),
      });

    const approvalApi = fn('approval-api', this.signInEnvironment(props.signIn));
    props.signIn?.clientSecret.grantRead(approvalApi);
    this.table.grant(approvalApi, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Public URL: the signed, expiring, single-use link names the request and the identity provider
    // names the analyst (OIDC, checked by the function itself).
    this.url = approvalApi.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    const requestApproval = fn('request-approval', {
      BKS_APPROVAL_URL: this.url.url,
      BKS_TOPIC_ARN: props.topic.topicArn,
      BKS_LINK_TTL_SECONDS: String(linkTtl),
    });
    // UpdateItem: a retried request moves its new task token onto the incident's pending approval.
    this.table.grant(requestApproval, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    props.topic.grantPublish(requestApproval);
    Validations.of(requestApproval.role!.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted SNS topic needs kms:GenerateDataKey* (SNS developer guide); the grant is ' +
        "limited to the topic's own key.",
    });

    this.approveAction = this.action('ApproveAction', 'BksApproveRevoke', 'Approve revoke', 'approve');
    this.rejectAction = this.action('RejectAction', 'BksRejectRevoke', 'Reject', 'reject');
    const customAction = fn(
      'custom-action',
      {
        BKS_APPROVE_ACTION_ARN: this.approveAction.attrActionTargetArn,
        BKS_REJECT_ACTION_ARN: this.rejectAction.attrActionTargetArn,
      },
      failureQueueOf(this, props.failureQueue, props.topic, names.deadLetterQueue('custom-action-failures')),
    );
    this.table.grant(customAction, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    // SendTaskSuccess / SendTaskFailure have no resource type in the Service Authorization
    // Reference ("Actions, resources, and condition keys for AWS Step Functions"): a policy must
    // name "*", and one naming the state machine's ARN (CDK's grantTaskResponse) does not match
    // by that document (bks-sim's IAM engine refuses it: test/pipeline/deployed-functions.test.ts).
    // The task token itself is the capability; these functions only send tokens they stored.
    const taskResponses: Array<[nodejs.NodejsFunction, string[]]> = [
      [approvalApi, ['states:SendTaskSuccess', 'states:SendTaskFailure']],
      [customAction, ['states:SendTaskSuccess', 'states:SendTaskFailure']],
      // A duplicate run of an incident that already has a request ends its own task.
      [requestApproval, ['states:SendTaskSuccess']],
    ];
    for (const [f, actions] of taskResponses) {
      f.addToRolePolicy(new iam.PolicyStatement({ actions, resources: ['*'] }));
      Validations.of(f.role!.node.findChild('DefaultPolicy')).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'states:SendTaskSuccess/SendTaskFailure support no resource-level permissions (Service Authorization ' +
          `Reference): "*" is required; the workflow ${props.stateMachineName}'s task token is the capability.`,
      });
    }

    // Security Hub custom actions arrive on the home region's default bus.
    new events.Rule(this, 'CustomActions', {
      ruleName: names.rule('custom-actions'),
      description: 'bks: Security Hub custom actions Approve revoke / Reject',
      eventPattern: {
        source: ['aws.securityhub'],
        detailType: ['Security Hub Findings - Custom Action'],
        resources: [this.approveAction.attrActionTargetArn, this.rejectAction.attrActionTargetArn],
      },
      targets: [
        new targets.LambdaFunction(customAction, {
          deadLetterQueue:
            props.deadLetterQueue ??
            holdingQueue(
              this,
              'DeadLetters',
              'This queue is the dead-letter queue of the custom-action rule.',
              names.deadLetterQueue('custom-actions'),
            ),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
    this.functions = {
      'approval-api': approvalApi,
      'request-approval': requestApproval,
      'custom-action': customAction,
    };
  }

  /** The approval function's identity provider settings (checked), or a synth warning without any. */
  private signInEnvironment(signIn: ApprovalSignInProps | undefined): Record<string, string> {
    if (signIn) {
      if (
        signIn.allowedGroups.length === 0 ||
        signIn.allowedGroups.some((g) => g.includes(',') || g.trim() === '')
      )
        throw new Error('Approval signIn.allowedGroups: name at least one group (no commas, no empty names)');
      if (!/^https:\/\//.test(signIn.issuer) && !Token.isUnresolved(signIn.issuer))
        throw new Error(`Approval signIn.issuer must be an https URL (got "${signIn.issuer}")`);
    } else {
      Annotations.of(this).addWarningV2(
        'bks:approval-sign-in',
        'No approval sign-in configured (signIn / approvalSignIn): the approval page answers 503; decide with the Security Hub custom actions, which do not record who clicked.',
      );
    }
    if (!signIn) return {};
    return {
      BKS_OIDC_ISSUER: signIn.issuer,
      BKS_OIDC_CLIENT_ID: signIn.clientId,
      BKS_OIDC_CLIENT_SECRET_ARN: signIn.clientSecret.secretArn,
      BKS_APPROVER_GROUPS: signIn.allowedGroups.join(','),
      BKS_OIDC_GROUPS_CLAIM: signIn.groupsClaim ?? 'groups',
    };
  }

  private action(id: string, actionId: string, name: string, verb: string): securityhub.CfnActionTarget {
    const action = new securityhub.CfnActionTarget(this, id, {
      id: actionId,
      name,
      description: `bks: ${verb} the pending revocation of this finding's Bedrock API key (add a note with your reason first)`,
    });
    Validations.of(action).acknowledge({
      id: 'CloudFormation-Validate::F3006',
      reason:
        "AWS::SecurityHub::ActionTarget is a documented CloudFormation type (CreateActionTarget); the validator's " +
        'regional resource table lags behind it.',
    });
    return action;
  }
}
