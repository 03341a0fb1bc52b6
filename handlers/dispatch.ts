/**
 * Central-bus rule target: starts the response workflow for one detection match, named after the
 * CloudTrail event id so a redelivered event (EventBridge is at-least-once) starts nothing new,
 * and gated per rule and key (`BKS_DEDUPE_SECONDS`) so a busy key opens one incident, not one per call.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDispatchGate, decideDispatch } from '../src/pipeline/dispatch';
import { dynamo, sfn } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: unknown) {
  const gate = new DynamoDispatchGate(dynamo(), env('BKS_COUNTER_TABLE'));
  const d = await decideDispatch(event, gate, Number(process.env['BKS_DEDUPE_SECONDS'] ?? 86_400));
  begin('dispatch', d.name);
  if (!d.start) {
    logger.info('incident already open for this rule and key', { name: d.name });
    return { name: d.name, started: false, reason: 'open-incident' };
  }
  try {
    const out = await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: env('BKS_STATE_MACHINE_ARN'),
        name: d.name,
        input: JSON.stringify(event),
      }),
    );
    logger.info('execution started', { name: d.name, executionArn: out.executionArn });
    return { name: d.name, started: true };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') {
      logger.info('duplicate event: execution already exists', { name: d.name });
      return { name: d.name, started: false, reason: 'duplicate-event' };
    }
    throw err;
  }
}
