/**
 * The canary's calls, all harmless: its run id recorded in the pipeline's table, a phantom-named
 * user with the managed policy the console gives every phantom, one Bedrock API key on it that
 * expires after a day, one bearer call with it; and the cleanup that removes everything the user
 * holds (whoever added it) and the user itself. The key's secret lives only in memory.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachUserPolicyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupsForUserCommand,
  ListServiceSpecificCredentialsCommand,
  ListUserPoliciesCommand,
  RemoveUserFromGroupCommand,
  type ServiceSpecificCredentialMetadata,
} from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { describeAwsError, errorCode, isNotFound } from '../aws/errors';
import { CANARY_RECORD_TTL_SECONDS, canaryItem, canaryItemKey } from '../pipeline/canary';
import type { RunRecord } from './record';
import type { CleanupStep } from './types';

export const CANARY_TAG = 'bks:selftest';

/** Records the run id in the pipeline's table (fails if the id is already there). */
export async function recordRunId(
  aws: AwsContext,
  rec: RunRecord,
  callerArn: string,
  now: Date,
): Promise<void> {
  const ddb = aws.client('dynamodb', DynamoDBClient, rec.homeRegion);
  await ddb.send(
    new PutItemCommand({
      TableName: rec.table,
      Item: canaryItem({
        runId: rec.runId,
        account: rec.account,
        userName: rec.userName,
        createdAt: now.toISOString(),
        createdBy: callerArn,
        ttl: Math.floor(now.getTime() / 1000) + CANARY_RECORD_TTL_SECONDS,
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

/**
 * Closes the run id once the canary is gone: the pipeline then treats later events on that user
 * name as ordinary (someone could create a user of the same name after the canary was deleted).
 */
export async function closeRunId(aws: AwsContext, rec: RunRecord, now: Date): Promise<CleanupStep> {
  const target = `${rec.table} ${canaryItemKey(rec.runId)}`;
  try {
    await aws.client('dynamodb', DynamoDBClient, rec.homeRegion).send(
      new UpdateItemCommand({
        TableName: rec.table,
        Key: { pk: { S: canaryItemKey(rec.runId) } },
        UpdateExpression: 'SET closedAt = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': { S: now.toISOString() } },
      }),
    );
    return { action: 'CloseRunId', target, status: 'done' };
  } catch (err) {
    if (errorCode(err) === 'ConditionalCheckFailedException')
      return { action: 'CloseRunId', target, status: 'absent' };
    return { action: 'CloseRunId', target, status: 'failed', error: describeAwsError(err) };
  }
}

export async function createUser(aws: AwsContext, rec: RunRecord): Promise<void> {
  await aws.iam().send(
    new CreateUserCommand({
      UserName: rec.userName,
      Tags: [{ Key: CANARY_TAG, Value: rec.runId }],
    }),
  );
}

export async function attachPolicy(aws: AwsContext, rec: RunRecord): Promise<void> {
  await aws.iam().send(new AttachUserPolicyCommand({ UserName: rec.userName, PolicyArn: rec.policyArn }));
}

/** Creates the key; returns its id and the bearer token (kept in memory only). */
export async function createKey(
  aws: AwsContext,
  rec: RunRecord,
  serviceName: string,
  ageDays: number,
): Promise<{ credentialId: string; token: string }> {
  const out = await aws.iam().send(
    new CreateServiceSpecificCredentialCommand({
      UserName: rec.userName,
      ServiceName: serviceName,
      CredentialAgeDays: ageDays,
    }),
  );
  const c = out.ServiceSpecificCredential;
  const alias = c?.ServiceCredentialAlias;
  const secret = c?.ServiceCredentialSecret;
  if (!c?.ServiceSpecificCredentialId || !alias || !secret) {
    throw new Error('CreateServiceSpecificCredential answered without the key (alias and secret)');
  }
  return {
    credentialId: c.ServiceSpecificCredentialId,
    token: `ABSK${Buffer.from(`${alias}:${secret}`).toString('base64')}`,
  };
}

/**
 * One bearer call: InvokeModel with a one-token request. Any answer after authentication counts
 * (CloudTrail logs the call whatever its outcome, and a model the account cannot use answers 4xx
 * at no cost). A new key can take seconds to work (IAM is eventually consistent): 401/403 are
 * retried for up to `settleMs`.
 */
export async function bearerCall(opts: {
  token: string;
  region: string;
  modelId: string;
  endpointUrl?: string;
  dnsSuffix: string;
  settleMs: number;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}): Promise<string> {
  const base = opts.endpointUrl
    ? opts.endpointUrl.replace(/\/+$/, '')
    : `https://bedrock-runtime.${opts.region}.${opts.dnsSuffix}`;
  const url = `${base}/model/${encodeURIComponent(opts.modelId)}/invoke`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.token}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  // An endpoint such as bks-sim cannot tell the region from the host name.
  if (opts.endpointUrl) headers['x-bks-sim-region'] = opts.region;
  const body = JSON.stringify({
    messages: [{ role: 'user', content: [{ text: 'bks selftest' }] }],
    inferenceConfig: { maxTokens: 1 },
  });
  const end = Date.now() + opts.settleMs;
  for (let wait = 500; ; wait = Math.min(wait * 2, 4000)) {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await res.arrayBuffer();
    if ((res.status !== 401 && res.status !== 403) || Date.now() + wait > end) {
      return res.ok
        ? 'ok'
        : `HTTP ${res.status}${res.headers.get('x-amzn-errortype') ? ` ${res.headers.get('x-amzn-errortype')!.split(':')[0]}` : ''}`;
    }
    await opts.sleep(wait);
  }
}

/** Removes the canary user and everything it holds; each step reported, never a secret. */
export async function cleanupCanary(
  aws: AwsContext,
  rec: Pick<RunRecord, 'userName'>,
): Promise<CleanupStep[]> {
  const iam = aws.iam();
  const UserName = rec.userName;
  const steps: CleanupStep[] = [];
  const step = async (action: string, target: string, run: () => Promise<unknown>) => {
    try {
      await run();
      steps.push({ action, target, status: 'done' });
    } catch (err) {
      if (isNotFound(err)) steps.push({ action, target, status: 'absent' });
      else steps.push({ action, target, status: 'failed', error: describeAwsError(err) });
    }
  };
  let creds: ServiceSpecificCredentialMetadata[] | undefined;
  try {
    creds = (await iam.send(new ListServiceSpecificCredentialsCommand({ UserName })))
      .ServiceSpecificCredentials;
  } catch (err) {
    if (isNotFound(err)) return [{ action: 'DeleteUser', target: UserName, status: 'absent' }];
    return [
      {
        action: 'ListServiceSpecificCredentials',
        target: UserName,
        status: 'failed',
        error: describeAwsError(err),
      },
    ];
  }
  const reads = await Promise.allSettled([
    iam.send(new ListAccessKeysCommand({ UserName })),
    iam.send(new ListAttachedUserPoliciesCommand({ UserName })),
    iam.send(new ListUserPoliciesCommand({ UserName })),
    iam.send(new ListGroupsForUserCommand({ UserName })),
  ]);
  const [keys, attached, inline, groups] = reads.map((r) =>
    r.status === 'fulfilled' ? r.value : undefined,
  ) as [
    { AccessKeyMetadata?: { AccessKeyId?: string }[] } | undefined,
    { AttachedPolicies?: { PolicyArn?: string }[] } | undefined,
    { PolicyNames?: string[] } | undefined,
    { Groups?: { GroupName?: string }[] } | undefined,
  ];
  for (const r of reads) {
    if (r.status === 'rejected' && !isNotFound(r.reason)) {
      steps.push({ action: 'read', target: UserName, status: 'failed', error: describeAwsError(r.reason) });
    }
  }
  for (const c of creds ?? []) {
    const id = c.ServiceSpecificCredentialId!;
    await step('DeleteServiceSpecificCredential', `${UserName}/${id}`, () =>
      iam.send(new DeleteServiceSpecificCredentialCommand({ UserName, ServiceSpecificCredentialId: id })),
    );
  }
  for (const k of keys?.AccessKeyMetadata ?? []) {
    await step('DeleteAccessKey', `${UserName}/${k.AccessKeyId}`, () =>
      iam.send(new DeleteAccessKeyCommand({ UserName, AccessKeyId: k.AccessKeyId! })),
    );
  }
  for (const p of attached?.AttachedPolicies ?? []) {
    await step('DetachUserPolicy', `${UserName} ${p.PolicyArn}`, () =>
      iam.send(new DetachUserPolicyCommand({ UserName, PolicyArn: p.PolicyArn! })),
    );
  }
  for (const name of inline?.PolicyNames ?? []) {
    await step('DeleteUserPolicy', `${UserName} ${name}`, () =>
      iam.send(new DeleteUserPolicyCommand({ UserName, PolicyName: name })),
    );
  }
  for (const g of groups?.Groups ?? []) {
    await step('RemoveUserFromGroup', `${UserName} ${g.GroupName}`, () =>
      iam.send(new RemoveUserFromGroupCommand({ UserName, GroupName: g.GroupName! })),
    );
  }
  // A login profile cannot be listed: deleting it is the read (NoSuchEntity when there is none).
  try {
    await iam.send(new DeleteLoginProfileCommand({ UserName }));
    steps.push({ action: 'DeleteLoginProfile', target: UserName, status: 'done' });
  } catch (err) {
    if (!isNotFound(err)) {
      steps.push({
        action: 'DeleteLoginProfile',
        target: UserName,
        status: 'failed',
        error: describeAwsError(err),
      });
    }
  }
  await step('DeleteUser', UserName, () => iam.send(new DeleteUserCommand({ UserName })));
  return steps;
}

/** Whether the canary is gone (its user deleted, now or before) and nothing failed. */
export function cleanedUp(steps: readonly CleanupStep[]): boolean {
  const deleted = steps.some((s) => s.action === 'DeleteUser' && s.status !== 'failed');
  return deleted && !steps.some((s) => s.status === 'failed');
}

export { errorCode };
