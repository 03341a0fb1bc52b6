/**
 * Central-bus rule target: one key, one incident (src/pipeline/dispatch.ts). The first signal about
 * a key starts the response workflow (named after the event id, so a redelivered event starts
 * nothing new); later signals within the window (`BKS_DEDUPE_SECONDS`) are recorded on the incident;
 * a more severe one escalates it — the finding (through the findings role `BKS_ROLE_NAME` in the
 * incident's account) and the SOC topic while the workflow runs, a new workflow once it has ended.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { type DispatchEffects, DynamoIncidentTable, decideDispatch } from '../src/pipeline/dispatch';
import { escalateFinding, incidentFindingRef } from '../src/pipeline/finding';
import { escalationText } from '../src/pipeline/finding-content';
import { responderAws } from './lib/aws';
import { dynamo, sfn, sns } from './lib/clients';
import { begin, env, logger } from './lib/runtime';

/** `arn:…:states:<region>:<account>:stateMachine:<name>` → the ARN of its execution `name`. */
function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const effects = (stateMachineArn: string): DispatchEffects => ({
  async status(execution) {
    try {
      const out = await sfn().send(
        new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, execution) }),
      );
      return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 'RUNNING' : 'ENDED';
    } catch (err) {
      // Not started yet (its dispatch is between the incident record and StartExecution), or never
      // (its start failed and was not retried): decideDispatch tells them apart by the holder's age.
      if ((err as Error).name === 'ExecutionDoesNotExist') return 'MISSING';
      throw err;
    }
  },
  async escalate({ state, incident, signal }) {
    const text = escalationText(state, incident, signal, executionArn(stateMachineArn, state.execution));
    const aws = await responderAws(incident.account);
    const region = env('BKS_HOME_REGION');
    let finding = 'raised';
    try {
      await escalateFinding(
        aws.securityhub(region),
        incidentFindingRef(incident, region),
        signal.severity,
        text.note,
      );
    } catch (err) {
      // The workflow imports the finding at the incident's severity read from the table; the SOC
      // still learns of the escalation now, with what failed.
      finding = `NOT updated (${(err as Error).name}: ${(err as Error).message.split('\n')[0]})`;
    }
    await sns().send(
      new PublishCommand({
        TopicArn: env('BKS_TOPIC_ARN'),
        Subject: text.subject,
        Message: `${text.message}\n\nSecurity Hub finding ${incidentFindingRef(incident, region).id}: ${finding}.`,
      }),
    );
    logger.info('incident escalated', { key: state.key, severity: signal.severity, finding });
  },
});

export async function handler(event: unknown) {
  const stateMachineArn = env('BKS_STATE_MACHINE_ARN');
  const table = new DynamoIncidentTable(dynamo(), env('BKS_COUNTER_TABLE'));
  const d = await decideDispatch(
    event,
    table,
    effects(stateMachineArn),
    Number(process.env['BKS_DEDUPE_SECONDS'] ?? 86_400),
  );
  begin('dispatch', d.name);
  if (!d.start) {
    logger.info('signal recorded on the open incident', { name: d.name, reason: d.reason });
    return { name: d.name, started: false, reason: d.reason };
  }
  try {
    const out = await sfn().send(
      new StartExecutionCommand({ stateMachineArn, name: d.name, input: JSON.stringify(event) }),
    );
    logger.info('execution started', { name: d.name, reason: d.reason, executionArn: out.executionArn });
    return { name: d.name, started: true, reason: d.reason };
  } catch (err) {
    if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') {
      logger.info('duplicate event: execution already exists', { name: d.name });
      return { name: d.name, started: false, reason: 'duplicate-event' };
    }
    // No workflow runs the incident this signal opened: give it up, so that no later signal is only
    // recorded on an incident nothing handles (the retry opens it again).
    if (d.reason === 'opened' && d.key) await table.abandon(d.key, d.name);
    throw err;
  }
}
