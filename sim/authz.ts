/**
 * IAM authorization for every call `bks-sim` serves, judged by an IAM policy engine this project
 * did not write: `@cloud-copilot/iam-simulate` (identity policies, permissions boundaries, SCPs,
 * resource control policies, every condition operator). The simulator only gathers what AWS's
 * policy evaluation logic (IAM user guide, "Policy evaluation logic") takes as input:
 *
 * - the caller's identity policies (a user's inline, attached and group policies; an assumed
 *   role's inline and attached policies; a scenario principal's own policies), Allow and Deny;
 * - its permissions boundary, if any;
 * - the SCPs of every level of the account's OU chain (root, OUs, account), unless the account is
 *   the organization's management account or not in the organization (SCPs never apply there);
 * - the request context: `aws:CurrentTime`, `aws:EpochTime`, `aws:PrincipalArn`,
 *   `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username`, `aws:userid`, `aws:PrincipalOrgID`,
 *   `aws:RequestedRegion`, `aws:SourceIp`, `aws:SecureTransport`, `aws:TokenIssueTime` (sessions and
 *   short-term keys), `aws:PrincipalTag/*`, and the service keys the call carries (e.g.
 *   `bedrock:BearerTokenType`, `iam:ServiceSpecificCredentialServiceName`, `iam:PolicyARN`).
 *
 * Decisions are cached: the key is the policies' text, the action, resource and context (the
 * clock only when a policy mentions a time key), so a repeated call costs a map lookup.
 */

import type { Simulation } from '@cloud-copilot/iam-simulate';
import type { Caller, SimContext } from './core';
import managed from './data/aws-managed-policies.json';
import type { SimAccount, SimUser } from './scenario';

export type PolicyDocument = Record<string, unknown>;

/** An AWS managed policy as shipped in `data/aws-managed-policies.json`. */
export interface ManagedPolicyData {
  arn: string;
  versionId: string;
  updateDate: string;
  document: PolicyDocument;
}

const MANAGED = (managed as unknown as { policies: Record<string, ManagedPolicyData> }).policies;

/** The AWS managed policy of that name (the last part of its ARN), or undefined. */
export function awsManagedPolicy(name: string): ManagedPolicyData | undefined {
  return Object.hasOwn(MANAGED, name) ? MANAGED[name] : undefined;
}

/** `AdministratorAccess`: what a scenario principal without policies of its own is given. */
export const ALLOW_ALL: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
};

export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

/** Who is asking, with the policies that speak for it. */
export interface Principal {
  /** `arn:…:iam::…:user/…`, `arn:…:sts::…:assumed-role/…/…`, `arn:…:iam::…:root`. */
  arn: string;
  account: string;
  type: 'User' | 'AssumedRole' | 'Account';
  identity: NamedPolicy[];
  /** The permissions boundary, if one is set. */
  boundary?: NamedPolicy;
  userName?: string;
  /** `aws:userid`: the user id, or `<role id>:<session>`. */
  userId?: string;
  /** An assumed role's own ARN, with its path (`aws:PrincipalArn` of a session). */
  roleArn?: string;
  /** `aws:TokenIssueTime` (sessions; short-term keys: the key's signing time). */
  tokenIssueTime?: string;
  tags?: Record<string, string>;
}

export interface AuthzRequest {
  principal: Principal;
  /** `iam:ListUsers`. */
  action: string;
  resource: string;
  /** Account that owns the resource (default: the principal's). */
  resourceAccount?: string;
  region: string;
  time: Date;
  sourceIp?: string;
  /** Service-specific keys of this request (`bedrock:BearerTokenType`, `iam:PolicyARN`, …). */
  context?: Record<string, string | string[]>;
  /**
   * The resource's own policy (an event bus policy, …): evaluated with the identity policies as
   * AWS does — same account, either may allow; another account, both must; a Deny in either wins.
   */
  resourcePolicy?: PolicyDocument;
}

export type AuthzDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** AWS's wording: `with an explicit deny in a service control policy`, `because no identity-based policy allows the X action`, … */
      why: string;
    };

/** The engine's npm package: AGPL-3.0-or-later, so it is loaded only by the simulator, on first use. */
export const ENGINE_PACKAGE = '@cloud-copilot/iam-simulate';

interface Engine {
  runSimulation: typeof import('@cloud-copilot/iam-simulate').runSimulation;
  createValidatedPolicy: typeof import('@cloud-copilot/iam-policy').createValidatedPolicy;
  validateIdentityPolicy: typeof import('@cloud-copilot/iam-policy').validateIdentityPolicy;
  validateServiceControlPolicy: typeof import('@cloud-copilot/iam-policy').validateServiceControlPolicy;
  validateResourcePolicy: typeof import('@cloud-copilot/iam-policy').validateResourcePolicy;
}
let engine: Engine | undefined;

