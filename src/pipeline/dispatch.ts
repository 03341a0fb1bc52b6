/**
 * Dispatch: one workflow per detection match, and at most one per rule and key within a window.
 * The execution name comes from the CloudTrail event id (a redelivered event starts nothing new);
 * the gate keeps a busy key (a bearer token called a thousand times an hour) from starting a
 * thousand workflows and a thousand approval requests: the first match opens the incident, later
 * matches on the same rule and key within the window are counted by the stateful rules instead.
 * Input that does not normalize is never gated: the workflow itself sends it to the DLQ.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { targetResource } from './finding';
import { executionNameFor, normalize } from './incident';

/** The rule and key an input is about (`<rule>|<account>|<key or user id>`), or undefined if malformed. */
export function dispatchKey(input: unknown): string | undefined {
  try {
    const incident = normalize(input);
    return `${incident.ruleId}|${incident.account}|${targetResource(incident).id}`;
  } catch {
    return undefined;
  }
}

export interface DispatchGate {
  /** True when `name` may start: no other execution holds `key`, or `name` itself holds it. */
  open(key: string, name: string, untilMs: number, nowMs: number): Promise<boolean>;
}

export interface DispatchDecision {
  name: string;
  start: boolean;
  key?: string;
}

export async function decideDispatch(
  input: unknown,
  gate: DispatchGate,
  windowSeconds: number,
  nowMs: number = Date.now(),
): Promise<DispatchDecision> {
  const name = executionNameFor(input);
  const key = dispatchKey(input);
  if (!key || windowSeconds <= 0) return { name, start: true };
  const start = await gate.open(key, name, nowMs + windowSeconds * 1000, nowMs);
  return { name, start, key };
}

/** The gate on the counter table: a conditional put, so concurrent matches open one incident. */
export class DynamoDispatchGate implements DispatchGate {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async open(key: string, name: string, untilMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: { S: `open#${key}` },
            execution: { S: name },
            ttl: { N: String(Math.ceil(untilMs / 1000)) },
          },
          // Free, expired, or held by this very execution (a redelivery after a failed start).
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now OR execution = :name',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':now': { N: String(Math.floor(nowMs / 1000)) },
            ':name': { S: name },
          },
        }),
      );
      return true;
    } catch (err) {
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      throw err;
    }
  }
}

/** In-memory gate with the same semantics (tests, local runs). */
export class MemoryDispatchGate implements DispatchGate {
  readonly held = new Map<string, { name: string; until: number }>();
  async open(key: string, name: string, untilMs: number, nowMs: number): Promise<boolean> {
    const h = this.held.get(key);
    if (h && h.until >= nowMs && h.name !== name) return false;
    this.held.set(key, { name, until: untilMs });
    return true;
  }
}
