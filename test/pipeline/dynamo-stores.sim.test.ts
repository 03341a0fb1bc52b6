/**
 * The DynamoDB stores and the dispatch gate over the wire against bks-sim's DynamoDB (no Python),
 * with the SDK call counts; `dynamo-stores.moto.test.ts` runs the same store cases against moto as
 * an independent cross-check.
 */
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { MemoryCounterStore } from '../../src/detect/stateful';
import { DynamoDispatchGate } from '../../src/pipeline/dispatch';
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

  it('dispatch gate: one of concurrent matches opens, the holder may reopen, the window frees it', async () => {
    const gate = new DynamoDispatchGate(client, await table('gate'));
    const t0 = 1_800_000_000_000;
    const opened = await Promise.all(['e1', 'e2', 'e3'].map((n) => gate.open('r|a|k', n, t0 + 60_000, t0)));
    expect(opened.filter(Boolean)).toHaveLength(1);
    const holder = ['e1', 'e2', 'e3'][opened.indexOf(true)]!;
    expect(await gate.open('r|a|k', holder, t0 + 60_000, t0 + 1000)).toBe(true);
    expect(await gate.open('r|a|k', 'e4', t0 + 120_000, t0 + 30_000)).toBe(false);
    expect(await gate.open('r|a|k', 'e4', t0 + 180_000, t0 + 61_000)).toBe(true);
    expect(calls).toEqual(Array(6).fill('PutItem'));
  });
});