/**
 * Loads the IAM engine (once). Without it the simulator cannot judge any call, so it refuses to
 * start rather than allow everything: the error is one line naming the package and how to get it.
 */
export async function loadEngine(): Promise<Engine> {
  if (engine) return engine;
  try {
    const [simulate, policy] = await Promise.all([
      import('@cloud-copilot/iam-simulate'),
      import('@cloud-copilot/iam-policy'),
    ]);
    engine = {
      runSimulation: simulate.runSimulation,
      createValidatedPolicy: policy.createValidatedPolicy,
      validateIdentityPolicy: policy.validateIdentityPolicy,
      validateServiceControlPolicy: policy.validateServiceControlPolicy,
      validateResourcePolicy: policy.validateResourcePolicy,
    };
    return engine;
  } catch {
    throw new Error(
      `its IAM policy engine ${ENGINE_PACKAGE} (AGPL-3.0-or-later) is not installed: npm install ${ENGINE_PACKAGE}`,
    );
  }
}

const TIME_KEY_RE = /aws:(currenttime|epochtime)/i;

/** Text form of every validated policy, so a document is validated once however often it is met. */
const validated = new Map<string, ReturnType<Engine['createValidatedPolicy']>>();

const VALIDATORS = {
  identity: (e: Engine) => e.validateIdentityPolicy,
  scp: (e: Engine) => e.validateServiceControlPolicy,
  resource: (e: Engine) => e.validateResourcePolicy,
};

function validatedPolicy(
  e: Engine,
  doc: PolicyDocument,
  text: string,
  kind: 'identity' | 'scp' | 'resource',
) {
  const key = `${kind}\n${text}`;
  let v = validated.get(key);
  if (!v) {
    v = e.createValidatedPolicy(doc, VALIDATORS[kind](e));
    if (validated.size > 10_000) validated.clear();
    validated.set(key, v);
  }
  return v;
}

interface ScpLevel {
  id: string;
  policies: NamedPolicy[];
}

/** The SCPs that apply to an account, root first; undefined when none apply. */
export function scpChain(ctx: SimContext, account: string): ScpLevel[] | undefined {
  const org = ctx.state.organization;
  if (!org?.scpEnabled || account === org.managementAccount) return undefined;
  if (!org.accounts.some((a) => a.id === account)) return undefined;
  const ids: string[] = [account];
  let parent = org.ous.find((u) => u.accounts.includes(account))?.id ?? org.rootId;
  const seen = new Set<string>();
  while (parent !== org.rootId && !seen.has(parent)) {
    seen.add(parent);
    ids.unshift(parent);
    parent = org.ous.find((u) => u.id === parent)?.parent ?? org.rootId;
  }
  ids.unshift(org.rootId);
  return ids.map((id) => {
    const policies: NamedPolicy[] = [];
    if (org.fullAWSAccess.includes(id)) policies.push({ name: 'FullAWSAccess', document: ALLOW_ALL });
    for (const p of org.policies) {
      if (!p.targets.includes(id)) continue;
      let document: PolicyDocument;
      try {
        document = JSON.parse(p.content) as PolicyDocument;
      } catch {
        document = { Statement: 'unreadable' };
      }
      policies.push({ name: p.name, document });
    }
    return { id, policies };
  });
}

/** The ARN of a managed policy's document in an account (AWS or customer managed). */
export function managedPolicyDocument(
  account: SimAccount | undefined,
  arn: string,
): PolicyDocument | undefined {
  const m = /^arn:[^:]+:iam::(aws|\d{12}):policy(\/.*)?\/([^/]+)$/.exec(arn);
  if (!m) return undefined;
  if (m[1] === 'aws') return awsManagedPolicy(m[3] as string)?.document;
  if (!account || m[1] !== account.id) return undefined;
  const path = `${m[2] ?? ''}/`;
  return account.policies.find((p) => p.name === m[3] && p.path === path)?.document as
    | PolicyDocument
    | undefined;
}

/** How AWS names a policy type in an AccessDenied message. */
const DENY_WORDS: Record<string, string> = {
  identity: 'an identity-based policy',
  scp: 'a service control policy',
  pb: 'a permissions boundary',
  rcp: 'a resource control policy',
  resource: 'a resource-based policy',
  session: 'a session policy',
};
const IMPLICIT_WORDS: Record<string, string> = {
  identity: 'identity-based policy',
  scp: 'service control policy',
  pb: 'permissions boundary',
  rcp: 'resource control policy',
  resource: 'resource-based policy',
};

