/**
 * The approval step really waits: a local run started through bks-sim's Step Functions pauses at
 * `.waitForTaskToken` until a SendTaskSuccess / SendTaskFailure for its token reaches bks-sim
 * through the real SDK, or until its timeout passes on the simulator's clock.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelope, record } from './fixtures';
import { Harness } from './workflow-harness';

const created = () => ({
  ruleId: 'BKS-004-BEDROCK',
  severity: 'HIGH',
  event: envelope(record('console-create-bedrock-api-key')),
});

describe('the local workflow pauses at the approval step', () => {
  let h: Harness;
  let sfn: SFNClient;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
    sfn = new SFNClient({
      endpoint: h.sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAPIPELINETEST0001', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  }, 60_000);
  afterEach(async () => {
    sfn.destroy();
    await h.stop();
  });

  const status = async (executionArn: string) =>
    (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;

  it('stays RUNNING until a later SendTaskSuccess through the SDK resumes it', async () => {
    const run = await h.startRun(created());
    const waiting = await run.approval;
    // What was deployed is what Step Functions lists, and the execution waits there.
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name)).toEqual([expect.stringMatching(/^bks-response-/)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(run.executionArn)).toBe('RUNNING');
    const listed = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: machines.stateMachines![0]!.stateMachineArn,
        statusFilter: 'RUNNING',
      }),
    );
    expect(listed.executions?.map((e) => e.executionArn)).toEqual([run.executionArn]);
    expect((await h.findings())[0]).toMatchObject({ Workflow: { Status: 'NEW' } });
    expect(await h.credentialStatus()).toBe('Active');

    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: waiting.taskToken!,
        output: JSON.stringify({
          decision: 'approve',
          by: 'dana',
          at: new Date().toISOString(),
          reason: 'confirmed leak',
          via: 'approval-link',
        }),
      }),
    );
    const out = await run.done;
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output?.approval).toMatchObject({ decision: 'approve', by: 'dana' });
    expect(out.output?.outcome).toEqual({ stage: 'revoked' });
    expect(await status(run.executionArn)).toBe('SUCCEEDED');
    expect(await h.credentialStatus()).toBe('Inactive');
    // The token is spent: a second answer is refused as AWS refuses it.
    const again = await sfn
      .send(new SendTaskSuccessCommand({ taskToken: waiting.taskToken!, output: '{}' }))
      .catch((e: Error) => e);
    expect((again as Error).name).toBe('TaskTimedOut');
  });

  it('SendTaskFailure fails the approval step: nothing is revoked and the run ends for manual action', async () => {
    const run = await h.startRun(created());
    const waiting = await run.approval;
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: waiting.taskToken!,
        error: 'ApproverUnavailable',
        cause: 'paged out',
      }),
    );
    const out = await run.done;
    expect(out.status).toBe('FAILED');
    expect(out.error).toContain('manual action');
    expect(out.calls['Revoke']).toBeUndefined();
    expect(await status(run.executionArn)).toBe('FAILED');
    expect(await h.credentialStatus()).toBe('Active');
  });

  it('times out when nobody answers before the deadline on the simulator clock; a late answer is refused', async () => {
    const run = await h.startRun(created());
    const waiting = await run.approval;
    h.sim.advanceClock(h.approvalTimeoutSeconds - 60);
    await new Promise((r) => setTimeout(r, 700));
    expect(await status(run.executionArn)).toBe('RUNNING');
    h.sim.advanceClock(120);
    h.resetClientSessions();
    const out = await run.done;
    expect(out.status).toBe('SUCCEEDED');
    expect(out.output?.outcome).toEqual({ stage: 'timeout-notified' });
    expect(out.output?.approvalError?.Error).toBe('States.Timeout');
    const late = await sfn
      .send(new SendTaskSuccessCommand({ taskToken: waiting.taskToken!, output: '{"decision":"approve"}' }))
      .catch((e: Error) => e);
    expect((late as Error).name).toBe('TaskTimedOut');
    expect(await h.credentialStatus()).toBe('Active');
  });
});
