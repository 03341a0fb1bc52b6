/**
 * `Reconciliation`: on a schedule, inventory the accounts (through the reader role) and start the
 * response workflow for what the event stream missed.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pipelineNames } from '../src/pipeline/names';
import { failureQueueOf } from './alarms';
import { allowAssume, pipelineFunction } from './function';
import { holdingQueue } from './soc';

export interface ReconciliationProps {
  /** The response workflow started for each finding of the inventory. */
  readonly stateMachine: sfn.IStateMachine;
  /** Name of the reader role assumed in each account. */
  readonly readerRole: string;
  /** Accounts inventoried. @default this account */
  readonly accounts?: readonly string[];
  /** How often it runs; it looks back twice as far (at least an hour). @default 1 hour */
  readonly period?: Duration;
  /** Dead-letter queue of the schedule's target. @default a new queue */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Where failures are reported (alarms of the queues this construct creates). */
  readonly topic: sns.ITopic;
  /** On-failure destination of the reconcile function. @default a new queue with an alarm */
  readonly failureQueue?: sqs.IQueue;
  /** Prefix of the named resources and of the function role (`src/pipeline/names.ts`). @default 'bks' */
  readonly prefix?: string;
}

export class Reconciliation extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ReconciliationProps) {
    super(scope, id);
    const period = props.period ?? Duration.hours(1);
    const names = pipelineNames(props.prefix);
    this.function = pipelineFunction(this, 'reconcile', {
      environment: {
        BKS_ROLE_NAME: props.readerRole,
        BKS_STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        BKS_ACCOUNTS: (props.accounts ?? []).join(','),
        BKS_LOOKBACK_SECONDS: String(Math.max(2 * period.toSeconds(), 3600)),
      },
      timeout: Duration.minutes(5),
      onFailure: failureQueueOf(
        this,
        props.failureQueue,
        props.topic,
        names.deadLetterQueue('reconcile-failures'),
      ),
      ...(props.prefix ? { rolePrefix: props.prefix } : {}),
    });
    allowAssume(this.function, props.readerRole);
    props.stateMachine.grantStartExecution(this.function);
    this.rule = new events.Rule(this, 'Reconcile', {
      ruleName: names.rule('reconcile'),
      description: 'bks: scheduled reconciliation (inventory; raises what the event stream missed)',
      schedule: events.Schedule.rate(period),
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue:
            props.deadLetterQueue ??
            holdingQueue(
              this,
              'DeadLetters',
              'This queue is the dead-letter queue of the reconciliation schedule.',
              names.deadLetterQueue('reconcile'),
            ),
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });
  }
}