/** Decisions by request; cleared when it grows past its bound. */
const decisions = new Map<string, AuthzDecision>();
let evaluations = 0;

/** How many requests the engine itself evaluated (cache misses), for the benchmark and tests. */
export function engineEvaluations(): number {
  return evaluations;
}

const ALLOWED_KEY = 'authz:allowed';

/**
 * What each principal was allowed to do in this simulator, by principal (a role session counts as
 * its role: the role's ARN with its path) and action: the record tests use to tell which granted
 * permissions of which role a run exercised.
 */
export function allowedActions(ctx: SimContext): ReadonlyMap<string, ReadonlySet<string>> {
  return (ctx.scratch.get(ALLOWED_KEY) as Map<string, Set<string>> | undefined) ?? new Map();
}

function noteAllowed(ctx: SimContext, p: Principal, action: string): void {
  let m = ctx.scratch.get(ALLOWED_KEY) as Map<string, Set<string>> | undefined;
  if (!m) {
    m = new Map();
    ctx.scratch.set(ALLOWED_KEY, m);
  }
  const who = p.roleArn ?? principalArnForContext(p);
  let set = m.get(who);
  if (!set) {
    set = new Set();
    m.set(who, set);
  }
  set.add(action);
}

/** Whether AWS would allow the request (see the module comment). */
export async function authorize(ctx: SimContext, req: AuthzRequest): Promise<AuthzDecision> {
  const decision = await decide(ctx, req);
  if (decision.allowed) noteAllowed(ctx, req.principal, req.action);
  return decision;
}

async function decide(ctx: SimContext, req: AuthzRequest): Promise<AuthzDecision> {
  const p = req.principal;
  const identityTexts = p.identity.map((x) => JSON.stringify(x.document));
  const boundaryText = p.boundary ? JSON.stringify(p.boundary.document) : '';
  const chain = scpChain(ctx, p.account);
  const scpTexts = chain?.map(
    (l) => `${l.id}=${l.policies.map((x) => JSON.stringify(x.document)).join('|')}`,
  );
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': p.roleArn ?? principalArnForContext(p),
    'aws:PrincipalAccount': p.account,
    'aws:PrincipalType': p.type,
    'aws:RequestedRegion': req.region,
    'aws:SecureTransport': 'true',
  };
  if (p.userName !== undefined) context['aws:username'] = p.userName;
  if (p.userId !== undefined) context['aws:userid'] = p.userId;
  if (p.tokenIssueTime !== undefined) context['aws:TokenIssueTime'] = p.tokenIssueTime;
  if (req.sourceIp) context['aws:SourceIp'] = req.sourceIp;
  const org = ctx.state.organization;
  if (org?.accounts.some((a) => a.id === p.account)) context['aws:PrincipalOrgID'] = org.id;
  for (const [k, v] of Object.entries(p.tags ?? {})) context[`aws:PrincipalTag/${k}`] = v;
  Object.assign(context, req.context);

  const resourceText = req.resourcePolicy ? JSON.stringify(req.resourcePolicy) : '';
  const allText = `${identityTexts.join('\n')}\n${boundaryText}\n${scpTexts?.join('\n') ?? ''}\n${resourceText}`;
  const timed = TIME_KEY_RE.test(allText);
  const cacheKey = JSON.stringify([
    p.arn,
    req.action,
    req.resource,
    req.resourceAccount,
    context,
    timed ? req.time.getTime() : 0,
    identityTexts,
    boundaryText,
    scpTexts,
    resourceText,
  ]);
  const hit = decisions.get(cacheKey);
  if (hit) return hit;
  const e = engine ?? (await loadEngine());

  if (timed) {
    context['aws:CurrentTime'] = req.time.toISOString().replace(/\.\d{3}Z$/, 'Z');
    context['aws:EpochTime'] = String(Math.floor(req.time.getTime() / 1000));
  }
  const simulation: Simulation = {
    request: {
      principal: p.arn,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount ?? p.account },
      contextVariables: context,
    },
    identityPolicies: p.identity.map((x, i) => ({
      name: `${i}:${x.name}`,
      policy: validatedPolicy(e, x.document, identityTexts[i] as string, 'identity'),
    })),
    serviceControlPolicies: (chain ?? []).map((level) => ({
      orgIdentifier: level.id,
      policies: level.policies.map((x) => ({
        name: `${level.id}:${x.name}`,
        policy: validatedPolicy(e, x.document, JSON.stringify(x.document), 'scp'),
      })),
    })),
    resourceControlPolicies: [],
  };
  if (req.resourcePolicy) {
    simulation.resourcePolicy = validatedPolicy(e, req.resourcePolicy, resourceText, 'resource');
  }
  if (p.boundary) {
    simulation.permissionBoundaryPolicies = [
      { name: p.boundary.name, policy: validatedPolicy(e, p.boundary.document, boundaryText, 'identity') },
    ];
  }
  evaluations++;
  const result = await e.runSimulation(simulation, {});
  let decision: AuthzDecision;
  if (result.resultType === 'error') {
    decision = {
      allowed: false,
      why: `because bks-sim could not evaluate the request (${result.errors.message})`,
    };
  } else if (result.overallResult === 'Allowed') {
    decision = { allowed: true };
  } else {
    decision = { allowed: false, why: denialWords(result, req.action) };
  }
  if (decisions.size > 50_000) decisions.clear();
  decisions.set(cacheKey, decision);
  return decision;
}

