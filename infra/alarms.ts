/**
 * CloudWatch alarms on everything in the pipeline that can hold a failure without telling anyone:
 * dead-letter queues, on-failure destinations and the workflows' failed or timed-out executions.
 * With a topic the alarm notifies it directly; without one (forwarder stacks in other regions and
 * member accounts, where no topic of the security account can be an alarm action) the alarm's name
 * starts with `<prefix>-forwarded-` (`pipelineNames(prefix).forwardedAlarmPrefix`) and its state change travels to the central bus as an event.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { holdingQueue } from './soc';

function notify(alarm: cloudwatch.Alarm, topic: sns.ITopic | undefined): cloudwatch.Alarm {
  if (topic) alarm.addAlarmAction(new actions.SnsAction(topic));
  return alarm;
}

/** Alarms as soon as one message is visible in `queue`. */
export function alarmOnQueue(
  scope: Construct,
  id: string,
  queue: sqs.IQueue,
  what: string,
  topic?: sns.ITopic,
  alarmName?: string,
): cloudwatch.Alarm {
  return notify(
    new cloudwatch.Alarm(scope, id, {
      ...(alarmName ? { alarmName } : {}),
      alarmDescription: `bks: ${what} holds messages — something failed and was kept for manual action.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    topic,
  );
}

/** Alarms on any failed or timed-out execution of `stateMachine`. */
export function alarmOnWorkflow(
  scope: Construct,
  id: string,
  stateMachine: sfn.IStateMachine,
  topic: sns.ITopic,
): cloudwatch.Alarm[] {
  return [
    ['Failed', stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' })],
    ['TimedOut', stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' })],
  ].map(([kind, metric]) =>
    notify(
      new cloudwatch.Alarm(scope, `${id}${kind}`, {
        alarmDescription: `bks: an execution of the ${id} workflow ${kind === 'Failed' ? 'failed' : 'timed out'}.`,
        metric: metric as cloudwatch.IMetric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      topic,
    ),
  );
}

/**
 * The queue async invocations that fail after Lambda's retries go to: `given`, or a new one with
 * an alarm to `topic`.
 */
export function failureQueueOf(
  scope: Construct,
  given: sqs.IQueue | undefined,
  topic: sns.ITopic,
  queueName: string,
): sqs.IQueue {
  if (given) return given;
  const q = holdingQueue(
    scope,
    'FailedInvocations',
    'This queue is the on-failure destination of asynchronously invoked functions; a DLQ of it adds nothing.',
    queueName,
  );
  alarmOnQueue(
    scope,
    'FailedInvocationsAlarm',
    q,
    'the on-failure destination of the pipeline functions',
    topic,
  );
  return q;
}
