/**
 * Bearer-key authentication for the simulated Bedrock runtime: decides, from the simulator state,
 * whether AWS would accept a long-term (`ABSK…`) or short-term (`bedrock-api-key-…`) key for an
 * action, and as whom. Facts: Amazon Bedrock User Guide,
 * "How Amazon Bedrock API keys work"; Service Authorization Reference for Amazon Bedrock
 * (`CallWithBearerToken`, `bedrock:BearerTokenType`).
 *
 * - Long-term: the SSC with the key's alias exists on the alias's user, its secret matches, it is
 *   Active and unexpired, and no explicit Deny in the user's policies (inline, attached, groups)
 *   matches the action or `<ns>:CallWithBearerToken`.
 * - Short-term: unexpired, signed with a key the sim knows and that is active (an IAM user's
 *   access key, an AssumeRole session, a scenario principal), and no Deny on the signer matches,
 *   with `aws:TokenIssueTime` = the session's issue time (for a key signed with a user's long-term
 *   access key: the key's own X-Amz-Date).
 */
import { timingSafeEqual } from 'node:crypto';
import { type DecodedKey, decodeKey, secretFingerprint } from '../src/keys';
import { serviceById } from '../src/services';
import type { SimContext } from './core';
import { matchingDeny, type PolicyDocument } from './deny';
import { type SimAccount, type SimUser, sscStatus } from './scenario';

export type BearerDecision =
  | {
      ok: true;
      kind: 'long-term' | 'short-term';
      account: string;
      /** CloudTrail userIdentity of the principal the call runs as. */
      userIdentity: Record<string, unknown>;
      /** Region the key names (short-term keys only). */
      keyRegion?: string;
    }
  | {
      ok: false;
      /** Why, for the error message (never contains a secret). */
      reason: string;
      /** Account and identity when the key could be attributed (for the CloudTrail record). */
      account?: string;
      userIdentity?: Record<string, unknown>;
      keyRegion?: string;
    };

/** AWS managed policies whose documents matter to a Deny check (all others only allow). */
const AWS_MANAGED_DENY: Record<string, PolicyDocument> = {
  AWSDenyAll: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
};

function managedDocument(account: SimAccount, arn: string): PolicyDocument | undefined {
  const m = /^arn:[^:]+:iam::(aws|\d{12}):policy(\/.*)?\/([^/]+)$/.exec(arn);
  if (!m) return undefined;
  if (m[1] === 'aws') return AWS_MANAGED_DENY[m[3] as string];
  if (m[1] !== account.id) return undefined;
  const path = `${m[2] ?? ''}/`;
  const policy = account.policies.find((p) => p.name === m[3] && p.path === path);
  return policy?.document as PolicyDocument | undefined;
}

/** Every policy document that applies to a user: inline, attached, and those of its groups. */
export function userPolicyDocuments(account: SimAccount, user: SimUser): PolicyDocument[] {
  const docs: PolicyDocument[] = Object.values(user.inlinePolicies) as PolicyDocument[];
  const arns = [...user.managedPolicies];
  for (const g of user.groups) {
    const group = account.groups.find((x) => x.name === g);
    if (!group) continue;
    docs.push(...(Object.values(group.inlinePolicies) as PolicyDocument[]));
    arns.push(...group.managedPolicies);
  }
  for (const arn of arns) {
    const d = managedDocument(account, arn);
    if (d) docs.push(d);
  }
  if (user.permissionsBoundary) {
    // A boundary only limits; a Deny inside it still denies.
    const d = managedDocument(account, user.permissionsBoundary);
    if (d) docs.push(d);
  }
  return docs;
}

function roleDocuments(account: SimAccount, roleName: string): PolicyDocument[] {
  const role = account.roles.find((r) => r.name === roleName);
  if (!role) return [];
  const docs: PolicyDocument[] = Object.values(role.inlinePolicies) as PolicyDocument[];
  for (const arn of role.managedPolicies) {
    const d = managedDocument(account, arn);
    if (d) docs.push(d);
  }
  return docs;
}