/**
 * For `aws:PrincipalArn` AWS gives an assumed role's session as the role's ARN (with its path,
 * which the session ARN lacks: `Principal.roleArn` when the role is known).
 */
function principalArnForContext(p: Principal): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(p.arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : p.arn;
}

type Success = Exclude<Awaited<ReturnType<Engine['runSimulation']>>, { resultType: 'error' }>;

function denialWords(result: Success, action: string): string {
  const analyses =
    result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
  const explicit = result.overallResult === 'ExplicitlyDenied';
  for (const analysis of analyses) {
    const order = ['scp', 'rcp', 'pb', 'session', 'identity', 'resource'] as const;
    const a = analysis as unknown as Record<string, { result?: string } | undefined>;
    const where: Record<(typeof order)[number], { result?: string } | undefined> = {
      scp: a.scpAnalysis,
      rcp: a.rcpAnalysis,
      pb: a.permissionBoundaryAnalysis,
      session: a.sessionAnalysis,
      identity: a.identityAnalysis,
      resource: a.resourceAnalysis,
    };
    for (const t of order) {
      const r = where[t]?.result;
      if (explicit && r === 'ExplicitlyDenied') return `with an explicit deny in ${DENY_WORDS[t]}`;
    }
    for (const t of order) {
      const r = where[t]?.result;
      if (!explicit && r === 'ImplicitlyDenied' && IMPLICIT_WORDS[t])
        return `because no ${IMPLICIT_WORDS[t]} allows the ${action} action`;
    }
  }
  return explicit
    ? 'with an explicit deny in an identity-based policy'
    : `because no identity-based policy allows the ${action} action`;
}

/** A scenario principal's own policy fields (`principals[]` in the scenario). */
export interface PrincipalPolicies {
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
  permissionsBoundary?: string | null;
}

function named(
  account: SimAccount | undefined,
  arns: string[],
  inline: Record<string, unknown>,
): NamedPolicy[] {
  const out: NamedPolicy[] = Object.entries(inline).map(([name, document]) => ({
    name,
    document: document as PolicyDocument,
  }));
  for (const arn of arns) {
    // An ARN the simulator has no document for is attached but grants nothing: an empty policy.
    out.push({
      name: arn,
      document: managedPolicyDocument(account, arn) ?? { Version: '2012-10-17', Statement: [] },
    });
  }
  return out;
}

function boundaryOf(
  account: SimAccount | undefined,
  arn: string | null | undefined,
): NamedPolicy | undefined {
  if (!arn) return undefined;
  return {
    name: arn,
    document: managedPolicyDocument(account, arn) ?? { Version: '2012-10-17', Statement: [] },
  };
}

/** The policies of an IAM user of the scenario: inline, attached, its groups', and its boundary. */
export function userPrincipal(ctx: SimContext, account: SimAccount, user: SimUser): Principal {
  const arns = [...user.managedPolicies];
  const inline: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(user.inlinePolicies)) inline[`user/${k}`] = v;
  for (const g of user.groups) {
    const group = account.groups.find((x) => x.name === g);
    if (!group) continue;
    for (const [k, v] of Object.entries(group.inlinePolicies)) inline[`group/${g}/${k}`] = v;
    arns.push(...group.managedPolicies);
  }
  const p: Principal = {
    arn: `arn:${ctx.state.partition}:iam::${account.id}:user${user.path}${user.name}`,
    account: account.id,
    type: 'User',
    identity: named(account, arns, inline),
    userName: user.name,
    userId: user.id,
    tags: user.tags,
  };
  const b = boundaryOf(account, user.permissionsBoundary);
  if (b) p.boundary = b;
  return p;
}

