/**
 * One pipeline Lambda function as every construct of the pipeline builds it: `handlers/<name>.ts`
 * bundled with the local esbuild (ESM, nodejs22.x, arm64), its own log group kept a year, and its
 * own role carrying only what the construct grants it.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { packageRoot } from '../src/paths';
import { ASYNC_RETRY_ATTEMPTS } from '../src/pipeline/async-invoke';
import { acknowledgeRuntime, BUNDLE_EXTERNALS, handlerFunctionProps } from './bundling';
import { functionRoleName } from './responder-roles';

export const ROOT: string = packageRoot();

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
  'manual-action',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface PipelineFunctionOptions {
  readonly environment?: Record<string, string>;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /**
   * Prefix of the role: `<prefix>-fn-<name>` under the path `/<prefix>/` (fixed, so responder roles
   * in other accounts can trust it by ARN). @default 'bks'
   */
  readonly rolePrefix?: string;
  /**
   * For functions invoked asynchronously (EventBridge targets): where an invocation that still
   * fails after Lambda's two retries is sent. A rule's dead-letter queue catches delivery failures
   * only; without this, an error inside the function is dropped.
   */
  readonly onFailure?: sqs.IQueue;
}

export function pipelineFunction(
  scope: Construct,
  name: FunctionName,
  opts: PipelineFunctionOptions = {},
): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${name}-logs`, {
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const prefix = opts.rolePrefix ?? 'bks';
  const role = new iam.Role(scope, `${name}-role`, {
    roleName: functionRoleName(prefix, name),
    path: `/${prefix}/`,
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `bks pipeline function ${name}`,
  });
  logGroup.grantWrite(role);
  const f = new nodejs.NodejsFunction(scope, name, {
    ...handlerFunctionProps(name, BUNDLE_EXTERNALS),
    memorySize: 256,
    timeout: opts.timeout ?? Duration.seconds(30),
    role,
    logGroup,
    environment: { POWERTOOLS_SERVICE_NAME: 'bks-pipeline', ...opts.environment },
    ...(opts.onFailure
      ? { onFailure: new destinations.SqsDestination(opts.onFailure), retryAttempts: ASYNC_RETRY_ATTEMPTS }
      : {}),
  });
  acknowledgeRuntime(f);
  return f;
}

/** Lets `f` assume the responder role `roleName` in any account (incidents come from any account). */
export function allowAssume(f: nodejs.NodejsFunction, roleName: string): void {
  f.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: [
        Stack.of(f).formatArn({
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
}

/** cdk-nag acknowledgements for `grantInvoke` (ARN:*) on a workflow role's default policy. */
export function acknowledgeInvokeGrants(policy: Construct, fns: readonly lambda.IFunction[]): void {
  const stack = Stack.of(policy);
  for (const f of fns) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(f.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        "grantInvoke adds the function's versions and aliases (ARN:*); the workflow invokes only this function.",
    });
  }
}
