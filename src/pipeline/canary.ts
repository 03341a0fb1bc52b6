/**
 * `bks selftest` canaries, as the pipeline recognizes them. A canary is NOT recognized by its name
 * alone (anyone who can create a user can pick `BedrockAPIKey-bks-canary-…`): `bks selftest` first
 * records its run id in the pipeline's own approval table (`canary#<runId>`, written only by a
 * principal allowed to write that table), then creates the user `BedrockAPIKey-bks-canary-<runId>`.
 * An incident is a canary only when its user carries that name AND the record exists, names the same
 * account and user, was written before the event, and has not expired nor been closed before the
 * event (selftest closes it once its canary is gone). Then the workflow resolves the
 * finding itself: nobody is paged and nothing is revoked. Any doubt (no record, a mismatch, the
 * table unreadable) means an ordinary incident: a canary can never hide an attack.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Incident } from './incident';

export const CANARY_USER_PREFIX = 'BedrockAPIKey-bks-canary-';
/** Run ids: 10 lower-case letters and digits. */
export const CANARY_RUN_ID_RE: RegExp = /^[a-z0-9]{10}$/;
const CANARY_USER_RE = /^BedrockAPIKey-bks-canary-([a-z0-9]{10})$/;
/** How long a canary record is honoured (and its DynamoDB TTL). */
export const CANARY_RECORD_TTL_SECONDS = 86_400;
/** Clock skew allowed between the recorder and CloudTrail's event time. */
const SKEW_MS = 60_000;

export function canaryUserName(runId: string): string {
  return `${CANARY_USER_PREFIX}${runId}`;
}

export function canaryItemKey(runId: string): string {
  return `canary#${runId}`;
}

/** The run id a canary user name carries, or undefined for any other name. */
export function canaryRunIdOf(userName: string | undefined): string | undefined {
  return userName ? CANARY_USER_RE.exec(userName)?.[1] : undefined;
}

/** The record `bks selftest` writes in the approval table before it acts. */
export interface CanaryRecord {
  runId: string;
  account: string;
  userName: string;
  /** When the record was written (ISO 8601): events before it are not the canary's. */
  createdAt: string;
  /** Who wrote it (the caller's ARN), for the finding note. */
  createdBy: string;
  /** Epoch seconds: DynamoDB's TTL attribute and the end of the record's validity. */
  ttl: number;
  /**
   * When the run removed its canary (ISO 8601): events after it are not the canary's (a user
   * created later under the same name is an ordinary user).
   */
  closedAt?: string;
}

/** The DynamoDB item of a canary record (the approval table's key is `pk`). */
export function canaryItem(r: CanaryRecord): Record<string, { S: string } | { N: string }> {
  return {
    pk: { S: canaryItemKey(r.runId) },
    kind: { S: 'selftest-canary' },
    runId: { S: r.runId },
    account: { S: r.account },
    userName: { S: r.userName },
    createdAt: { S: r.createdAt },
    createdBy: { S: r.createdBy },
    ttl: { N: String(r.ttl) },
  };
}

function parseItem(item: Record<string, { S?: string; N?: string }> | undefined): CanaryRecord | undefined {
  if (item?.['kind']?.S !== 'selftest-canary') return undefined;
  const s = (k: string) => item[k]?.S;
  const ttl = Number(item['ttl']?.N);
  const [runId, account, userName, createdAt, createdBy] = [
    s('runId'),
    s('account'),
    s('userName'),
    s('createdAt'),
    s('createdBy'),
  ];
  if (!runId || !account || !userName || !createdAt || !Number.isFinite(ttl)) return undefined;
  const closedAt = s('closedAt');
  return {
    runId,
    account,
    userName,
    createdAt,
    createdBy: createdBy ?? 'unknown',
    ttl,
    ...(closedAt ? { closedAt } : {}),
  };
}

/** The incident's user: the key's owner (target), else the acting IAM user. */
function userOf(incident: Incident): string | undefined {
  const t = incident.target;
  return 'userName' in t ? t.userName : incident.principal.userName;
}

export type CanaryVerdict = { canary: true; record: CanaryRecord } | { canary: false; reason: string };

/** Reads a canary record by run id (consistent read; undefined when absent). */
export type CanaryLookup = (runId: string) => Promise<CanaryRecord | undefined>;

export function dynamoCanaryLookup(client: DynamoDBClient, tableName: string): CanaryLookup {
  return async (runId) => {
    const out = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: canaryItemKey(runId) } },
        ConsistentRead: true,
      }),
    );
    return parseItem(out.Item as Record<string, { S?: string; N?: string }> | undefined);
  };
}

/**
 * Whether an incident is a recorded `bks selftest` canary. Never throws: a lookup that fails is
 * "not a canary" (with the reason), so the incident takes the ordinary path.
 */
export async function recognizeCanary(
  incident: Incident,
  lookup: CanaryLookup | undefined,
  now: Date = new Date(),
): Promise<CanaryVerdict> {
  const userName = userOf(incident);
  const runId = canaryRunIdOf(userName);
  if (!runId) return { canary: false, reason: 'not a canary user name' };
  if (!lookup) return { canary: false, reason: 'no table to verify the canary record in' };
  let record: CanaryRecord | undefined;
  try {
    record = await lookup(runId);
  } catch (err) {
    return { canary: false, reason: `canary record unreadable: ${(err as Error).name}` };
  }
  if (!record) return { canary: false, reason: `no canary record for run ${runId}: treated as an attack` };
  if (record.account !== incident.account || record.userName !== userName) {
    return { canary: false, reason: `the canary record of run ${runId} names another account or user` };
  }
  if (Date.parse(record.createdAt) > Date.parse(incident.eventTime) + SKEW_MS) {
    return { canary: false, reason: `the event predates the canary record of run ${runId}` };
  }
  if (record.closedAt && Date.parse(incident.eventTime) > Date.parse(record.closedAt)) {
    return { canary: false, reason: `the event follows the end of canary run ${runId}` };
  }
  if (record.ttl * 1000 <= now.getTime()) {
    return { canary: false, reason: `the canary record of run ${runId} has expired` };
  }
  return { canary: true, record };
}
