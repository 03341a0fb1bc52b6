/**
 * `ApprovalStore` on one DynamoDB table (partition key `pk`, TTL attribute `ttl`, encrypted at
 * rest). Items: `approval#<random id>` (the task token and the decision), `incident#<sha256 of the
 * incident id>` (the one request of an incident and the run that made it), `finding#<sha256 of the
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
  OpenedApproval,
} from './approval';

/** Items outlive their link by a day, then DynamoDB's TTL sweeps them. */
const TTL_MARGIN_S = 86_400;

function findingKey(findingId: string): string {
  return `finding#${createHash('sha256').update(findingId).digest('hex')}`;
}

function incidentKey(incidentId: string): string {
  return `incident#${createHash('sha256').update(incidentId).digest('hex')}`;
}

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as Error).name === 'ConditionalCheckFailedException'
  );
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

  /**
   * One request per incident: a conditional put of `incident#<sha256 of the incident id>` decides
   * which run asks (DynamoDB serializes conditional writes to one item, so of any number of
   * concurrent runs exactly one succeeds). The approval item is written after it; a run that finds
   * the incident item but not yet the approval is still a duplicate (the winner is writing it).
   */
  async open(r: ApprovalRecord, execution?: string): Promise<OpenedApproval> {
    const ttl = { N: String(r.expiresAt + TTL_MARGIN_S) };
    const incident = { pk: { S: incidentKey(r.incidentId) } };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...incident,
            approvalId: { S: r.id },
            taskToken: { S: r.taskToken },
            ...(execution ? { execution: { S: execution } } : {}),
            ttl,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return this.joinExisting(r, execution);
    }
    await this.putApproval(r, ttl);
    return { status: 'created', id: r.id, expiresAt: r.expiresAt };
  }

  /** The incident already has a request: this run made it (a retry) or it is a duplicate. */
  private async joinExisting(r: ApprovalRecord, execution?: string): Promise<OpenedApproval> {
    const held = (
      await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: incidentKey(r.incidentId) } },
          ConsistentRead: true,
        }),
      )
    ).Item;
    if (!held) throw new Error('approval store: the incident item vanished while being read (TTL): retry');
    const id = s(held, 'approvalId');
    const existing = await this.get(id);
    const expiresAt = existing?.expiresAt ?? r.expiresAt;
    const sameRun =
      s(held, 'taskToken') === r.taskToken || (!!execution && s(held, 'execution') === execution);
    if (!sameRun || existing?.status === 'DECIDED') return { status: 'duplicate', id, expiresAt };
    // The run that asked, retried with a new task token: the pending approval resumes this one.
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: incidentKey(r.incidentId) } },
        UpdateExpression: 'SET taskToken = :t',
        ExpressionAttributeValues: { ':t': { S: r.taskToken } },
      }),
    );
    if (!existing) {
      await this.putApproval({ ...r, id }, { N: String(r.expiresAt + TTL_MARGIN_S) });
    } else if (existing.taskToken !== r.taskToken) {
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { pk: { S: `approval#${id}` } },
            UpdateExpression: 'SET taskToken = :t',
            ConditionExpression: 'attribute_exists(pk) AND #st = :pending',
            ExpressionAttributeNames: { '#st': 'status' },
            ExpressionAttributeValues: { ':t': { S: r.taskToken }, ':pending': { S: 'PENDING' } },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        return { status: 'duplicate', id, expiresAt };
      }
    }
    return { status: 'resumed', id, expiresAt };
  }

  private async putApproval(r: ApprovalRecord, ttl: AttributeValue): Promise<void> {
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
      if (isConditionFailure(err)) return undefined;
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
