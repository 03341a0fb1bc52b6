/** The DynamoDB stores over the wire (moto's DynamoDB: bks-sim has no DynamoDB). */
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCounterStore } from '../../src/detect/stateful';
import { DynamoApprovalStore } from '../../src/pipeline/dynamo-approval-store';
import { DynamoCounterStore } from '../../src/pipeline/dynamo-counter-store';
import { type Moto, startMoto } from '../helpers/moto';
import { skipWithout, TOOLS } from '../helpers/tools';

describe.skipIf(skipWithout(TOOLS.motoServer))('DynamoDB stores against moto', () => {
  let moto: Moto;
  let client: DynamoDBClient;

  async function table(name: string): Promise<string> {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return name;
  }

  beforeAll(async () => {
    moto = await startMoto();
    client = new DynamoDBClient({
      endpoint: moto.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAMOTO', secretAccessKey: 'moto' },
    });
  }, 60_000);
  afterAll(() => moto?.stop());

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
    expect((await store.claim('abc', decision))?.taskToken).toBe('token-value');
    expect(await store.claim('abc', decision)).toBeUndefined();
    expect(await store.claim('missing', decision)).toBeUndefined();
    await store.release('abc');
    expect((await store.get('abc'))?.status).toBe('PENDING');
    const key = await store.signingKey();
    expect(key.length).toBe(32);
    const other = new DynamoApprovalStore(client, 'approvals');
    expect((await other.signingKey()).equals(key)).toBe(true);
    // Items carry a TTL; the finding pointer holds no token.
    const items = (await client.send(new ScanCommand({ TableName: 'approvals' }))).Items ?? [];
    const pointer = items.find((i) => i['pk']?.S?.startsWith('finding#'));
    expect(pointer?.['ttl']?.N).toBeDefined();
    expect(JSON.stringify(pointer)).not.toContain('token-value');
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
    expect(await dynamo.claim('w1', now + 60_000)).toBe(true);
    expect(await dynamo.claim('w1', now + 60_000)).toBe(false);
    expect(await dynamo.claim('expired', now - 1000)).toBe(true);
    expect(await dynamo.claim('expired', now + 1000)).toBe(true);
  });
});
