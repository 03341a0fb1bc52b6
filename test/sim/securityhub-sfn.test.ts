/**
 * Security Hub and Step Functions of bks-sim through the JS SDK v3: import (upsert, validation,
 * limits), get (filters, pagination), update (workflow, note), custom actions; SendTask* with
 * registered tokens; what the control API shows.
 */

import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  CreateActionTargetCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { ACCT, ADMIN_KEY, scenario } from './fixtures';
import { clientConfig, control, failure } from './harness';

let sim: SimHandle;
let hub: SecurityHubClient;
const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCT}:product/${ACCT}/default`;

function finding(id: string, extra: Record<string, unknown> = {}) {
  return {
    SchemaVersion: '2018-10-08',
    Id: id,
    ProductArn: PRODUCT,
    GeneratorId: 'bks/phantom-user',
    AwsAccountId: ACCT,
    Types: ['Software and Configuration Checks/AWS Security Best Practices'],
    CreatedAt: '2026-11-20T10:00:00Z',
    UpdatedAt: '2026-11-20T10:00:00Z',
    Severity: { Label: 'HIGH' as const },
    Title: `Phantom user ${id}`,
    Description: 'A Bedrock API key phantom user holds an IAM access key.',
    Resources: [{ Type: 'AwsIamUser', Id: `arn:aws:iam::${ACCT}:user/${id}` }],
    ...extra,
  };
}

beforeAll(async () => {
  sim = await startSim({ scenario: scenario() });
  hub = new SecurityHubClient(clientConfig(sim, ADMIN_KEY));
});
afterAll(async () => {
  await sim?.close();
});

describe('Security Hub', () => {
  it('imports findings, reports invalid ones in FailedFindings, and upserts on Id + ProductArn', async () => {
    const bad = { ...finding('bad'), Title: undefined } as never;
    const out = await hub.send(
      new BatchImportFindingsCommand({ Findings: [finding('f1'), finding('f2'), bad] }),
    );
    expect(out.SuccessCount).toBe(2);
    expect(out.FailedCount).toBe(1);
    expect(out.FailedFindings).toEqual([
      {
        Id: 'bad',
        ErrorCode: 'InvalidInput',
        ErrorMessage:
          "Finding does not adhere to Amazon Finding Format. data should have required property 'Title'.",
      },
    ]);
    const again = await hub.send(
      new BatchImportFindingsCommand({ Findings: [finding('f1', { Title: 'updated' })] }),
    );
    expect(again.SuccessCount).toBe(1);
    const body = (await control(sim, 'GET', '/_sim/findings')) as {
      body: { findings: Record<string, unknown>[] };
    };
    expect(body.body.findings.map((f) => [f.Id, f.Title])).toEqual([
      ['f1', 'updated'],
      ['f2', 'Phantom user f2'],
    ]);
    expect(body.body.findings[0]).toMatchObject({ RecordState: 'ACTIVE', Workflow: { Status: 'NEW' } });
  });

  it('refuses more than 100 findings per call', async () => {
    const many = Array.from({ length: 101 }, (_, i) => finding(`m${i}`));
    const err = await failure(hub.send(new BatchImportFindingsCommand({ Findings: many })));
    expect(err).toMatchObject({ name: 'InvalidInputException', status: 400 });
  });

  it('gets findings by filters, in pages', async () => {
    await hub.send(
      new BatchImportFindingsCommand({
        Findings: Array.from({ length: 30 }, (_, i) => finding(`p${i}`, { GeneratorId: 'bks/paged' })),
      }),
    );
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await hub.send(
        new GetFindingsCommand({
          Filters: {
            GeneratorId: [{ Value: 'bks/paged', Comparison: 'EQUALS' }],
            RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
          },
          MaxResults: 12,
          NextToken: token,
        }),
      );
      pages++;
      ids.push(...(out.Findings ?? []).map((f) => f.Id!));
      token = out.NextToken;
    } while (token);
    expect(pages).toBe(3);
    expect(ids).toHaveLength(30);
    const one = await hub.send(
      new GetFindingsCommand({ Filters: { Id: [{ Value: 'f2', Comparison: 'EQUALS' }] } }),
    );
    expect(one.Findings?.map((f) => f.Title)).toEqual(['Phantom user f2']);
    const byAccount = await hub.send(
      new GetFindingsCommand({
        Filters: {
          AwsAccountId: [{ Value: ACCT, Comparison: 'EQUALS' }],
          GeneratorId: [{ Value: 'bks/phantom', Comparison: 'PREFIX' }],
        },
      }),
    );
    expect(byAccount.Findings).toHaveLength(2);
  });

  it('updates workflow and note, reports unknown findings as unprocessed, keeps them across re-import', async () => {
    const out = await hub.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [
          { Id: 'f1', ProductArn: PRODUCT },
          { Id: 'nope', ProductArn: PRODUCT },
        ],
        Workflow: { Status: 'RESOLVED' },
        Note: { Text: 'revoked by bks', UpdatedBy: 'bks-pipeline' },
      }),
    );
    expect(out.ProcessedFindings).toEqual([{ Id: 'f1', ProductArn: PRODUCT }]);
    expect(out.UnprocessedFindings).toEqual([
      {
        FindingIdentifier: { Id: 'nope', ProductArn: PRODUCT },
        ErrorCode: 'FindingNotFound',
        ErrorMessage: 'Finding Not Found',
      },
    ]);
    await hub.send(new BatchImportFindingsCommand({ Findings: [finding('f1', { Title: 're-imported' })] }));
    const f1 = (
      await hub.send(
        new GetFindingsCommand({
          Filters: { WorkflowStatus: [{ Value: 'RESOLVED', Comparison: 'EQUALS' }] },
        }),
      )
    ).Findings!;
    expect(f1.map((f) => [f.Id, f.Title, f.Note?.Text, f.Note?.UpdatedBy])).toEqual([
      ['f1', 're-imported', 'revoked by bks', 'bks-pipeline'],
    ]);
  });

  it('creates custom action targets once', async () => {
    const out = await hub.send(
      new CreateActionTargetCommand({ Name: 'Revoke key', Description: 'bks revoke', Id: 'bksrevoke' }),
    );
    expect(out.ActionTargetArn).toBe(`arn:aws:securityhub:us-east-1:${ACCT}:action/custom/bksrevoke`);
    const dup = await failure(
      hub.send(new CreateActionTargetCommand({ Name: 'Revoke key', Description: 'x', Id: 'bksrevoke' })),
    );
    expect(dup).toMatchObject({ name: 'ResourceConflictException', status: 409 });
  });

  it('logs imports and updates in CloudTrail', async () => {
    const ct = new CloudTrailClient(clientConfig(sim, ADMIN_KEY));
    const out = await ct.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: 'securityhub.amazonaws.com' }],
      }),
    );
    const names = (out.Events ?? []).map((e) => e.EventName);
    expect(names).toContain('BatchImportFindings');
    expect(names).toContain('BatchUpdateFindings');
    expect(names).not.toContain('GetFindings');
  });
});

describe('Step Functions', () => {
  it('accepts any well-formed token until tokens are registered, then only registered open ones', async () => {
    const sfn = new SFNClient(clientConfig(sim, ADMIN_KEY, { maxAttempts: 1 }));
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'free-token-1' }));
    const reg = (await control(sim, 'POST', '/_sim/task-tokens', { tokens: ['tok-a', 'tok-b'] })) as {
      status: number;
    };
    expect(reg.status).toBe(200);
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'tok-a' }));
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: 'tok-a', output: JSON.stringify({ revoked: true }) }),
    );
    expect(
      (await failure(sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-a', output: '{}' })))).name,
    ).toBe('TaskTimedOut');
    expect(
      (await failure(sfn.send(new SendTaskFailureCommand({ taskToken: 'tok-zzz', error: 'E' })))).name,
    ).toBe('TaskDoesNotExist');
    expect(
      (await failure(sfn.send(new SendTaskSuccessCommand({ taskToken: 'tok-b', output: 'not json' })))).name,
    ).toBe('InvalidOutput');
    expect(
      (await failure(sfn.send(new SendTaskSuccessCommand({ taskToken: 'bad token', output: '{}' })))).name,
    ).toBe('InvalidToken');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: 'tok-b', error: 'Denied', cause: 'operator said no' }),
    );
    const calls = (
      (await control(sim, 'GET', '/_sim/task-tokens')) as { body: { calls: Record<string, unknown>[] } }
    ).body.calls;
    expect(calls.map((c) => [c.action, c.taskToken])).toEqual([
      ['SendTaskHeartbeat', 'free-token-1'],
      ['SendTaskHeartbeat', 'tok-a'],
      ['SendTaskSuccess', 'tok-a'],
      ['SendTaskFailure', 'tok-b'],
    ]);
    expect(calls[3]).toMatchObject({ error: 'Denied', cause: 'operator said no', account: ACCT });
  });
});
