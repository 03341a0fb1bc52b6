/**
 * The response workflow never fails in silence (issue: workflow states that fail without a trace).
 * On the live local pipeline (`bks-sim --pipeline`: forwarders, central bus, dispatch with its gate
 * in DynamoDB, the workflow with the real handlers), Security Hub refuses every import
 * (bks-sim fault injection, as when Security Hub is off in a member account): the run ends in the
 * manual-action path, the SOC topic gets the incident, the failed step and the error, and the
 * dispatch gate of that rule and key is released — while the gate of an incident still waiting
 * for its analyst stays held.
 */

import { readFileSync } from 'node:fs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from 'vitest';
import { LivePipeline } from '../../local/pipeline';
import { packagePath } from '../../src/paths';
import { until } from '../helpers/until';
import { envelope, record } from '../pipeline/fixtures';
import { Harness } from '../pipeline/workflow-harness';

const SEC = '111111111111';
const MEMBER = '222222222222';
const ATTACKER = { accessKeyId: 'AKIAATTACKER00000002', secretAccessKey: 'attacker-secret' };

const scenario = () => ({
  now: new Date().toISOString(),
  principals: [{ ...ATTACKER, account: MEMBER, arn: `arn:aws:iam::${MEMBER}:user/dev-ci` }],
  accounts: [
    { id: SEC, regions: ['us-east-1'] },
    { id: MEMBER, regions: ['us-east-1'] },
  ],
});

type Notification = { topicArn: string; subject: string; message: string };

