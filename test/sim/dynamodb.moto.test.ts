/**
 * Cross-check (skips without python3 + moto): the same DynamoDB requests against bks-sim and
 * moto_server, compared call by call (the returned item or attributes, or the error name). moto is
 * an independent implementation of the same API; where both agree, the simulator's semantics are
 * not just its author's reading of the documentation.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHandle, startSim } from '../../sim/server';
import { type Moto, startMoto } from '../helpers/moto';
import { skipWithout, TOOLS } from '../helpers/tools';

type Step = PutItemCommand | UpdateItemCommand | DeleteItemCommand | GetItemCommand;
const T = 'xcheck';
const key = (pk: string) => ({ pk: { S: pk } });
const put = (pk: string, item: Record<string, AttributeValue>, extra: Record<string, unknown> = {}) =>
  new PutItemCommand({ TableName: T, Item: { ...key(pk), ...item }, ...extra });
const upd = (pk: string, extra: Record<string, unknown>) =>
  new UpdateItemCommand({ TableName: T, Key: key(pk), ReturnValues: 'ALL_NEW', ...extra } as never);
const getItem = (pk: string) => new GetItemCommand({ TableName: T, Key: key(pk), ConsistentRead: true });

/** Steps run in order on a fresh table; every outcome is compared. */
const STEPS: Step[] = [
  put('a', { n: { N: '10' }, s: { S: 'banana' }, st: { S: 'PENDING' } }),
  put('a', {}, { ConditionExpression: 'attribute_not_exists(pk)' }),
  put('b', { ttl: { N: '1000' } }, { ConditionExpression: 'attribute_not_exists(pk)' }),
  put(
    'b',
    { ttl: { N: '2000' } },
    {
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: '999' } },
    },
  ),
  put(
    'b',
    { ttl: { N: '2000' } },
    {
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: '1001' } },
    },
  ),
  put(
    'g',
    { execution: { S: 'e1' }, ttl: { N: '50' } },
    {
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now OR execution = :name',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: '10' }, ':name': { S: 'e1' } },
    },
  ),
  put(
    'g',
    { execution: { S: 'e2' }, ttl: { N: '50' } },
    {
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now OR execution = :name',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':now': { N: '10' }, ':name': { S: 'e2' } },
    },
  ),
  put('a', { n: { N: '1' } }, { ReturnValues: 'ALL_OLD' }),
  upd('a', {
    UpdateExpression: 'SET #st = :decided, decision = :d',
    ConditionExpression: 'attribute_exists(pk) AND #st = :pending',
    ExpressionAttributeNames: { '#st': 'st' },
    ExpressionAttributeValues: {
      ':decided': { S: 'DECIDED' },
      ':pending': { S: 'PENDING' },
      ':d': { S: '{}' },
    },
  }),
  put('p', { st: { S: 'PENDING' } }),
  upd('p', {
    UpdateExpression: 'SET #st = :decided, decision = :d',
    ConditionExpression: 'attribute_exists(pk) AND #st = :pending',
    ExpressionAttributeNames: { '#st': 'st' },
    ExpressionAttributeValues: {
      ':decided': { S: 'DECIDED' },
      ':pending': { S: 'PENDING' },
      ':d': { S: '{}' },
    },
  }),
  upd('p', {
    UpdateExpression: 'SET #st = :pending REMOVE decision',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#st': 'st' },
    ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
  }),
  upd('missing', {
    UpdateExpression: 'SET #st = :pending REMOVE decision',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: { '#st': 'st' },
    ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
  }),
  getItem('missing'),
  upd('c', {
    UpdateExpression: 'ADD n :by SET #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':by': { N: '2.5' }, ':ttl': { N: '100' } },
  }),
  upd('c', {
    UpdateExpression: 'ADD n :by SET #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':by': { N: '-0.5' }, ':ttl': { N: '200' } },
  }),
  upd('s', {
    UpdateExpression: 'ADD m :m SET #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':m': { SS: ['x'] }, ':ttl': { N: '100' } },
  }),
  upd('s', {
    UpdateExpression: 'ADD m :m SET #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':m': { SS: ['x', 'y'] }, ':ttl': { N: '100' } },
  }),
  upd('s', { UpdateExpression: 'DELETE m :m', ExpressionAttributeValues: { ':m': { SS: ['x', 'y'] } } }),
  upd('s', { UpdateExpression: 'ADD m :m', ExpressionAttributeValues: { ':m': { S: 'x' } } }),
  upd('c', { UpdateExpression: 'SET pk = :v', ExpressionAttributeValues: { ':v': { S: 'z' } } }),
  upd('c', {
    UpdateExpression: 'SET v = if_not_exists(v, :a)',
    ExpressionAttributeValues: { ':a': { N: '1' } },
  }),
  upd('c', {
    UpdateExpression: 'SET v = if_not_exists(v, :a)',
    ExpressionAttributeValues: { ':a': { N: '2' } },
  }),
  upd('c', { UpdateExpression: 'SET v = v + :a', ExpressionAttributeValues: { ':a': { N: '2' } } }),
  upd('c', {
    UpdateExpression: 'SET w = :a',
    ExpressionAttributeValues: { ':a': { S: 'x' }, ':unused': { S: 'y' } },
  }),
  upd('c', { UpdateExpression: 'SET w = :nope', ExpressionAttributeValues: { ':a': { S: 'x' } } }),
  upd('c', { UpdateExpression: 'SET #w = :a', ExpressionAttributeValues: { ':a': { S: 'x' } } }),
  upd('c', {
    UpdateExpression: 'SET w = :a',
    ConditionExpression: 'n > :a',
    ExpressionAttributeValues: { ':a': { S: 'x' } },
  }),
  upd('c', {
    UpdateExpression: 'SET w = :a',
    ConditionExpression: 'n BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':a': { S: 'x' }, ':lo': { N: '1' }, ':hi': { N: '3' } },
  }),
  upd('c', {
    UpdateExpression: 'SET w = :a',
    ConditionExpression: 'NOT (n IN (:lo, :hi))',
    ExpressionAttributeValues: { ':a': { S: 'y' }, ':lo': { N: '1' }, ':hi': { N: '2' } },
  }),
  upd('a', {
    UpdateExpression: 'SET w = :a',
    ConditionExpression: 'begins_with(s, :b) AND size(s) = :six',
    ExpressionAttributeValues: { ':a': { S: 'x' }, ':b': { S: 'ban' }, ':six': { N: '6' } },
  }),
  upd('a', {
    UpdateExpression: 'SET w = :a',
    ConditionExpression: 'absent <> :a',
    ExpressionAttributeValues: { ':a': { S: 'q' } },
  }),
  // List indexes name the elements of the list as it was before the update (Amazon DynamoDB
  // Developer Guide, "Using update expressions"): REMOVE of two elements, SET beyond the end.
  put('l', {
    xs: { L: ['0', '1', '2', '3'].map((S) => ({ S })) },
    m: { M: { deep: { N: '3' }, o: { S: 'o' } } },
  }),
  upd('l', { UpdateExpression: 'REMOVE xs[1], xs[2]' }),
  upd('l', {
    // In index order: moto applies the SETs in the order written, AWS in the order of the indexes
    // (dynamodb.test.ts checks the other order by the Developer Guide's words).
    UpdateExpression: 'SET xs[10] = :a, xs[11] = :b',
    ExpressionAttributeValues: { ':a': { S: 'a' }, ':b': { S: 'b' } },
  }),
  new GetItemCommand({
    TableName: T,
    Key: key('l'),
    ProjectionExpression: 'm.deep, xs[1]',
    ConsistentRead: true,
  }),
  // Precedence ("Condition and filter expressions, operators, and functions"): NOT, then AND, then OR;
  // the keywords in any case.
  ...[
    'NOT attribute_exists(nope) AND attribute_exists(nope)',
    'attribute_exists(xs) OR attribute_exists(xs) AND attribute_exists(nope)',
    '(attribute_exists(xs) OR attribute_exists(xs)) AND attribute_exists(nope)',
    'attribute_exists(xs) and not attribute_exists(nope)',
  ].map((ConditionExpression) =>
    upd('l', {
      UpdateExpression: 'SET w = :a',
      ConditionExpression,
      ExpressionAttributeValues: { ':a': { S: 'x' } },
    }),
  ),
  new DeleteItemCommand({ TableName: T, Key: key('a'), ConditionExpression: 'attribute_not_exists(s)' }),
  new DeleteItemCommand({ TableName: T, Key: key('a'), ReturnValues: 'ALL_OLD' }),
  getItem('a'),
  getItem('c'),
  // Not cross-checked: a key of the wrong type (AWS: ValidationException "The provided key element
  // does not match the schema"; moto answers an empty result). dynamodb.test.ts checks it.
  new GetItemCommand({ TableName: 'no-such-table', Key: key('a') }),
];

