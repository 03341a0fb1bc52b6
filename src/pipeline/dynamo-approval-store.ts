/**
 * `ApprovalStore` on one DynamoDB table (partition key `pk`, TTL attribute `ttl`, encrypted at
 * rest). Items: `approval#<random id>` (the task token and the decision), `finding#<sha256 of the
 * finding id>` (which approval a Security Hub custom action resumes) and `config#signing-key`
 * (the link-signing key, created on first use with a conditional put).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  ApprovalDecision,
  ApprovalRecord,
  ApprovalResult,
  ApprovalStore,
  CredentialChoice,
} from './approval';

/** Items outlive their link by a day, then DynamoDB's TTL sweeps them. */
const TTL_MARGIN_S = 86_400;

function findingKey(findingId: string): string {
  return `finding#${createHash('sha256').update(findingId).digest('hex')}`;
}

function s(item: Record<string, AttributeValue>, name: string): string {
  const v = item[name];
  return v && 'S' in v && v.S !== undefined ? v.S : '';
}

export class DynamoApprovalStore implements ApprovalStore {
  private cachedKey: Buffer | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(r: ApprovalRecord): Promise<void> {
    const ttl = { N: String(r.expiresAt + TTL_MARGIN_S) };
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: `approval#${r.id}` },
          taskToken: { S: r.taskToken },
          incidentId: { S: r.incidentId },
          findingId: { S: r.findingId },
          title: { S: r.title },
          summary: { S: r.summary },
          createdAt: { S: r.createdAt },
          expiresAt: { N: String(r.expiresAt) },
          status: { S: r.status },
          ...(r.userName ? { userName: { S: r.userName } } : {}),
          ...(r.credentials ? { credentials: { S: JSON.stringify(r.credentials) } } : {}),
          ...(r.incident ? { incident: { S: JSON.stringify(r.incident) } } : {}),
          ...(r.context ? { context: { S: JSON.stringify(r.context) } } : {}),
          ttl,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { pk: { S: findingKey(r.findingId) }, approvalId: { S: r.id }, ttl },
      }),
    );
  }

  private toRecord(id: string, item: Record<string, AttributeValue>): ApprovalRecord {
    const decision = s(item, 'decision');
    const userName = s(item, 'userName');
    const credentials = s(item, 'credentials');
    const json = <T>(name: string): T | undefined => {
      const v = s(item, name);
      return v ? (JSON.parse(v) as T) : undefined;
    };
    const incident = json<ApprovalRecord['incident']>('incident');
    const context = json<ApprovalRecord['context']>('context');
    const result = json<ApprovalRecord['result']>('result');
    return {
      id,
      taskToken: s(item, 'taskToken'),
      incidentId: s(item, 'incidentId'),
      findingId: s(item, 'findingId'),
      title: s(item, 'title'),
      summary: s(item, 'summary'),
      createdAt: s(item, 'createdAt'),
      expiresAt: Number(item['expiresAt']?.N ?? 0),
      status: s(item, 'status') === 'PENDING' ? 'PENDING' : 'DECIDED',
      ...(decision ? { decision: JSON.parse(decision) as ApprovalDecision } : {}),
      ...(userName ? { userName } : {}),
      ...(credentials ? { credentials: JSON.parse(credentials) as CredentialChoice[] } : {}),
      ...(incident ? { incident } : {}),
      ...(context ? { context } : {}),
      ...(result ? { result } : {}),
    };
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `approval#${id}` } },
        ConsistentRead: true,
      }),
    );
    return out.Item ? this.toRecord(id, out.Item) : undefined;
  }

  async claim(id: string, decision: ApprovalDecision): Promise<ApprovalRecord | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: `approval#${id}` } },
          UpdateExpression: 'SET #st = :decided, decision = :d',
          ConditionExpression: 'attribute_exists(pk) AND #st = :pending',
          ExpressionAttributeNames: { '#st': 'status' },
          ExpressionAttributeValues: {
            ':decided': { S: 'DECIDED' },
            ':pending': { S: 'PENDING' },
            ':d': { S: JSON.stringify(decision) },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? this.toRecord(id, out.Attributes) : undefined;
    } catch (err) {
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      ) {
        return undefined;
      }
      throw err;
    }
  }

  async release(id: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `approval#${id}` } },
        UpdateExpression: 'SET #st = :pending REMOVE decision',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#st': 'status' },
        ExpressionAttributeValues: { ':pending': { S: 'PENDING' } },
      }),
    );
  }

  async recordResult(id: string, result: ApprovalResult): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `approval#${id}` } },
        UpdateExpression: 'SET #r = :r',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#r': 'result' },
        ExpressionAttributeValues: { ':r': { S: JSON.stringify(result) } },
      }),
    );
  }

  async approvalIdForFinding(findingId: string): Promise<string | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: findingKey(findingId) } },
        ConsistentRead: true,
      }),
    );
    const id = out.Item ? s(out.Item, 'approvalId') : '';
    return id || undefined;
  }

  async signingKey(): Promise<Buffer> {
    if (this.cachedKey) return this.cachedKey;
    const key = { pk: { S: 'config#signing-key' } };
    const read = async () =>
      (
        await this.client.send(
          new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
        )
      ).Item?.['secret']?.B;
    let bytes = await read();
    if (!bytes) {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { ...key, secret: { B: randomBytes(32) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
      bytes = await read();
    }
    if (!bytes) throw new Error('approval store: the signing key could not be read');
    this.cachedKey = Buffer.from(bytes);
    return this.cachedKey;
  }
}