describe('manual action: a failing step ends in one path that notifies, marks and releases', () => {
  let p: LivePipeline;
  afterEach(async () => {
    await p?.stop();
  });

  async function createPhantom(name: string): Promise<void> {
    const iam = new IAMClient({
      endpoint: p.sim.url,
      region: 'us-east-1',
      credentials: { ...ATTACKER },
      maxAttempts: 1,
    });
    await iam.send(new CreateUserCommand({ UserName: name }));
    iam.destroy();
  }

  async function gates(): Promise<Array<{ pk: string; execution: string }>> {
    const ddb = new DynamoDBClient({ endpoint: p.sim.url, region: 'us-east-1', credentials: p.credentials });
    const out = await ddb.send(new ScanCommand({ TableName: p.deployment.counterTable }));
    ddb.destroy();
    return (out.Items ?? [])
      .filter((i) => i['pk']?.S?.startsWith('open#'))
      .map((i) => ({ pk: i['pk']!.S!, execution: i['execution']?.S ?? '' }));
  }

  it('Security Hub failing: RaiseFinding ends in ManualAction, the SOC is told what failed, the gate is released', async () => {
    p = new LivePipeline({ scenario: scenario() });
    await p.start();

    // An incident whose workflow is healthy: it waits for its analyst and holds its gate.
    await createPhantom('BedrockAPIKey-held1');
    const waiting = await until('the first run to ask the analyst', () =>
      p.traces.find((t) => t.taskToken && t.name.startsWith('BKS-001-')),
    );
    const held = await gates();
    expect(held.map((g) => g.execution)).toContain(waiting.name);

    // Security Hub refuses every import from now on (as when it is off in the member account).
    const fault = await fetch(`${p.sim.url}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        faults: [
          {
            action: 'securityhub:BatchImportFindings',
            error: 'InvalidAccessException',
            message: 'Account 222222222222 is not subscribed to AWS Security Hub',
          },
        ],
      }),
    });
    expect(fault.status).toBe(200);
    await createPhantom('BedrockAPIKey-fail2');
    const failing = await until('the second run', () =>
      p.traces.find((t) => t.name !== waiting.name && t.name.startsWith('BKS-001-')),
    );
    const ended = await p.done(failing.executionArn);

    // The manual-action path, not a bare failure.
    expect(ended.status).toBe('FAILED');
    expect(ended.error).toBe('ManualActionRequired');
    expect(failing.calls['RaiseFinding']).toBeGreaterThan(1); // retried first
    expect(failing.calls['Decide']).toBeUndefined();
    expect(failing.calls['ManualAction']).toBe(1);
    expect(failing.manualAction).toMatchObject({ gate: 'released', finding: 'no-finding' });

    // The SOC topic got the incident, the failed step and the error.
    const notes = (await (await fetch(`${p.sim.url}/_sim/notifications`)).json()) as Notification[];
    const manual = notes.filter((n) => /MANUAL ACTION REQUIRED/.test(n.subject));
    expect(manual).toHaveLength(1);
    expect(manual[0]!.topicArn).toBe(`arn:aws:sns:us-east-1:${SEC}:bks-soc`);
    expect(manual[0]!.subject).toContain('RaiseFinding failed for BKS-001-BEDROCK in 222222222222');
    expect(manual[0]!.message).toContain('stopped at RaiseFinding');
    expect(manual[0]!.message).toContain('InvalidAccessException');
    expect(manual[0]!.message).toContain('IAM user BedrockAPIKey-fail2');
    expect(manual[0]!.message).toContain('Finding: none was raised');
    expect(manual[0]!.message).toContain('Dispatch gate: released');
    expect(manual[0]!.message).toContain(failing.executionArn);

    // The failed run's gate is gone; the waiting run's gate is untouched.
    const after = await gates();
    expect(after.map((g) => g.execution)).not.toContain(failing.name);
    expect(after.map((g) => g.execution)).toContain(waiting.name);
  }, 120_000);
});

describe('manual action after a finding exists', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
  });

  it('CloseFinding failing after its retries: the finding is marked MANUAL ACTION REQUIRED and the SOC notified', async () => {
    h = new Harness();
    await h.start();
    // Exactly CloseFinding's attempts (1 + its retries) are refused; the manual-action step's update then passes.
    const asl = JSON.parse(readFileSync(packagePath('statemachines', 'response.asl.json'), 'utf8'));
    const attempts = 1 + Number(asl.States.CloseFinding.Retry[0].MaxAttempts);
    await h.setFaults([
      { action: 'securityhub:BatchUpdateFindings', error: 'InternalException', status: 400, count: attempts },
    ]);
    const run = await h.run(
      {
        ruleId: 'BKS-004-BEDROCK',
        severity: 'HIGH',
        event: envelope(record('console-create-bedrock-api-key')),
      },
      {
        policy: {
          allowlist: ['arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*'],
        },
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/^ManualActionRequired/);
    expect(run.calls['CloseFinding']).toBe(attempts);
    expect(run.calls['Announce']).toBeUndefined();
    const [finding] = await h.findings();
    expect(finding!.Workflow.Status).toBe('NOTIFIED');
    expect(finding!.Note.Text).toContain(
      'MANUAL ACTION REQUIRED: the response workflow stopped at CloseFinding after allowlisted',
    );
    const [note] = h.announced;
    expect(note!.Subject).toContain('CloseFinding failed for BKS-004-BEDROCK');
    expect(note!.Message).toContain(`Finding: ${finding!.Id} marked MANUAL ACTION REQUIRED`);
    expect(note!.Message).toContain('Outcome so far: allowlisted');
    // A workflow started without the dispatcher holds no gate: nothing to release, and it says so.
    expect(note!.Message).toContain('Dispatch gate: none open for this rule and key');
  }, 120_000);

  it('CloseFinding failing after an analyst approved on the page: the page shows the manual action, not "acting on it"', async () => {
    h = new Harness();
    await h.start();
    const asl = JSON.parse(readFileSync(packagePath('statemachines', 'response.asl.json'), 'utf8'));
    const attempts = 1 + Number(asl.States.CloseFinding.Retry[0].MaxAttempts);
    await h.setFaults([
      { action: 'securityhub:BatchUpdateFindings', error: 'InternalException', status: 400, count: attempts },
    ]);
    const run = await h.run(
      {
        ruleId: 'BKS-004-BEDROCK',
        severity: 'HIGH',
        event: envelope(record('console-create-bedrock-api-key')),
      },
      { analyst: { via: 'link', decision: 'approve', by: 'alice', reason: 'the key is in a public gist' } },
    );
    expect(run.status).toBe('FAILED');
    expect(run.calls['CloseFinding']).toBe(attempts);
    expect(run.calls['ManualAction']).toBe(1);
    const page = await (await h.analyst('alice')).request(h.lastLinkUrl());
    expect(page.status).toBe(200);
    expect(page.html).toContain('Manual action needed');
    expect(page.html).toContain(
      'MANUAL ACTION REQUIRED: the response workflow stopped at CloseFinding after revoked',
    );
    // What the revoke step did before the closing step failed, and no claim that it was verified.
    expect(page.html).toContain('What was done');
    expect(page.html).toContain('iam:UpdateServiceSpecificCredential');
    expect(page.html).toContain('Nothing was verified');
    expect(page.html).not.toContain('http-equiv="refresh"');
    const [finding] = await h.findings();
    expect(page.html).toContain(`<blockquote>${finding!.Note.Text}</blockquote>`);
  }, 120_000);
});
