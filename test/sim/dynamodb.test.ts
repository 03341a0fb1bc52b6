/**
 * DynamoDB of bks-sim through the JS SDK v3: tables, items, the condition and update expressions
 * (the exact strings the pipeline's stores send), ReturnValues, BatchGetItem, Scan, validation and
 * the errors AWS answers, and conditional races (one of two conditional puts wins).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { ADMIN_KEY, scenario } from './fixtures';
import { clientConfig, failure } from './harness';

let sim: SimHandle;
let ddb: DynamoDBClient;
let tables = 0;

async function table(range = false): Promise<string> {
  const name = `t-${++tables}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(range ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : []),
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(range ? [{ AttributeName: 'sk', AttributeType: 'N' as const }] : []),
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return name;
}

const get = async (TableName: string, pk: string) =>
  (await ddb.send(new GetItemCommand({ TableName, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;

beforeAll(async () => {
  sim = await startSim({ scenario: scenario() });
  ddb = new DynamoDBClient({ ...clientConfig(sim, ADMIN_KEY), maxAttempts: 1 });
});
afterAll(async () => {
  ddb.destroy();
  await sim.close();
});

describe('tables', () => {
  it('creates, describes, lists and deletes; a second create is ResourceInUseException', async () => {
    const out = await ddb.send(
      new CreateTableCommand({
        TableName: 'approvals',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect(out.TableDescription?.TableArn).toMatch(/^arn:aws:dynamodb:us-east-1:\d{12}:table\/approvals$/);
    expect(out.TableDescription?.TableStatus).toBe('ACTIVE');
    const again = await failure(
      ddb.send(
        new CreateTableCommand({
          TableName: 'approvals',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    expect(again).toMatchObject({ name: 'ResourceInUseException', status: 400 });
    await ddb.send(new PutItemCommand({ TableName: 'approvals', Item: { pk: { S: 'a' }, v: { S: 'x' } } }));
    const d = await ddb.send(new DescribeTableCommand({ TableName: 'approvals' }));
    expect(d.Table).toMatchObject({
      TableName: 'approvals',
      ItemCount: 1,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    expect(d.Table?.CreationDateTime).toBeInstanceOf(Date);
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toContain('approvals');
    await ddb.send(new DeleteTableCommand({ TableName: 'approvals' }));
    expect(await failure(ddb.send(new DescribeTableCommand({ TableName: 'approvals' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 400,
    });
  });

  it('tables are per region', async () => {
    const name = await table();
    const west = new DynamoDBClient({ ...clientConfig(sim, ADMIN_KEY), region: 'us-west-2', maxAttempts: 1 });
    expect(await failure(west.send(new DescribeTableCommand({ TableName: name })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    west.destroy();
  });

  it('refuses key schemas that do not match the attribute definitions, and provisioned without throughput', async () => {
    const bad = await failure(
      ddb.send(
        new CreateTableCommand({
          TableName: 'bad',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'x', AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      ),
    );
    expect(bad.name).toBe('ValidationException');
    expect(bad.message).toContain('does not exactly match');
    const noThroughput = await failure(
      ddb.send(
        new CreateTableCommand({
          TableName: 'bad',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        }),
      ),
    );
    expect(noThroughput.message).toContain('ReadCapacityUnits and WriteCapacityUnits');
  });

  it('TTL: recorded and described, items are never expired by the simulator', async () => {
    const name = await table();
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' },
      }),
    );
    const d = await ddb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(d.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    await ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'old' }, ttl: { N: '1' } } }));
    expect(await get(name, 'old')).toEqual({ pk: { S: 'old' }, ttl: { N: '1' } });
  });
});

describe('items', () => {
  it('put, get (projection), delete; missing table and key mismatches', async () => {
    const name = await table();
    await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: {
          pk: { S: 'a' },
          n: { N: '01.50' },
          ss: { SS: ['x', 'y'] },
          ns: { NS: ['2', '1.0'] },
          b: { B: Buffer.from([0, 1, 2]) },
          ok: { BOOL: true },
          nil: { NULL: true },
          m: { M: { core: { S: 'deep' }, list: { L: [{ N: '1' }, { S: 'two' }] } } },
        },
      }),
    );
    const item = await get(name, 'a');
    // Numbers come back in canonical form, binary as bytes.
    expect(item?.n).toEqual({ N: '1.5' });
    expect(item?.ns?.NS?.sort()).toEqual(['1', '2']);
    expect(Buffer.from(item?.b?.B ?? []).equals(Buffer.from([0, 1, 2]))).toBe(true);
    expect(item?.m).toEqual({ M: { core: { S: 'deep' }, list: { L: [{ N: '1' }, { S: 'two' }] } } });
    const projected = await ddb.send(
      new GetItemCommand({
        TableName: name,
        Key: { pk: { S: 'a' } },
        ProjectionExpression: 'n, #m.core, m.#l[1]',
        ExpressionAttributeNames: { '#m': 'm', '#l': 'list' },
      }),
    );
    expect(projected.Item).toEqual({
      n: { N: '1.5' },
      m: { M: { core: { S: 'deep' }, list: { L: [{ S: 'two' }] } } },
    });
    expect(await get(name, 'nope')).toBeUndefined();
    const deleted = await ddb.send(
      new DeleteItemCommand({ TableName: name, Key: { pk: { S: 'a' } }, ReturnValues: 'ALL_OLD' }),
    );
    expect(deleted.Attributes?.pk).toEqual({ S: 'a' });
    expect(await get(name, 'a')).toBeUndefined();

    expect(
      await failure(ddb.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'a' } } }))),
    ).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 400,
      message: 'Requested resource not found',
    });
    expect(
      await failure(ddb.send(new GetItemCommand({ TableName: name, Key: { pk: { N: '1' } } }))),
    ).toMatchObject({
      name: 'ValidationException',
      message: 'The provided key element does not match the schema',
    });
    expect(
      await failure(
        ddb.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' }, x: { S: 'b' } } })),
      ),
    ).toMatchObject({ name: 'ValidationException' });
    expect(
      (await failure(ddb.send(new PutItemCommand({ TableName: name, Item: { x: { S: 'a' } } })))).message,
    ).toBe('One or more parameter values were invalid: Missing the key pk in the item');
    expect(
      (await failure(ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: '' } } })))).message,
    ).toContain('cannot contain an empty string value');
    expect(
      (
        await failure(
          ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, n: { N: 'abc' } } })),
        )
      ).message,
    ).toBe('A value provided cannot be converted into a number');
    expect(
      (
        await failure(
          ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, s: { SS: [] } } })),
        )
      ).name,
    ).toBe('ValidationException');
    expect(
      (
        await failure(
          ddb.send(
            new PutItemCommand({
              TableName: name,
              Item: { pk: { S: 'a' }, big: { S: 'x'.repeat(410_000) } },
            }),
          ),
        )
      ).message,
    ).toBe('Item size has exceeded the maximum allowed size');
  });

  it('composite keys: hash and range, range compared as the declared type', async () => {
    const name = await table(true);
    await ddb.send(
      new PutItemCommand({ TableName: name, Item: { pk: { S: 'k' }, sk: { N: '1' }, v: { S: 'one' } } }),
    );
    await ddb.send(
      new PutItemCommand({ TableName: name, Item: { pk: { S: 'k' }, sk: { N: '2' }, v: { S: 'two' } } }),
    );
    const one = await ddb.send(
      new GetItemCommand({ TableName: name, Key: { pk: { S: 'k' }, sk: { N: '1.0' } } }),
    );
    expect(one.Item?.v).toEqual({ S: 'one' });
    expect(
      await failure(ddb.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'k' } } }))),
    ).toMatchObject({ name: 'ValidationException' });
  });

  it('PutItem ReturnValues ALL_OLD, and a refused ReturnValues', async () => {
    const name = await table();
    const first = await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'a' }, v: { N: '1' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(first.Attributes).toBeUndefined();
    const second = await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'a' }, v: { N: '2' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(second.Attributes).toEqual({ pk: { S: 'a' }, v: { N: '1' } });
    expect(
      await failure(
        ddb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' } }, ReturnValues: 'ALL_NEW' })),
      ),
    ).toMatchObject({ name: 'ValidationException' });
  });
});

describe('condition expressions', () => {
  it('attribute_not_exists(pk): the first put wins, the second is ConditionalCheckFailedException', async () => {
    const name = await table();
    const put = (v: string) =>
      ddb.send(
        new PutItemCommand({
          TableName: name,
          Item: { pk: { S: 'config#signing-key' }, v: { S: v } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put('first');
    const err = await failure(put('second'));
    expect(err).toMatchObject({
      name: 'ConditionalCheckFailedException',
      status: 400,
      message: 'The conditional request failed',
    });
    expect((await get(name, 'config#signing-key'))?.v).toEqual({ S: 'first' });
  });

  it('a race of conditional puts: exactly one of many wins', async () => {
    const name = await table();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        ddb.send(
          new PutItemCommand({
            TableName: name,
            Item: { pk: { S: 'claim#e1' }, who: { N: String(i) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(7);
    expect(rejected.every((r) => (r.reason as Error).name === 'ConditionalCheckFailedException')).toBe(true);
  });

  it("the counter store's claim: 'attribute_not_exists(pk) OR #ttl < :now' (numbers compare numerically)", async () => {
    const name = await table();
    const claim = (ttl: string, now: string) =>
      ddb.send(
        new PutItemCommand({
          TableName: name,
          Item: { pk: { S: 'claim#x' }, ttl: { N: ttl } },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: now } },
        }),
      );
    await claim('1000', '900');
    // 999 < 1000 numerically (as strings '999' > '1000'): still held.
    expect((await failure(claim('2000', '999'))).name).toBe('ConditionalCheckFailedException');
    // Expired: 1000 < 1001.
    await claim('2000', '1001');
    expect((await get(name, 'claim#x'))?.ttl).toEqual({ N: '2000' });
  });

  it("the dispatch gate: 'attribute_not_exists(pk) OR #ttl < :now OR execution = :name'", async () => {
    const name = await table();
    const open = (execution: string, now: string) =>
      ddb.send(
        new PutItemCommand({
          TableName: name,
          Item: { pk: { S: 'open#r|a|k' }, execution: { S: execution }, ttl: { N: '5000' } },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now OR execution = :name',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: now }, ':name': { S: execution } },
        }),
      );
    await open('e1', '1000');
    await open('e1', '1000'); // the same execution again (a redelivery)
    expect((await failure(open('e2', '1000'))).name).toBe('ConditionalCheckFailedException');
    await open('e2', '5001'); // the window has passed
  });

  it('comparators, AND/OR/NOT, parentheses, BETWEEN, IN and the functions', async () => {
    const name = await table();
    await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: {
          pk: { S: 'c' },
          n: { N: '10' },
          s: { S: 'banana' },
          tags: { SS: ['red', 'blue'] },
          xs: { L: [{ S: 'x' }] },
          m: { M: { deep: { N: '3' } } },
        },
      }),
    );
    const values = {
      ':9': { N: '9' },
      ':10': { N: '10.0' },
      ':11': { N: '11' },
      ':apple': { S: 'apple' },
      ':ban': { S: 'ban' },
      ':red': { S: 'red' },
      ':x': { S: 'x' },
      ':str': { S: 'S' },
      ':ss': { S: 'SS' },
    };
    const holds = async (expr: string): Promise<boolean> => {
      const used = Object.fromEntries(
        Object.entries(values).filter(([k]) => new RegExp(`${k}\\b`).test(expr)),
      );
      try {
        await ddb.send(
          new DeleteItemCommand({
            TableName: name,
            Key: { pk: { S: 'c' } },
            // `attribute_not_exists(pk)` keeps the item: the check runs, the delete never does.
            ConditionExpression: `(${expr}) AND attribute_not_exists(pk)`,
            ...(Object.keys(used).length ? { ExpressionAttributeValues: used } : {}),
          }),
        );
        throw new Error('unreachable: the item exists');
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
      // Now the same expression alone.
      try {
        await ddb.send(
          new UpdateItemCommand({
            TableName: name,
            Key: { pk: { S: 'c' } },
            UpdateExpression: 'SET probe = :x',
            ConditionExpression: expr,
            ExpressionAttributeValues: { ...used, ':x': { S: 'x' } },
          }),
        );
        return true;
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    };
    expect(await holds('n = :10')).toBe(true);
    expect(await holds('n <> :10')).toBe(false);
    expect(await holds('n > :9 AND n < :11')).toBe(true);
    expect(await holds('n >= :11 OR n <= :9')).toBe(false);
    expect(await holds('NOT n = :9')).toBe(true);
    expect(await holds('NOT (n = :10 OR s = :apple)')).toBe(false);
    expect(await holds('n = :9 OR n = :10 AND s = :apple')).toBe(false);
    expect(await holds('(n = :9 OR n = :10) AND s <> :apple')).toBe(true);
    expect(await holds('s > :apple')).toBe(true);
    expect(await holds('s < :apple')).toBe(false);
    // Different types never order.
    expect(await holds('s < :11 OR s > :11')).toBe(false);
    expect(await holds('absent < :11 OR absent = :11')).toBe(false);
    expect(await holds('absent <> :11')).toBe(true);
    expect(await holds('n BETWEEN :9 AND :11')).toBe(true);
    expect(await holds('n IN (:9, :11)')).toBe(false);
    expect(await holds('n IN (:9, :10)')).toBe(true);
    expect(await holds('begins_with(s, :ban)')).toBe(true);
    expect(await holds('contains(tags, :red) AND contains(xs, :x) AND contains(s, :ban)')).toBe(true);
    expect(
      await holds('attribute_type(s, :str) AND NOT attribute_type(tags, :str) AND attribute_type(tags, :ss)'),
    ).toBe(true);
    expect(await holds('size(s) > :9 OR size(tags) = :9')).toBe(false);
    expect(await holds('attribute_exists(m.deep) AND attribute_not_exists(m.shallow)')).toBe(true);
    // NOT binds tighter than AND, AND tighter than OR (Amazon DynamoDB Developer Guide, "Condition
    // and filter expressions, operators, and functions": precedence in conditions); the keywords in
    // any case.
    expect(await holds('NOT n = :9 AND n = :9')).toBe(false);
    expect(await holds('n = :10 or n = :10 and n = :9')).toBe(true);
    expect(await holds('n between :9 and :11 and not n in (:9, :11)')).toBe(true);
  });

  it('placeholders: undefined, unused and reserved words are ValidationException, as AWS says', async () => {
    const name = await table();
    const send = (input: Record<string, unknown>) =>
      failure(
        ddb.send(
          new PutItemCommand({ TableName: name, Item: { pk: { S: 'p' }, status: { S: 'x' } }, ...input }),
        ),
      );
    expect(
      await send({ ConditionExpression: '#st = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
    ).toMatchObject({
      name: 'ValidationException',
      message:
        'Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #st',
    });
    expect(await send({ ConditionExpression: 'a = :v' })).toMatchObject({
      name: 'ValidationException',
      message:
        'Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v',
    });
    expect(
      await send({
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':unused': { S: 'x' } },
      }),
    ).toMatchObject({
      name: 'ValidationException',
      message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}',
    });
    expect(
      await send({
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#n': 'n' },
      }),
    ).toMatchObject({
      message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}',
    });
    expect(
      await send({ ConditionExpression: 'status = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } }),
    ).toMatchObject({
      message: 'Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status',
    });
    expect((await send({ ConditionExpression: 'attribute_not_exists(pk' })).message).toMatch(
      /^Invalid ConditionExpression: Syntax error; token: <EOF>/,
    );
    expect((await send({ ConditionExpression: 'no_such_fn(pk)' })).message).toBe(
      'Invalid ConditionExpression: Invalid function name; function: no_such_fn',
    );
    // Function names are case-sensitive (same page of the Developer Guide).
    expect((await send({ ConditionExpression: 'ATTRIBUTE_EXISTS(pk)' })).message).toBe(
      'Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS',
    );
    expect(
      (await send({ ConditionExpression: 'pk < :set', ExpressionAttributeValues: { ':set': { SS: ['a'] } } }))
        .message,
    ).toContain('Incorrect operand type for operator or function; operator or function: <');
  });
});

describe('update expressions', () => {
  it("the approval store's claim and release, exactly as it sends them", async () => {
    const name = await table();
    await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'approval#abc' }, status: { S: 'PENDING' }, taskToken: { S: 't' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    const claim = (d: string) =>
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 'approval#abc' } },
          UpdateExpression: 'SET #st = :decided, decision = :d',
          ConditionExpression: 'attribute_exists(pk) AND #st = :pending',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: {
            ':decided': { S: 'DECIDED' },
            ':pending': { S: 'PENDING' },
            ':d': { S: d },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    const [a, b] = await Promise.allSettled([claim('{"approve":true}'), claim('{"approve":false}')]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      (won[0] as PromiseFulfilledResult<{ Attributes?: Record<string, unknown> }>).value.Attributes,
    ).toMatchObject({
      pk: { S: 'approval#abc' },
      status: { S: 'DECIDED' },
      taskToken: { S: 't' },
    });
    expect(((a.status === 'rejected' ? a : b) as PromiseRejectedResult).reason.name).toBe(
      'ConditionalCheckFailedException',
    );
    await ddb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: 'approval#abc' } },
        UpdateExpression: 'SET #st = :pending REMOVE decision',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
      }),
    );
    expect(await get(name, 'approval#abc')).toEqual({
      pk: { S: 'approval#abc' },
      status: { S: 'PENDING' },
      taskToken: { S: 't' },
    });
    // release of a missing approval: the condition fails, nothing is created.
    const missing = await failure(
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 'approval#none' } },
          UpdateExpression: 'SET #st = :pending REMOVE decision',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
        }),
      ),
    );
    expect(missing.name).toBe('ConditionalCheckFailedException');
    expect(await get(name, 'approval#none')).toBeUndefined();
  });

  it("the counter store's 'ADD n :by SET #ttl = :ttl' and 'ADD m :m SET #ttl = :ttl' (upserts)", async () => {
    const name = await table();
    const inc = (by: string) =>
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 'c#k#1' } },
          UpdateExpression: 'ADD n :by SET #ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':by': { N: by }, ':ttl': { N: '100' } },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
    expect((await inc('1')).Attributes).toEqual({ n: { N: '1' }, ttl: { N: '100' } });
    await Promise.all([inc('2'), inc('0.5'), inc('-0.25')]);
    expect((await get(name, 'c#k#1'))?.n).toEqual({ N: '3.25' });
    const add = (m: string) =>
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 's#k#1' } },
          UpdateExpression: 'ADD m :m SET #ttl = :ttl',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':m': { SS: [m] }, ':ttl': { N: '100' } },
        }),
      );
    await add('1.2.3.4');
    await add('5.6.7.8');
    await add('1.2.3.4');
    expect((await get(name, 's#k#1'))?.m?.SS?.sort()).toEqual(['1.2.3.4', '5.6.7.8']);
    // ADD to a string: the wrong type.
    const wrong = await failure(
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 's#k#1' } },
          UpdateExpression: 'ADD m :by',
          ExpressionAttributeValues: { ':by': { N: '1' } },
        }),
      ),
    );
    expect(wrong).toMatchObject({ name: 'ValidationException' });
    const addString = await failure(
      ddb.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: 's#k#1' } },
          UpdateExpression: 'ADD x :s',
          ExpressionAttributeValues: { ':s': { S: 'a' } },
        }),
      ),
    );
    expect(addString.message).toBe(
      'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING',
    );
  });

  it('DELETE from sets, if_not_exists, list_append, arithmetic, nested SET, ReturnValues', async () => {
    const name = await table();
    await ddb.send(
      new PutItemCommand({
        TableName: name,
        Item: {
          pk: { S: 'u' },
          tags: { SS: ['a', 'b'] },
          n: { N: '5' },
          l: { L: [{ N: '1' }] },
          m: { M: {} },
        },
      }),
    );
    const out = await ddb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: 'u' } },
        UpdateExpression:
          'SET seen = if_not_exists(seen, :now), n = n + :two, l = list_append(l, :more), m.core = :now DELETE tags :a',
        ExpressionAttributeValues: {
          ':now': { S: 't1' },
          ':two': { N: '2' },
          ':more': { L: [{ N: '2' }] },
          ':a': { SS: ['a'] },
        },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    expect(out.Attributes).toEqual({
      tags: { SS: ['a', 'b'] },
      n: { N: '5' },
      l: { L: [{ N: '1' }] },
      m: { M: {} },
    });
    const again = await ddb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'SET seen = if_not_exists(seen, :later) DELETE tags :b',
        ExpressionAttributeValues: { ':later': { S: 't2' }, ':b': { SS: ['b'] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(again.Attributes).toEqual({
      pk: { S: 'u' },
      seen: { S: 't1' },
      n: { N: '7' },
      l: { L: [{ N: '1' }, { N: '2' }] },
      m: { M: { core: { S: 't1' } } },
    });
    const old = await ddb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: 'u' } },
        UpdateExpression: 'REMOVE seen',
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(old.Attributes?.seen).toEqual({ S: 't1' });
    const none = await ddb.send(
      new UpdateItemCommand({ TableName: name, Key: { pk: { S: 'u' } }, UpdateExpression: 'REMOVE seen' }),
    );
    expect(none.Attributes).toBeUndefined();
  });

  it('refuses key updates, overlapping paths, repeated clauses and nested paths without a parent', async () => {
    const name = await table();
    const upd = (UpdateExpression: string, values?: Record<string, { S: string }>) =>
      failure(
        ddb.send(
          new UpdateItemCommand({
            TableName: name,
            Key: { pk: { S: 'k' } },
            UpdateExpression,
            ...(values ? { ExpressionAttributeValues: values } : {}),
          }),
        ),
      );
    expect((await upd('SET pk = :v', { ':v': { S: 'x' } })).message).toBe(
      'One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key',
    );
    expect((await upd('SET a = :v REMOVE a', { ':v': { S: 'x' } })).message).toContain(
      'Two document paths overlap with each other',
    );
    expect((await upd('SET a = :v SET b = :v', { ':v': { S: 'x' } })).message).toBe(
      'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;',
    );
    expect((await upd('SET a.b = :v', { ':v': { S: 'x' } })).message).toBe(
      'The document path provided in the update expression is invalid for update',
    );
    expect((await upd('SET a = :missing')).message).toBe(
      'Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :missing',
    );
    expect(await get(name, 'k')).toBeUndefined();
  });

  it('list indexes name the list as it was before the update (Developer Guide, "Using update expressions")', async () => {
    const name = await table();
    const xs = (...v: string[]) => ({ L: v.map((S) => ({ S })) });
    await ddb.send(
      new PutItemCommand({ TableName: name, Item: { pk: { S: 'l' }, xs: xs('0', '1', '2', '3') } }),
    );
    const update = async (UpdateExpression: string, values?: Record<string, AttributeValue>) =>
      (
        await ddb.send(
          new UpdateItemCommand({
            TableName: name,
            Key: { pk: { S: 'l' } },
            UpdateExpression,
            ...(values ? { ExpressionAttributeValues: values } : {}),
            ReturnValues: 'ALL_NEW',
          }),
        )
      ).Attributes?.xs;
    // The second and third elements of the list, not the second of the list and the third of the
    // list the first removal left.
    expect(await update('REMOVE xs[1], xs[2]')).toEqual(xs('0', '3'));
    // A SET beyond the end appends; several are appended in the order of their index, whatever the
    // order written (moto applies them in the order written: AWS's documentation wins).
    expect(await update('SET xs[11] = :b, xs[10] = :a', { ':a': { S: 'a' }, ':b': { S: 'b' } })).toEqual(
      xs('0', '3', 'a', 'b'),
    );
    // A SET within the list replaces the element.
    expect(await update('SET xs[0] = :z', { ':z': { S: 'z' } })).toEqual(xs('z', '3', 'a', 'b'));
  });
});

describe('BatchGetItem and Scan', () => {
  it("the counter store's BatchGetItem: found items only, UnprocessedKeys empty, limits", async () => {
    const name = await table();
    for (const b of [1, 3]) {
      await ddb.send(
        new PutItemCommand({ TableName: name, Item: { pk: { S: `c#k#${b}` }, n: { N: String(b) } } }),
      );
    }
    const out = await ddb.send(
      new BatchGetItemCommand({
        RequestItems: {
          [name]: { Keys: [1, 2, 3].map((b) => ({ pk: { S: `c#k#${b}` } })), ConsistentRead: true },
        },
      }),
    );
    expect(out.Responses?.[name]?.map((i) => i.n?.N).sort()).toEqual(['1', '3']);
    expect(out.UnprocessedKeys).toEqual({});
    const tooMany = await failure(
      ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [name]: { Keys: Array.from({ length: 101 }, (_, i) => ({ pk: { S: `k${i}` } })) } },
        }),
      ),
    );
    expect(tooMany).toMatchObject({
      name: 'ValidationException',
      message: 'Too many items requested for the BatchGetItem call',
    });
    const dup = await failure(
      ddb.send(
        new BatchGetItemCommand({
          RequestItems: { [name]: { Keys: [{ pk: { S: 'a' } }, { pk: { S: 'a' } }] } },
        }),
      ),
    );
    expect(dup.message).toBe('Provided list of item keys contains duplicates');
    expect(
      (
        await failure(
          ddb.send(new BatchGetItemCommand({ RequestItems: { nothere: { Keys: [{ pk: { S: 'a' } }] } } })),
        )
      ).name,
    ).toBe('ResourceNotFoundException');
  });

  it('Scan: filter, projection, pages with Limit and ExclusiveStartKey', async () => {
    const name = await table();
    for (let i = 0; i < 5; i++) {
      await ddb.send(
        new PutItemCommand({ TableName: name, Item: { pk: { S: `p${i}` }, n: { N: String(i) } } }),
      );
    }
    const filtered = await ddb.send(
      new ScanCommand({
        TableName: name,
        FilterExpression: 'n >= :two',
        ProjectionExpression: 'pk',
        ExpressionAttributeValues: { ':two': { N: '2' } },
      }),
    );
    expect(filtered.Items?.map((i) => i.pk?.S).sort()).toEqual(['p2', 'p3', 'p4']);
    expect(filtered.Items?.every((i) => Object.keys(i).length === 1)).toBe(true);
    expect(filtered.ScannedCount).toBe(5);
    const seen: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    let pages = 0;
    do {
      const page = await ddb.send(new ScanCommand({ TableName: name, Limit: 2, ExclusiveStartKey: start }));
      pages++;
      seen.push(...(page.Items ?? []).map((i) => i.pk?.S ?? ''));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(seen.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(pages).toBe(3);
  });
});
