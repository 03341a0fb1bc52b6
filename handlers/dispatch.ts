/**
 * Central-bus rule target: starts the response workflow for one detection match, named after the
 * CloudTrail event id so a redelivered event (EventBridge is at-least-once) starts nothing new.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '../src/pipeline/incident';
import { sfn } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

export async function handler(event: unknown) {
  const name = executionNameFor(event);
  begin('dispatch', name);
  try {
    const out = await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: env('BKS_STATE_MACHINE_ARN'),
        name,
        input: JSON.stringify(event),
      }),
    );
    logger.info('execution started', { name, executionArn: out.executionArn });
    return { name, started: true };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') {
      logger.info('duplicate event: execution already exists', { name });
      return { name, started: false };
    }
    throw err;
  }
}