/** The policies of a role session. */
export function rolePrincipal(
  ctx: SimContext,
  account: SimAccount | undefined,
  session: { roleName: string; roleId: string; sessionName: string; issuedAt: string; account: string },
): Principal {
  const role = account?.roles.find((r) => r.name === session.roleName);
  const p: Principal = {
    arn: `arn:${ctx.state.partition}:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
    account: session.account,
    type: 'AssumedRole',
    identity: role ? named(account, role.managedPolicies, role.inlinePolicies) : [],
    userId: `${session.roleId}:${session.sessionName}`,
    ...(role
      ? { roleArn: `arn:${ctx.state.partition}:iam::${session.account}:role${role.path}${role.name}` }
      : {}),
    tokenIssueTime: session.issuedAt,
    tags: role?.tags ?? {},
  };
  const b = boundaryOf(account, role?.permissionsBoundary);
  if (b) p.boundary = b;
  return p;
}

/** The simulator's default caller (`sim-admin`, used when a scenario lists no principals). */
export const SIM_ADMIN_PRINCIPAL_ID = 'AIDASIMADMIN00000000';

/**
 * The principal a SigV4 caller acts as. A scenario principal with policy fields has exactly those;
 * one without any is allowed everything (AdministratorAccess), and keeps the Deny statements of
 * the scenario user or role its ARN names.
 */
export function callerPrincipal(ctx: SimContext, caller: Caller): Principal {
  const account = ctx.state.accounts.find((a) => a.id === caller.account);
  const declared = ctx.state.principals.find((x) => x.accessKeyId === caller.accessKeyId) as
    | (PrincipalPolicies & { arn: string })
    | undefined;
  let p: Principal;
  if (caller.role && caller.type === 'AssumedRole') {
    p = rolePrincipal(ctx, account, {
      roleName: caller.role.name,
      roleId: caller.role.id,
      sessionName: caller.role.sessionName,
      issuedAt: caller.role.issuedAt,
      account: caller.account,
    });
  } else if (caller.type === 'IAMUser' && caller.userName !== undefined && account) {
    const user = ctx.index.user(account.id, caller.userName);
    p = user
      ? userPrincipal(ctx, account, user)
      : { arn: caller.arn, account: caller.account, type: 'User', identity: [], userName: caller.userName };
  } else {
    p = {
      arn: caller.arn,
      account: caller.account,
      type: caller.type === 'Root' ? 'Account' : 'User',
      identity: [],
    };
  }
  p.arn = caller.arn;
  const ownPolicies =
    declared &&
    (declared.managedPolicies !== undefined ||
      declared.inlinePolicies !== undefined ||
      (declared.permissionsBoundary !== undefined && declared.permissionsBoundary !== null));
  if (ownPolicies) {
    p.identity = named(account, declared.managedPolicies ?? [], declared.inlinePolicies ?? {});
    const b = boundaryOf(account, declared.permissionsBoundary);
    if (b) p.boundary = b;
    else delete p.boundary;
  } else if (declared || caller.principalId === SIM_ADMIN_PRINCIPAL_ID || caller.type === 'Root') {
    p.identity = [{ name: 'AdministratorAccess', document: ALLOW_ALL }, ...p.identity];
  }
  return p;
}

/**
 * Who calls `events:PutEvents` when a rule delivers to an event bus (EventBridge user guide,
 * "Sending and receiving events between AWS accounts"): the target's execution role, a session of
 * that role in the rule's account (EventBridge assumes it), when the target has one; otherwise the
 * rule's account itself, which only the bus's resource policy can admit. Undefined when the role
 * does not exist in the rule's account.
 */
export function ruleTargetPrincipal(
  ctx: SimContext,
  ruleAccount: string,
  roleArn: string | undefined,
  issuedAt: string,
): Principal | undefined {
  const account = ctx.state.accounts.find((a) => a.id === ruleAccount);
  if (!roleArn) {
    return {
      arn: `arn:${ctx.state.partition}:iam::${ruleAccount}:root`,
      account: ruleAccount,
      type: 'Account',
      identity: [{ name: 'the rule account itself', document: ALLOW_ALL }],
    };
  }
  const role = account?.roles.find(
    (r) => `arn:${ctx.state.partition}:iam::${ruleAccount}:role${r.path}${r.name}` === roleArn,
  );
  if (!role) return undefined;
  return rolePrincipal(ctx, account, {
    roleName: role.name,
    roleId: role.id,
    sessionName: 'EventBridge',
    issuedAt,
    account: ruleAccount,
  });
}
