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
import type { SimContext, SimSession } from './core';
import { readBearerKey, type SimLongTermKey, type SimShortTermKey } from './keys';
import { type SimAccessKey, type SimAccount, type SimState, type SimUser, sscStatus } from './scenario';

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

/** One bearer call being judged: what it asks for, where, and when. */
interface BearerCall {
  ctx: SimContext;
  actions: string[];
  resource: string | ((account: string, region: string | undefined) => string);
  /** The key's service namespace (`bedrock`, `aws-external-anthropic`). */
  namespace: string;
  /** Region the key names (short-term keys only). */
  keyRegion: string | undefined;
  /** Region the call runs in (for `aws:RequestedRegion`). */
  callRegion: string;
  now: number;
}

/**
 * The first of the call's actions (and `<namespace>:CallWithBearerToken`) the principal may not
 * perform with a key of this type, as AWS words the refusal; undefined when all are allowed.
 */
async function firstRefusal(
  call: BearerCall,
  principal: Principal,
  tokenType: 'LONG_TERM' | 'SHORT_TERM',
): Promise<string | undefined> {
  const { ctx, namespace } = call;
  const res =
    typeof call.resource === 'function' ? call.resource(principal.account, call.keyRegion) : call.resource;
  for (const action of [...call.actions, `${namespace}:CallWithBearerToken`]) {
    const on = action.endsWith(':CallWithBearerToken') ? '*' : res;
    const d = await authorize(ctx, {
      principal,
      action,
      resource: on,
      region: call.callRegion,
      time: ctx.now(),
      context: { [`${namespace}:BearerTokenType`]: tokenType },
    });
    if (!d.allowed)
      return `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${on} ${d.why}`;
  }
  return undefined;
}

/** The decision for an attributed key: allowed unless `refusal` names why not. */
function decide(
  kind: 'long-term' | 'short-term',
  account: string,
  userIdentity: Record<string, unknown>,
  keyRegion: string | undefined,
  refusal: string | undefined,
): BearerDecision {
  const where = keyRegion === undefined ? {} : { keyRegion };
  if (refusal) return { ok: false, reason: refusal, account, userIdentity, ...where };
  return { ok: true, kind, account, userIdentity, ...where };
}

/**
 * A long-term key: the service-specific credential with its alias exists on its user, the secret
 * matches, it is Active and unexpired, and the user may perform the call with `LONG_TERM`.
 */
async function authorizeLongTerm(call: BearerCall, key: SimLongTermKey): Promise<BearerDecision> {
  const { ctx } = call;
  const account = ctx.state.accounts.find((a) => a.id === key.account);
  const user = account ? aliasUser(ctx, account.id, key.alias, key.userName) : undefined;
  if (!account || !user) {
    return { ok: false, reason: 'The API key is not valid: its user does not exist.', account: key.account };
  }
  const userIdentity = userIdentityOfUser(ctx, account.id, user);
  const refuse = (reason: string) => decide('long-term', account.id, userIdentity, undefined, reason);
  const cred = user.serviceCredentials.find(
    (c) => c.service === key.service.sscServiceName && c.alias === key.alias,
  );
  if (!cred || !sameSecret(cred.secret, key.secret)) return refuse('The API key is not valid.');
  const status = sscStatus(cred, call.now);
  if (status === 'Expired') return refuse('The API key has expired.');
  if (status !== 'Active') return refuse('The API key is not active.');
  const refused = await firstRefusal(call, userPrincipal(ctx, account, user), 'LONG_TERM');
  return decide('long-term', account.id, userIdentity, undefined, refused);
}

/** A short-term key signed with an AssumeRole session's credentials: the session must not have ended. */
async function authorizeSessionKey(
  call: BearerCall,
  key: SimShortTermKey,
  session: SimSession,
): Promise<BearerDecision> {
  const { ctx } = call;
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
  const refused =
    Date.parse(session.expiresAt) <= call.now
      ? 'The API key has expired: its session ended.'
      : await firstRefusal(call, principal, 'SHORT_TERM');
  return decide('short-term', session.account, userIdentity, call.keyRegion, refused);
}

/** `aws:TokenIssueTime` of a key signed with a long-term access key: the key's own `X-Amz-Date`. */
function signedAt(key: SimShortTermKey): string {
  return new Date(key.signedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A short-term key signed with an IAM user's access key: the access key must be Active. */
async function authorizeUserKey(
  call: BearerCall,
  key: SimShortTermKey,
  owned: { account: SimAccount; user: SimUser; key: SimAccessKey },
): Promise<BearerDecision> {
  const { ctx } = call;
  const userIdentity = userIdentityOfUser(ctx, owned.account.id, owned.user, key.accessKeyId);
  let refused: string | undefined;
  if (owned.key.status !== 'Active') refused = 'The API key is not valid: its signing key is inactive.';
  else {
    const principal = userPrincipal(ctx, owned.account, owned.user);
    principal.tokenIssueTime = signedAt(key);
    refused = await firstRefusal(call, principal, 'SHORT_TERM');
  }
  return decide('short-term', owned.account.id, userIdentity, call.keyRegion, refused);
}

/** A short-term key signed with the access key of a principal the scenario declares. */
async function authorizeDeclaredKey(
  call: BearerCall,
  key: SimShortTermKey,
  declared: SimState['principals'][number],
): Promise<BearerDecision> {
  const { ctx } = call;
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
  principal.tokenIssueTime = signedAt(key);
  const refused = await firstRefusal(call, principal, 'SHORT_TERM');
  return decide('short-term', declared.account, userIdentity, call.keyRegion, refused);
}

/** A short-term key: unexpired, and signed with a key the simulator knows (session, user, principal). */
async function authorizeShortTerm(call: BearerCall, key: SimShortTermKey): Promise<BearerDecision> {
  const { ctx } = call;
  if (key.expiresAtMs <= call.now)
    return { ok: false, reason: 'The API key has expired.', keyRegion: call.keyRegion };
  const session = ctx.sessions.get(key.accessKeyId);
  if (session) return authorizeSessionKey(call, key, session);
  const owned = ctx.index.accessKey(key.accessKeyId);
  if (owned) return authorizeUserKey(call, key, owned);
  const declared = ctx.state.principals.find((p) => p.accessKeyId === key.accessKeyId);
  if (declared) return authorizeDeclaredKey(call, key, declared);
  return {
    ok: false,
    reason: 'The API key is not valid: its signing key is unknown.',
    keyRegion: call.keyRegion,
  };
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
  if (key.service.namespace !== scopeService) {
    return { ok: false, reason: `The API key is for ${key.service.displayName}, not this endpoint.` };
  }
  const keyRegion = key.kind === 'short-term' ? key.region : undefined;
  const call: BearerCall = {
    ctx,
    actions,
    resource,
    namespace: key.service.namespace,
    keyRegion,
    callRegion: region ? region(keyRegion) : (keyRegion ?? 'us-east-1'),
    now: ctx.nowMs(),
  };
  return key.kind === 'long-term' ? authorizeLongTerm(call, key) : authorizeShortTerm(call, key);
}