async function outcomes(client: DynamoDBClient): Promise<unknown[]> {
  await client.send(
    new CreateTableCommand({
      TableName: T,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const out: unknown[] = [];
  for (const step of STEPS) {
    try {
      const r = (await client.send(step as never)) as { Item?: unknown; Attributes?: unknown };
      // Sets are unordered; moto keeps a number's written form ("2.0") where AWS answers the
      // canonical one ("2"): compare numbers by value.
      const canonical = (v: unknown): unknown =>
        JSON.parse(JSON.stringify(v ?? null), (k, x) =>
          k === 'N' && typeof x === 'string'
            ? String(Number(x))
            : Array.isArray(x) && x.every((m) => typeof m === 'string')
              ? [...x].sort()
              : x,
        );
      out.push({ ok: canonical(r.Item ?? r.Attributes) });
    } catch (err) {
      out.push({ error: (err as Error).name });
    }
  }
  return out;
}

describe.skipIf(skipWithout(TOOLS.motoServer))('bks-sim DynamoDB agrees with moto', () => {
  let moto: Moto;
  let sim: SimHandle;
  const clients: DynamoDBClient[] = [];
  const client = (endpoint: string) => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAXCHECK', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [moto, sim] = await Promise.all([
      startMoto(),
      startSim({ scenario: { accounts: [{ id: '123456789012' }] } }),
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.destroy();
    moto?.stop();
    await sim?.close();
  });

  it('same outcome for every step', async () => {
    const [ours, theirs] = await Promise.all([outcomes(client(sim.url)), outcomes(client(moto.url))]);
    // Where moto's answer is not even a parseable AWS error (the SDK reports a SyntaxError: moto
    // failed on the request), moto is no oracle; dynamodb.test.ts checks those cases by AWS's words.
    const motoFailed = STEPS.map((_, i) => i).filter(
      (i) => (theirs[i] as { error?: string }).error === 'SyntaxError',
    );
    expect(motoFailed.length).toBeLessThanOrEqual(3);
    STEPS.forEach((s, i) => {
      if (motoFailed.includes(i)) return;
      expect({ step: i, input: s.input, out: ours[i] }).toEqual({ step: i, input: s.input, out: theirs[i] });
    });
  }, 60_000);
});
