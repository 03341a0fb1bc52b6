/**
 * `CounterStore` (src/detect/stateful) on DynamoDB, for the stateful-rule consumer: one item per
 * key and bucket (`c#…` counters with ADD, `s#…` string sets), `claim#…` items for one alert per
 * window and one count per delivered event, all with a TTL attribute so DynamoDB sweeps them.
 * Reads ignore items whose TTL has passed (DynamoDB deletes expired items lazily).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { CounterStore } from '../detect/stateful';

const ttlOf = (ms: number) => String(Math.ceil(ms / 1000));

export class DynamoCounterStore implements CounterStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async increment(key: string, bucket: number, by: number, expiresAtMs: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `c#${key}#${bucket}` } },
        UpdateExpression: 'ADD n :by SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':by': { N: String(by) }, ':ttl': { N: ttlOf(expiresAtMs) } },
      }),
    );
  }

  async addMember(key: string, bucket: number, member: string, expiresAtMs: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `s#${key}#${bucket}` } },
        UpdateExpression: 'ADD m :m SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':m': { SS: [member] }, ':ttl': { N: ttlOf(expiresAtMs) } },
      }),
    );
  }

  private async items(
    prefix: string,
    key: string,
    from: number,
    to: number,
  ): Promise<Record<string, AttributeValue>[]> {
    const keys: Record<string, AttributeValue>[] = [];
    for (let b = from; b <= to; b++) keys.push({ pk: { S: `${prefix}#${key}#${b}` } });
    const out: Record<string, AttributeValue>[] = [];
    const nowS = this.now() / 1000;
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = keys.slice(i, i + 100);
      for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
        const res = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        out.push(...(res.Responses?.[this.tableName] ?? []));
        pending = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, AttributeValue>[];
      }
      if (pending.length > 0) throw new Error('counter store: BatchGetItem left keys unprocessed');
    }
    return out.filter((it) => Number(it['ttl']?.N ?? Number.POSITIVE_INFINITY) > nowS);
  }

  private static bucketOf(item: Record<string, AttributeValue>): number {
    const pk = item['pk']?.S ?? '';
    return Number(pk.slice(pk.lastIndexOf('#') + 1));
  }

  async counts(key: string, from: number, to: number): Promise<[number, number][]> {
    return (await this.items('c', key, from, to))
      .map((it): [number, number] => [DynamoCounterStore.bucketOf(it), Number(it['n']?.N ?? 0)])
      .filter(([, n]) => n > 0)
      .sort((a, b) => a[0] - b[0]);
  }

  async members(key: string, from: number, to: number): Promise<[number, string[]][]> {
    return (await this.items('s', key, from, to))
      .map((it): [number, string[]] => [DynamoCounterStore.bucketOf(it), [...(it['m']?.SS ?? [])].sort()])
      .filter(([, m]) => m.length > 0)
      .sort((a, b) => a[0] - b[0]);
  }

  async claim(id: string, expiresAtMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { pk: { S: `claim#${id}` }, ttl: { N: ttlOf(expiresAtMs) } },
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: ttlOf(this.now()) } },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
