/**
 * The DynamoDB stores and the incident table over the wire against bks-sim's DynamoDB (no Python),
 * with the SDK call counts; `dynamo-stores.moto.test.ts` runs the same store cases against moto as
 * an independent cross-check.
 */
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { MemoryCounterStore } from '../../src/detect/stateful';
import { DynamoIncidentTable } from '../../src/pipeline/dispatch';
import { DynamoApprovalStore } from '../../src/pipeline/dynamo-approval-store';
import { DynamoCounterStore } from '../../src/pipeline/dynamo-counter-store';

describe('DynamoDB stores against bks-sim', () => {
  let sim: SimHandle;
  let client: DynamoDBClient;
  let calls: string[] = [];

  async function table(name: string): Promise<string> {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    calls = [];
    return name;
  }

  beforeAll(async () => {
    sim = await startSim({ scenario: { now: '2026-11-20T12:00:00Z', accounts: [{ id: '123456789012' }] } });
    client = new DynamoDBClient({
      endpoint: sim.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIASIMDYNAMOTEST01', secretAccessKey: 'sim' },
      maxAttempts: 1,
    });
    client.middlewareStack.add(
      (next, context) => (args) => {
        calls.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
  });
  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  it('approval store: open, claim once, release, find by finding, one signing key', async () => {
    const store = new DynamoApprovalStore(client, await table('approvals'));
    const record = {
      id: 'abc',
      taskToken: 'token-value',
      incidentId: 'BKS-001:e1',
      findingId: 'bks/finding/1',
      title: 't',
      summary: 's',
      createdAt: '2026-11-20T12:00:00.000Z',
      expiresAt: 1_900_000_000,
      status: 'PENDING' as const,
    };
    expect(await store.open(record, 'exec-1')).toEqual({
      status: 'created',
      id: 'abc',
      expiresAt: 1_900_000_000,
    });
    expect(calls).toEqual(['PutItem', 'PutItem', 'PutItem']);
    // Another run of the same incident: a duplicate of the stored request, which stays as it was.
    expect(await store.open({ ...record, id: 'def', taskToken: 'other-token' }, 'exec-2')).toEqual({
      status: 'duplicate',
      id: 'abc',
      expiresAt: 1_900_000_000,
    });
    expect(await store.get('abc')).toEqual(record);
    expect(await store.approvalIdForFinding('bks/finding/1')).toBe('abc');
    const decision = {
      decision: 'approve' as const,
      by: 'a',
      at: 'now',
      reason: 'r',
      via: 'approval-link' as const,
    };
    // Two concurrent claims: exactly one wins.
    const both = await Promise.all([store.claim('abc', decision), store.claim('abc', decision)]);
    expect(both.filter((r) => r !== undefined).map((r) => r?.taskToken)).toEqual(['token-value']);
    expect(await store.claim('missing', decision)).toBeUndefined();
    await store.release('abc');
    expect((await store.get('abc'))?.status).toBe('PENDING');
    expect((await store.get('abc'))?.decision).toBeUndefined();
    await expect(store.release('missing')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    calls = [];
    const key = await store.signingKey();
    expect(key.length).toBe(32);
    expect(calls).toEqual(['GetItem', 'PutItem', 'GetItem']);
    const other = new DynamoApprovalStore(client, 'approvals');
    expect((await other.signingKey()).equals(key)).toBe(true);
    // Items carry a TTL; the finding pointer holds no token.
    const items = (await client.send(new ScanCommand({ TableName: 'approvals' }))).Items ?? [];
    const pointer = items.find((i) => i['pk']?.S?.startsWith('finding#'));
    expect(pointer?.['ttl']?.N).toBeDefined();
    expect(JSON.stringify(pointer)).not.toContain('token-value');
  });

  it('approval store: of 10 concurrent runs of one incident exactly one asks; a retry of that run resumes with its new token', async () => {
    const store = new DynamoApprovalStore(client, await table('approvals-incident'));
    const base = {
      incidentId: 'BKS-001:e9',
      findingId: 'bks/finding/9',
      title: 't',
      summary: 's',
      createdAt: '2026-11-20T12:00:00.000Z',
      expiresAt: 1_900_000_000,
      status: 'PENDING' as const,
    };
    const opened = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.open({ ...base, id: `run${i}`, taskToken: `token-${i}` }, `exec-${i}`),
      ),
    );
    const created = opened.filter((o) => o.status === 'created');
    expect(created).toHaveLength(1);
    const winner = created[0]!.id;
    expect(opened.filter((o) => o.status === 'duplicate').map((o) => o.id)).toEqual(Array(9).fill(winner));
    expect(await store.approvalIdForFinding('bks/finding/9')).toBe(winner);
    // Exactly one approval item: the duplicates stored nothing of their own.
    const items = (await client.send(new ScanCommand({ TableName: 'approvals-incident' }))).Items ?? [];
    expect(items.filter((i) => i['pk']?.S?.startsWith('approval#')).map((i) => i['pk']?.S)).toEqual([
      `approval#${winner}`,
    ]);
    // The winning run retried by Step Functions (same execution, new task token) is not a duplicate:
    // the pending approval now resumes the new token.
    const n = Number(winner.slice(3));
    expect(await store.open({ ...base, id: 'retry', taskToken: 'token-retry' }, `exec-${n}`)).toEqual({
      status: 'resumed',
      id: winner,
      expiresAt: 1_900_000_000,
    });
    expect((await store.get(winner))?.taskToken).toBe('token-retry');
    // Once decided, even that run is a duplicate: the decision is never asked for twice.
    const decision = {
      decision: 'reject' as const,
      by: 'a',
      at: 'now',
      reason: 'r',
      via: 'approval-link' as const,
    };
    await store.claim(winner, decision);
    expect((await store.open({ ...base, id: 'late', taskToken: 'token-late' }, `exec-${n}`)).status).toBe(
      'duplicate',
    );
  });

  it('counter store behaves like the in-memory store of src/detect', async () => {
    const now = 1_800_000_000_000;
    const dynamo = new DynamoCounterStore(client, await table('counters'), () => now);
    const memory = new MemoryCounterStore();
    for (const s of [dynamo, memory]) {
      await s.increment('k', 10, 1, now + 60_000);
      await s.increment('k', 10, 2, now + 60_000);
      await s.increment('k', 11, 4, now + 60_000);
      await s.increment('k', 12, 8, now - 1); // already expired: ignored
      await s.addMember('r', 10, 'us-east-1', now + 60_000);
      await s.addMember('r', 11, 'eu-west-1', now + 60_000);
      await s.addMember('r', 11, 'us-east-1', now + 60_000);
    }
    memory.advance(now);
    expect(calls.filter((c) => c === 'UpdateItem')).toHaveLength(7);
    expect(await dynamo.counts('k', 10, 11)).toEqual([
      [10, 3],
      [11, 4],
    ]);
    expect(await dynamo.counts('k', 10, 12)).toEqual(memory.counts('k', 10, 12));
    expect(await dynamo.members('r', 0, 20)).toEqual([
      [10, ['us-east-1']],
      [11, ['eu-west-1', 'us-east-1']],
    ]);
    expect(await dynamo.members('r', 0, 20)).toEqual(memory.members('r', 0, 20));
    // 150 buckets: two BatchGetItem pages of at most 100 keys.
    calls = [];
    await dynamo.counts('k', 0, 149);
    expect(calls).toEqual(['BatchGetItem', 'BatchGetItem']);
    expect(await dynamo.claim('w1', now + 60_000)).toBe(true);
    expect(await dynamo.claim('w1', now + 60_000)).toBe(false);
    expect(await dynamo.claim('expired', now - 1000)).toBe(true);
    expect(await dynamo.claim('expired', now + 1000)).toBe(true);
  });

  it('incident table: one of concurrent signals opens, every signal is recorded once, escalation and hand-over are conditional', async () => {
    const t = new DynamoIncidentTable(client, await table('incidents'));
    const t0 = 1_800_000_000_000;
    const key = '123456789012|arn:aws:iam::123456789012:user/BedrockAPIKey-q7xk';
    const opened = await Promise.all(['e1', 'e2', 'e3'].map((n) => t.open(key, n, 'LOW', t0 + 60_000, t0)));
    expect(opened.filter(Boolean)).toHaveLength(1);
    const holder = ['e1', 'e2', 'e3'][opened.indexOf(true)]!;
    expect(calls).toEqual(Array(3).fill('PutItem'));
    calls = [];
    const sig = (ruleId: string, eventId: string, time: string, severity: 'LOW' | 'HIGH' = 'LOW') => ({
      ruleId,
      severity,
      eventId,
      time,
      region: 'us-east-1',
      title: `title of ${ruleId}`,
    });
    expect(await t.record(key, sig('BKS-010', 'e1', '2026-11-20T12:00:05Z'), t0, holder)).toBe(true);
    // Each signal: its own record, the incident's counts, the record marked counted.
    expect(calls).toEqual(['PutItem', 'UpdateItem', 'UpdateItem']);
    expect(await t.record(key, sig('BKS-010', 'e1', '2026-11-20T12:00:05Z'), t0, holder)).toBe(false); // redelivery
    // Concurrent copies of one event (each forwarder rule that matches forwards its own): counted once.
    const copies = await Promise.all(
      [0, 1, 2].map(() => t.record(key, sig('BKS-010', 'e2', '2026-11-20T12:00:02Z'), t0, holder)),
    );
    expect(copies.filter(Boolean)).toHaveLength(1);
    // Out of order: an earlier event delivered later moves `first`, not `last`.
    expect(await t.record(key, sig('BKS-010', 'e0', '2026-11-20T12:00:01Z'), t0, holder)).toBe(true);
    expect(await t.record(key, sig('BKS-019', 'g1', '2026-11-20T12:00:09Z', 'HIGH'), t0, holder)).toBe(true);
    expect(await t.signal(key, 'BKS-019', 'g1')).toEqual({ execution: holder });
    expect(await t.signal(key, 'BKS-019', 'nope')).toBeUndefined();
    const state = await t.read(key);
    expect(state).toMatchObject({
      execution: holder,
      incident: holder,
      executions: [holder],
      severity: 'LOW',
      heldSince: state?.openedAt,
    });
    expect(state?.signals).toEqual([
      {
        ruleId: 'BKS-010',
        title: 'title of BKS-010',
        severity: 'LOW',
        first: '2026-11-20T12:00:01Z',
        last: '2026-11-20T12:00:05Z',
        count: 3,
        regions: ['us-east-1'],
      },
      {
        ruleId: 'BKS-019',
        title: 'title of BKS-019',
        severity: 'HIGH',
        first: '2026-11-20T12:00:09Z',
        last: '2026-11-20T12:00:09Z',
        count: 1,
        regions: ['us-east-1'],
      },
    ]);
    // Escalation: once per level, only while `holder` runs the incident; a retry of the same
    // signal may finish it until it is marked done.
    expect(await t.escalate(key, 'HIGH', 'other-execution', 'BKS-019|g1')).toBe(false);
    expect(await t.escalate(key, 'HIGH', holder, 'BKS-019|g1')).toBe(true);
    expect(await t.escalate(key, 'HIGH', holder, 'BKS-019|g2')).toBe(false);
    expect(await t.escalate(key, 'HIGH', holder, 'BKS-019|g1')).toBe(true);
    await t.escalated(key, 'BKS-019|g1');
    expect(await t.escalate(key, 'HIGH', holder, 'BKS-019|g1')).toBe(false);
    expect((await t.read(key))?.severity).toBe('HIGH');
    // Hand-over to a new workflow: only from the holder, once.
    const handed = await Promise.all(
      ['n1', 'n2'].map((n) => t.handOver(key, holder, n, 'CRITICAL', t0 + 120_000, t0 + 5_000)),
    );
    expect(handed.filter(Boolean)).toHaveLength(1);
    const next = await t.read(key);
    expect(next?.executions.sort()).toEqual([holder, next!.execution].sort());
    expect(next).toMatchObject({
      incident: holder,
      severity: 'CRITICAL',
      untilMs: t0 + 120_000,
      heldSince: new Date(t0 + 5_000).toISOString(),
    });
    // Held within the window; free after it (a new incident: a fresh record).
    expect(await t.open(key, 'e4', 'LOW', t0 + 180_000, t0 + 30_000)).toBe(false);
    expect(await t.open(key, 'e4', 'LOW', t0 + 300_000, t0 + 121_000)).toBe(true);
    expect((await t.read(key))?.signals).toEqual([]);
  });
});
