/**
 * Bearer-key authentication for the simulated Bedrock runtime: decides, from the simulator state,
 * whether AWS would accept a long-term (`ABSK…`) or short-term (`bedrock-api-key-…`) key for an
 * action, and as whom. The key is read by the simulator's own parser (./keys.ts) and the policies
 * are judged by the independent IAM engine (./authz.ts). Facts: Amazon Bedrock User Guide, "How Amazon Bedrock API
 * keys work"; Service Authorization Reference for Amazon Bedrock (`CallWithBearerToken`,
 * `bedrock:BearerTokenType`).
 *
 * - Long-term: the service-specific credential with the key's alias exists on its user, the secret
 *   matches, it is Active and unexpired, and the user's policies allow both the action and
 *   `<namespace>:CallWithBearerToken` with `<namespace>:BearerTokenType` = `LONG_TERM`.
 * - Short-term: unexpired, signed with a key the simulator knows and that is active (an IAM user's
 *   access key, an AssumeRole session, a scenario principal), and the signer's policies allow both
 *   actions with `BearerTokenType` = `SHORT_TERM` and `aws:TokenIssueTime` = the session's issue
 *   time (a key signed with a user's long-term access key: the key's own `X-Amz-Date`).
 *   The signature itself is not verified (the simulator verifies no SigV4 signature).
 */
import { timingSafeEqual } from 'node:crypto';
import { authorize, callerPrincipal, type Principal, rolePrincipal, userPrincipal } from './authz';
import type { SimContext } from './core';
import { readBearerKey } from './keys';
import { type SimUser, sscStatus } from './scenario';

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

function sameSecret(stored: string, given: string): boolean {
  const x = Buffer.from(stored);
  const y = Buffer.from(given);
  return x.length === y.length && timingSafeEqual(x, y);
}

function userIdentityOfUser(ctx: SimContext, account: string, user: SimUser, accessKeyId?: string) {
  const id: Record<string, unknown> = {
    type: 'IAMUser',
    principalId: user.id,
    arn: `arn:${ctx.state.partition}:iam::${account}:user${user.path}${user.name}`,
    accountId: account,
  };
  if (accessKeyId) id.accessKeyId = accessKeyId;
  id.userName = user.name;
  return id;
}

/** The user that holds a credential with this alias: the alias's user name, with or without `+N`. */
function aliasUser(ctx: SimContext, account: string, alias: string, parsed: string): SimUser | undefined {
  const full = alias.slice(0, alias.lastIndexOf('-at-'));
  return ctx.index.user(account, parsed) ?? ctx.index.user(account, full);
}

/**
 * Whether the key in an `Authorization: Bearer` header may perform `actions` (e.g.
 * `['bedrock:InvokeModel']`) on `resource`, and as whom. `resource` may depend on the key's account
 * and region: pass a function of them.
 */
export async function authorizeBearer(
  ctx: SimContext,
  token: string,
  actions: string[],
  resource: string | ((account: string, region: string | undefined) => string),
  scopeService: string,
  region?: (keyRegion: string | undefined) => string,
): Promise<BearerDecision> {
  const key = readBearerKey(token);
  if (!key) return { ok: false, reason: 'Invalid API Key format: the bearer token is not a valid API key.' };
  const service = key.service;
  if (service.namespace !== scopeService) {
    return { ok: false, reason: `The API key is for ${service.displayName}, not this endpoint.` };
  }
  const namespace = service.namespace;
  const now = ctx.nowMs();
  const keyRegion = key.kind === 'short-term' ? key.region : undefined;
  const callRegion = region ? region(keyRegion) : (keyRegion ?? 'us-east-1');

  /** The first of the actions (and CallWithBearerToken) the principal may not perform, as AWS words it. */
  const check = async (principal: Principal, tokenType: string): Promise<string | undefined> => {
    const res = typeof resource === 'function' ? resource(principal.account, keyRegion) : resource;
    for (const action of [...actions, `${namespace}:CallWithBearerToken`]) {
      const d = await authorize(ctx, {
        principal,
        action,
        resource: action.endsWith(':CallWithBearerToken') ? '*' : res,
        region: callRegion,
        time: ctx.now(),
        context: { [`${namespace}:BearerTokenType`]: tokenType },
      });
      if (!d.allowed) {
        return `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${action.endsWith(':CallWithBearerToken') ? '*' : res} ${d.why}`;
      }
    }
    return undefined;
  };

  if (key.kind === 'long-term') {
    const account = ctx.state.accounts.find((a) => a.id === key.account);
    const user = account ? aliasUser(ctx, account.id, key.alias, key.userName) : undefined;
    if (!account || !user) {
      return {
        ok: false,
        reason: 'The API key is not valid: its user does not exist.',
        account: key.account,
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
    if (!cred || !sameSecret(cred.secret, key.secret)) return denied('The API key is not valid.');
    const status = sscStatus(cred, now);
    if (status === 'Expired') return denied('The API key has expired.');
    if (status !== 'Active') return denied('The API key is not active.');
    const refused = await check(userPrincipal(ctx, account, user), 'LONG_TERM');
    if (refused) return denied(refused);
    return { ok: true, kind: 'long-term', account: account.id, userIdentity };
  }

  // Short-term key.
  if (key.expiresAtMs <= now) return { ok: false, reason: 'The API key has expired.', keyRegion };
  const session = ctx.sessions.get(key.accessKeyId);
  if (session) {
    const account = ctx.state.accounts.find((a) => a.id === session.account);
    const principal = rolePrincipal(ctx, account, session);
    const userIdentity: Record<string, unknown> = {
      type: 'AssumedRole',
      principalId: `${session.roleId}:${session.sessionName}`,
      arn: principal.arn,
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
    const refused = await check(principal, 'SHORT_TERM');
    if (refused) return denied(refused);
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
    const principal = userPrincipal(ctx, owned.account, owned.user);
    principal.tokenIssueTime = new Date(key.signedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const refused = await check(principal, 'SHORT_TERM');
    if (refused) return denied(refused);
    return { ok: true, kind: 'short-term', account: owned.account.id, userIdentity, keyRegion };
  }

  const declared = ctx.state.principals.find((p) => p.accessKeyId === key.accessKeyId);
  if (declared) {
    const userName = declared.arn.split('/').pop() ?? '';
    const user = ctx.index.user(declared.account, userName);
    const userIdentity: Record<string, unknown> = {
      type: 'IAMUser',
      principalId: user?.id ?? declared.arn,
      arn: declared.arn,
      accountId: declared.account,
      accessKeyId: key.accessKeyId,
      userName,
    };
    const principal = callerPrincipal(ctx, {
      type: 'IAMUser',
      accessKeyId: key.accessKeyId,
      account: declared.account,
      arn: declared.arn,
      principalId: String(userIdentity.principalId),
      userName,
    });
    principal.tokenIssueTime = new Date(key.signedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const refused = await check(principal, 'SHORT_TERM');
    if (refused) {
      return { ok: false, reason: refused, account: declared.account, userIdentity, keyRegion };
    }
    return { ok: true, kind: 'short-term', account: declared.account, userIdentity, keyRegion };
  }
  return { ok: false, reason: 'The API key is not valid: its signing key is unknown.', keyRegion };
}
