/**
 * One incident, one approval request: ten workflow runs of the same incident started at once
 * (duplicate deliveries, a replayed event, a retried StartExecution) send ONE request to the SOC.
 * The approval store decides with a conditional write in bks-sim's DynamoDB; the nine other runs
 * end at once as duplicates (their approval step resumed with `duplicateOf`), and the one decision
 * is carried out once, by the run that asked.
 */
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelope, record } from './fixtures';
import { Harness, type RunOutcome } from './workflow-harness';

/** arn:aws:states:R:A:execution:MACHINE:NAME → arn:aws:states:R:A:stateMachine:MACHINE */
const stateMachineOf = (executionArn: string) =>
  executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');

const created = () => ({
  ruleId: 'BKS-004-BEDROCK',
  severity: 'HIGH',
  event: envelope(record('console-create-bedrock-api-key')),
});

describe('ten simultaneous runs of one incident', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
  }, 60_000);
  afterEach(async () => {
    await h.stop();
  });

  const notifications = () =>
    h.simGet<Array<{ topicArn: string; subject?: string; message: string }>>('/_sim/notifications');

  it('send one approval request; the one decision is carried out once and every run ends', async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, () => h.startRun(created())));
    await Promise.all(runs.map((r) => r.approval));
    const asked = (await notifications()).filter((n) => n.subject?.startsWith('[bks] approve revocation?'));
    expect(asked).toHaveLength(1);

    // Nine runs end on their own as duplicates of that request, asking nobody and changing nothing;
    // the one that asked still waits for the decision.
    const duplicates: RunOutcome[] = [];
    await new Promise<void>((nine) => {
      for (const r of runs) {
        void r.done.then((o) => {
          duplicates.push(o);
          if (duplicates.length === 9) nine();
        });
      }
    });
    const sfn = new SFNClient({});
    const running = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: stateMachineOf(runs[0]!.executionArn),
        statusFilter: 'RUNNING',
      }),
    );
    sfn.destroy();
    expect(running.executions).toHaveLength(1);
    expect(duplicates.map((d) => d.executionArn)).not.toContain(running.executions![0]!.executionArn);
    const approvalId = new URLSearchParams(asked[0]!.message.match(/\?(\S+)/)![1]).get('id');
    for (const d of duplicates) {
      expect(d.status).toBe('SUCCEEDED');
      expect(d.output?.approval).toMatchObject({ duplicateOf: approvalId });
      expect(d.calls['Revoke']).toBeUndefined();
    }
    expect(await h.credentialStatus()).toBe('Active');

    // The analyst approves through the one link: the run that asked revokes, once.
    await h.actAsAnalyst(
      { via: 'link', decision: 'approve', by: 'dana', reason: 'confirmed leak' },
      String((await h.findings())[0]?.Id),
    );
    const all = await Promise.all(runs.map((r) => r.done));
    expect(all.map((o) => o.status)).toEqual(Array(10).fill('SUCCEEDED'));
    const carried = all.filter((o) => o.output?.approval?.decision === 'approve');
    expect(carried).toHaveLength(1);
    expect(carried[0]!.output?.outcome).toEqual({ stage: 'revoked' });
    expect(all.reduce((n, o) => n + (o.calls['Revoke'] ?? 0), 0)).toBe(1);
    expect(await h.credentialStatus()).toBe('Inactive');
    // One closing announcement, one finding.
    expect(h.announced).toHaveLength(1);
    expect(await h.findings()).toHaveLength(1);
    // Nothing else was sent to the SOC: the request and the one announcement.
    expect(await notifications()).toHaveLength(2);
  }, 60_000);
});