/** Compares a stored secret with a key's secret fingerprint (the decoder never exposes the secret). */
function sameSecret(stored: string, fingerprint: string): boolean {
  const x = Buffer.from(secretFingerprint(stored));
  const y = Buffer.from(fingerprint);
  return x.length === y.length && timingSafeEqual(x, y);
}

function userArn(ctx: SimContext, account: string, user: SimUser): string {
  return `arn:${ctx.state.partition}:iam::${account}:user${user.path}${user.name}`;
}

function userIdentityOfUser(ctx: SimContext, account: string, user: SimUser, accessKeyId?: string) {
  const id: Record<string, unknown> = {
    type: 'IAMUser',
    principalId: user.id,
    arn: userArn(ctx, account, user),
    accountId: account,
  };
  if (accessKeyId) id.accessKeyId = accessKeyId;
  id.userName = user.name;
  return id;
}

/**
 * Whether the key in an `Authorization: Bearer` header may perform `actions` (e.g.
 * `['bedrock:InvokeModel']`) on `resource`, and as whom.
 */
export function authorizeBearer(
  ctx: SimContext,
  token: string,
  actions: string[],
  resource: string,
  scopeService: string,
): BearerDecision {
  let key: DecodedKey;
  try {
    key = decodeKey(token, { partition: ctx.state.partition, now: ctx.now() });
  } catch {
    return { ok: false, reason: 'Invalid API Key format: the bearer token is not a valid API key.' };
  }
  const service = serviceById(key.service);
  if (service.signingService !== scopeService) {
    return { ok: false, reason: `The API key is for ${service.displayName}, not this endpoint.` };
  }
  const namespace = service.signingService;
  const now = ctx.nowMs();
  const allActions = [...actions, `${namespace}:CallWithBearerToken`];

  if (key.kind === 'long-term') {
    const account = ctx.state.accounts.find((a) => a.id === key.accountId);
    const user = account ? ctx.index.user(account.id, key.userName) : undefined;
    if (!account || !user) {
      return {
        ok: false,
        reason: 'The API key is not valid: its user does not exist.',
        account: key.accountId,
      };
    }
    const userIdentity = userIdentityOfUser(ctx, account.id, user);
    const denied = (reason: string): BearerDecision => ({
      ok: false,
      reason,
      account: account.id,
      userIdentity,
    });
    const cred = user.serviceCredentials.find(
      (c) => c.service === service.sscServiceName && c.alias === key.alias,
    );
    if (!cred || !sameSecret(cred.secret, key.secretSha256)) return denied('The API key is not valid.');
    const status = sscStatus(cred, now);
    if (status === 'Expired') return denied('The API key has expired.');
    if (status !== 'Active') return denied('The API key is not active.');
    const sid = matchingDeny(userPolicyDocuments(account, user), allActions, resource, {
      'aws:CurrentTime': new Date(now),
      'aws:username': user.name,
      'aws:PrincipalArn': userIdentity.arn as string,
      'aws:PrincipalAccount': account.id,
      'aws:PrincipalType': 'User',
      [`${namespace}:BearerTokenType`]: 'LONG_TERM',
    });
    if (sid) {
      return denied(
        `User: ${String(userIdentity.arn)} is not authorized to perform: ${actions[0]} on resource: ${resource} with an explicit deny in an identity-based policy`,
      );
    }
    return { ok: true, kind: 'long-term', account: account.id, userIdentity };
  }

  // Short-term key.
  const keyRegion = key.region;
  const issuedAt = Date.parse(key.issuedAt);
  if (Date.parse(key.expiresAt) <= now) return { ok: false, reason: 'The API key has expired.', keyRegion };
  const ctxBase = {
    'aws:CurrentTime': new Date(now),
    [`${namespace}:BearerTokenType`]: 'SHORT_TERM',
  };
  const session = ctx.sessions.get(key.accessKeyId);
  if (session) {
    const account = ctx.account(session.account);
    const arn = `arn:${ctx.state.partition}:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`;
    const userIdentity: Record<string, unknown> = {
      type: 'AssumedRole',
      principalId: `${session.roleId}:${session.sessionName}`,
      arn,
      accountId: session.account,
      accessKeyId: key.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: session.roleId,
          arn: session.roleArn,
          accountId: session.account,
          userName: session.roleName,
        },
        attributes: { creationDate: session.issuedAt, mfaAuthenticated: 'false' },
      },
    };
    const denied = (reason: string): BearerDecision => ({
      ok: false,
      reason,
      account: session.account,
      userIdentity,
      keyRegion,
    });
    if (Date.parse(session.expiresAt) <= now) return denied('The API key has expired: its session ended.');
    const sid = matchingDeny(roleDocuments(account, session.roleName), allActions, resource, {
      ...ctxBase,
      'aws:TokenIssueTime': session.issuedAt,
      'aws:PrincipalArn': session.roleArn,
      'aws:PrincipalAccount': session.account,
      'aws:PrincipalType': 'AssumedRole',
    });
    if (sid) {
      return denied(
        `User: ${arn} is not authorized to perform: ${actions[0]} on resource: ${resource} with an explicit deny in an identity-based policy`,
      );
    }
    return { ok: true, kind: 'short-term', account: session.account, userIdentity, keyRegion };
  }

  const owned = ctx.index.accessKey(key.accessKeyId);
  if (owned) {
    const userIdentity = userIdentityOfUser(ctx, owned.account.id, owned.user, key.accessKeyId);
    const denied = (reason: string): BearerDecision => ({
      ok: false,
      reason,
      account: owned.account.id,
      userIdentity,
      keyRegion,
    });
    if (owned.key.status !== 'Active')
      return denied('The API key is not valid: its signing key is inactive.');
    const sid = matchingDeny(userPolicyDocuments(owned.account, owned.user), allActions, resource, {
      ...ctxBase,
      'aws:TokenIssueTime': new Date(issuedAt),
      'aws:username': owned.user.name,
      'aws:PrincipalArn': userIdentity.arn as string,
      'aws:PrincipalAccount': owned.account.id,
      'aws:PrincipalType': 'User',
    });
    if (sid) {
      return denied(
        `User: ${String(userIdentity.arn)} is not authorized to perform: ${actions[0]} on resource: ${resource} with an explicit deny in an identity-based policy`,
      );
    }
    return { ok: true, kind: 'short-term', account: owned.account.id, userIdentity, keyRegion };
  }

  const principal = ctx.state.principals.find((p) => p.accessKeyId === key.accessKeyId);
  if (principal) {
    const userName = principal.arn.split('/').pop() ?? '';
    const user = ctx.index.user(principal.account, userName);
    const userIdentity: Record<string, unknown> = {
      type: 'IAMUser',
      principalId: user?.id ?? principal.arn,
      arn: principal.arn,
      accountId: principal.account,
      accessKeyId: key.accessKeyId,
      userName,
    };
    if (user) {
      const sid = matchingDeny(
        userPolicyDocuments(ctx.account(principal.account), user),
        allActions,
        resource,
        {
          ...ctxBase,
          'aws:TokenIssueTime': new Date(issuedAt),
          'aws:PrincipalArn': principal.arn,
        },
      );
      if (sid) {
        return {
          ok: false,
          reason: `User: ${principal.arn} is not authorized to perform: ${actions[0]} on resource: ${resource} with an explicit deny in an identity-based policy`,
          account: principal.account,
          userIdentity,
          keyRegion,
        };
      }
    }
    return { ok: true, kind: 'short-term', account: principal.account, userIdentity, keyRegion };
  }
  return { ok: false, reason: 'The API key is not valid: its signing key is unknown.', keyRegion };
}
