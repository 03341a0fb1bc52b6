/**
 * bks-sim's Step Functions control plane through the JS SDK v3: state machines (create is
 * idempotent for the same definition, refused for another), executions (StartExecution's name
 * rules, RUNNING without an engine, an attached engine's result, StopExecution), and waits on task
 * tokens.
 */
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { awaitTaskToken, executionDone, setExecutionEngine } from '../../sim/services/stepfunctions';
import { ACCT, ADMIN_KEY, scenario } from './fixtures';
import { clientConfig, failure } from './harness';

const DEF = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
const ROLE = `arn:aws:iam::${ACCT}:role/sfn`;

let sim: SimHandle;
let sfn: SFNClient;
beforeAll(async () => {
  sim = await startSim({ scenario: scenario() });
  sfn = new SFNClient(clientConfig(sim, ADMIN_KEY, { maxAttempts: 1 }));
});
afterAll(async () => {
  sfn.destroy();
  await sim.close();
});

describe('bks-sim Step Functions', () => {
  it('creates, describes, lists and deletes state machines as AWS does', async () => {
    const made = await sfn.send(
      new CreateStateMachineCommand({ name: 'm1', definition: DEF, roleArn: ROLE }),
    );
    expect(made.stateMachineArn).toBe(`arn:aws:states:us-east-1:${ACCT}:stateMachine:m1`);
    // The same request again is idempotent; another definition under the name is refused.
    const again = await sfn.send(
      new CreateStateMachineCommand({ name: 'm1', definition: DEF, roleArn: ROLE }),
    );
    expect(again.stateMachineArn).toBe(made.stateMachineArn);
    const other = JSON.stringify({ StartAt: 'B', States: { B: { Type: 'Succeed' } } });
    expect(
      (
        await failure(
          sfn.send(new CreateStateMachineCommand({ name: 'm1', definition: other, roleArn: ROLE })),
        )
      ).name,
    ).toBe('StateMachineAlreadyExists');
    expect(
      (await failure(sfn.send(new CreateStateMachineCommand({ name: 'm2', definition: '{', roleArn: ROLE }))))
        .name,
    ).toBe('InvalidDefinition');
    const d = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: made.stateMachineArn }));
    expect(d).toMatchObject({ name: 'm1', status: 'ACTIVE', definition: DEF, type: 'STANDARD' });
    const l = await sfn.send(new ListStateMachinesCommand({}));
    expect(l.stateMachines?.map((m) => m.name)).toContain('m1');
    // Another region lists nothing of this one.
    const west = new SFNClient(clientConfig(sim, ADMIN_KEY, { region: 'us-west-2', maxAttempts: 1 }));
    expect((await west.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    west.destroy();
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: made.stateMachineArn }));
    expect(
      (await failure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: made.stateMachineArn }))))
        .name,
    ).toBe('StateMachineDoesNotExist');
  });

  it('without an engine an execution stays RUNNING; names are unique per machine', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'm3', definition: DEF, roleArn: ROLE }),
    );
    const a = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'e1', input: '{"a":1}' }));
    // The same name and input while running: the same execution (Standard workflows).
    const b = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'e1', input: '{"a":1}' }));
    expect(b.executionArn).toBe(a.executionArn);
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'e1', input: '{"a":2}' }))))
        .name,
    ).toBe('ExecutionAlreadyExists');
    expect(
      (await failure(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'e2', input: 'nope' }))))
        .name,
    ).toBe('InvalidExecutionInput');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).status).toBe(
      'RUNNING',
    );
    await sfn.send(new StopExecutionCommand({ executionArn: a.executionArn, error: 'Stopped' }));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).toMatchObject({
      status: 'ABORTED',
      error: 'Stopped',
    });
  });

  it('runs executions on an attached engine and reports its result', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: 'm4', definition: DEF, roleArn: ROLE }),
    );
    const seen: string[] = [];
    setExecutionEngine(sim.ctx, async (req) => {
      seen.push(req.input);
      return { status: 'SUCCEEDED', output: JSON.stringify({ got: JSON.parse(req.input) }) };
    });
    try {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, input: '{"x":1}' }),
      );
      await executionDone(sim.ctx, executionArn!);
      expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        status: 'SUCCEEDED',
        output: '{"got":{"x":1}}',
      });
      expect(seen).toEqual(['{"x":1}']);
    } finally {
      setExecutionEngine(sim.ctx, undefined);
    }
  });

  it('a wait on a task token ends with the SendTaskSuccess that reaches the simulator', async () => {
    const wait = awaitTaskToken(sim.ctx, 'tok-wait-1', { timeoutSeconds: 60 });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-wait-1', output: '{"ok":true}' }));
    expect(await wait).toEqual({ status: 'success', output: '{"ok":true}' });
    // A deadline passing on the simulator clock ends a wait as a timeout.
    const late = awaitTaskToken(sim.ctx, 'tok-wait-2', { timeoutSeconds: 60 });
    sim.advanceClock(61);
    expect(await late).toEqual({ status: 'timeout' });
    expect(
      (await failure(sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-wait-2', output: '{}' })))).name,
    ).toBe('TaskTimedOut');
  });
});
