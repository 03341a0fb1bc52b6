/**
 * Who signed a short-term key. An `AKIA`-signed key belongs to the IAM user owning that access
 * key (one `GetAccessKeyLastUsed`). An `ASIA` key's session is found in CloudTrail — in the key's
 * own region, where its calls are logged — by `LookupEvents AccessKeyId=…`, whose records name the
 * session's issuer (role or user). Not found is a state of its own (the revoke refuses: fail closed).
 */
import { paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import {
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
} from '@aws-sdk/client-iam';
import type { AwsContext } from '../aws';
import { describeError } from '../errors';
import type { Signer } from './revoke';
import { canonicalPolicy, isNoSuchEntity, readUserState } from './user-state';

interface Identity {
  type?: string;
  arn?: string;
  userName?: string;
  sessionContext?: { sessionIssuer?: { type?: string; userName?: string; arn?: string } };
}

/** The signer named by a CloudTrail `userIdentity` (undefined when it names none). */
export function signerFromIdentity(ui: Identity): Signer | undefined {
  const issuer = ui.sessionContext?.sessionIssuer;
  if (ui.type === 'Root') return { kind: 'root', arn: ui.arn ?? 'root' };
  if (issuer?.type === 'Role' && issuer.userName && issuer.arn)
    return { kind: 'role', name: issuer.userName, arn: issuer.arn };
  if (issuer?.type === 'IAMUser' && issuer.userName && issuer.arn) {
    return { kind: 'user', name: issuer.userName, arn: issuer.arn, state: null };
  }
  if (issuer?.type === 'Root') return { kind: 'root', arn: issuer.arn ?? 'root' };
  if (ui.type === 'IAMUser' && ui.userName && ui.arn)
    return { kind: 'user', name: ui.userName, arn: ui.arn, state: null };
  return undefined;
}

export async function findSigner(
  aws: AwsContext,
  key: { accessKeyId: string; accessKeyType: 'ASIA' | 'AKIA'; region: string },
  accountId: string,
): Promise<Signer> {
  const iam = aws.iam();
  if (key.accessKeyType === 'AKIA') {
    let userName: string | undefined;
    try {
      const r = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.accessKeyId }));
      userName = r.UserName;
    } catch (err) {
      return {
        kind: 'unknown',
        reason: `iam:GetAccessKeyLastUsed ${key.accessKeyId} failed: ${describeError(err)}`,
      };
    }
    if (!userName) return { kind: 'unknown', reason: `no IAM user owns access key ${key.accessKeyId}` };
    const state = await readUserState(iam, userName);
    return {
      kind: 'user',
      name: userName,
      arn: state?.arn ?? `arn:${aws.partition}:iam::${accountId}:user/${userName}`,
      state,
    };
  }
  const ct = aws.cloudtrail(key.region);
  let pages = 0;
  const input = {
    LookupAttributes: [{ AttributeKey: 'AccessKeyId' as const, AttributeValue: key.accessKeyId }],
    MaxResults: 50,
  };
  try {
    for await (const r of paginateLookupEvents({ client: ct }, input)) {
      for (const e of r.Events ?? []) {
        let record: { userIdentity?: Identity } = {};
        try {
          record = JSON.parse(e.CloudTrailEvent ?? '{}');
        } catch {
          continue;
        }
        const signer = record.userIdentity ? signerFromIdentity(record.userIdentity) : undefined;
        if (signer) {
          if (signer.kind === 'user') return { ...signer, state: await readUserState(iam, signer.name) };
          return signer;
        }
      }
      if (++pages >= 20) break;
    }
  } catch (err) {
    return {
      kind: 'unknown',
      reason: `cloudtrail:LookupEvents in ${key.region} failed: ${describeError(err)}`,
    };
  }
  return {
    kind: 'unknown',
    reason: `no CloudTrail event in ${key.region} (the key's region) names the session of ${key.accessKeyId}: the signer cannot be identified; if you know it, put a Deny "*" with DateLessThan aws:TokenIssueTime <now> on that role or user`,
  };
}

/** The signer's current inline session-deny policy and its unique id (for the record). */
export async function readSignerPolicy(
  aws: AwsContext,
  signer: Extract<Signer, { kind: 'role' | 'user' }>,
  policyName: string,
): Promise<{ document?: string; id?: string }> {
  const iam = aws.iam();
  try {
    if (signer.kind === 'role') {
      const role = await iam.send(new GetRoleCommand({ RoleName: signer.name }));
      const doc = await iam
        .send(new GetRolePolicyCommand({ RoleName: signer.name, PolicyName: policyName }))
        .then(
          (r) => canonicalPolicy(r.PolicyDocument ?? ''),
          (err) => {
            if (isNoSuchEntity(err)) return undefined;
            throw err;
          },
        );
      return { document: doc, id: role.Role?.RoleId };
    }
    const doc = await iam
      .send(new GetUserPolicyCommand({ UserName: signer.name, PolicyName: policyName }))
      .then(
        (r) => canonicalPolicy(r.PolicyDocument ?? ''),
        (err) => {
          if (isNoSuchEntity(err)) return undefined;
          throw err;
        },
      );
    return { document: doc, id: signer.state?.userId };
  } catch (err) {
    if (isNoSuchEntity(err)) return {};
    throw err;
  }
}
