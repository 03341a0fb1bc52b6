/**
 * `bks scp check`: which API-key controls are in force in each account of an organization.
 *
 * Two halves:
 * - `collectOrganization` reads the organization through the Organizations API (roots, OUs,
 *   accounts, the SCPs attached to each, their content) into an `OrgSnapshot`, counting calls.
 * - `checkOrganization` (pure) decides, for every account, whether each control is in force — by
 *   running the control's must-deny requests through the evaluator against the SCPs that apply to
 *   the account, not by the policies' names, so a customer's own equivalent SCP counts — and
 *   whether any must-allow request (CodeCommit credentials, short-term keys, …) is blocked.
 *
 * What is modelled (AWS Organizations' SCP evaluation): a request is allowed for an account only
 * if, at every level from the root through each OU down to the account itself, the SCPs attached
 * directly at that level allow it (an Allow statement matches) and no SCP at any level denies it.
 * So an allow-list SCP (one without `FullAWSAccess`) denies implicitly what it does not allow; the
 * report says "implicitly" when a control holds only that way. SCPs apply only when the
 * organization has all features and the SERVICE_CONTROL_POLICY type is enabled on the root; they
 * never apply to the management account. Not modelled: resource control policies, permission
 * boundaries and identity policies (SCPs are the question here), and condition keys beyond those
 * in the control's sample requests.
 *
 * Fail closed: a level whose policies could not be read, a policy that cannot be parsed, or an
 * operator the evaluator does not support makes the control `unknown`, never `in-force`.
 */
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { evaluatePolicies, type PolicyDocument, PolicyError } from './evaluate';
import {
  renderRequests,
  renderScp,
  resolveParams,
  type ScpEntry,
  type ScpParams,
  type ScpRequest,
} from './scps';

// ---------------------------------------------------------------------------------------------
// The organization as data

export type TargetType = 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';

export interface OrgNode {
  id: string;
  name: string;
  type: TargetType;
  /** Ids of the SCPs attached directly; undefined when they could not be read (see `error`). */
  policyIds?: string[];
  /** Accounts: `ACTIVE`, `SUSPENDED`, … */
  state?: string;
  /** Roots: whether the SERVICE_CONTROL_POLICY type is enabled. */
  scpEnabled?: boolean;
  children: OrgNode[];
  /** What could not be read about this node (its policies or its children). */
  error?: string;
}

export interface OrgPolicy {
  id: string;
  name: string;
  awsManaged: boolean;
  /** The policy text; undefined when it could not be read (see `error`). */
  content?: string;
  error?: string;
}

export interface OrgSnapshot {
  organizationId?: string;
  managementAccountId?: string;
  /** `ALL` or `CONSOLIDATED_BILLING`; SCPs need `ALL`. */
  featureSet?: string;
  /** `aws`, `aws-us-gov`, `aws-cn`: sample request ARNs are rewritten to it. */
  partition: string;
  roots: OrgNode[];
  policies: Record<string, OrgPolicy>;
}

// ---------------------------------------------------------------------------------------------
// The verdicts

export type ControlStatus = 'in-force' | 'partial' | 'missing' | 'unknown' | 'not-covered';

export interface ControlVerdict {
  control: string;
  status: ControlStatus;
  /** SCPs whose Deny statements stop the must-deny requests. */
  deniedBy: string[];
  /** True when the control holds only because some level does not allow the requests. */
  implicitOnly: boolean;
  /** Must-deny requests that get through. */
  notDenied: string[];
  reason?: string;
}

export interface AccountVerdict {
  accountId: string;
  name: string;
  state?: string;
  management: boolean;
  /** Root to account: where the policies come from. */
  path: { id: string; name: string; type: TargetType; policies: string[] }[];
  controls: ControlVerdict[];
  /**
   * Legitimate requests (the controls' must-allow samples that no shipped control is meant to
   * deny, such as CodeCommit credentials or deactivating a phantom's access key) that the SCPs
   * block anyway, and what blocks them.
   */
  blocksLegitimate: { request: string; by: string }[];
}

export interface ScpCheckReport {
  organizationId?: string;
  managementAccountId?: string;
  scpEnabled: boolean;
  params: Record<string, number>;
  controls: { name: string; title: string }[];
  accounts: AccountVerdict[];
  summary: {
    accounts: number;
    /** Accounts (not the management account) where some control is not in force. */
    accountsWithGaps: number;
    byControl: Record<string, Record<ControlStatus, number>>;
  };
}

const MANAGEMENT_REASON = 'SCPs never apply to the management account';

/** Decides every control for every account of the snapshot. */
export function checkOrganization(
  snapshot: OrgSnapshot,
  controls: readonly ScpEntry[],
  params: ScpParams = {},
  /** Every shipped control: a request one of them denies is never reported as collateral. */
  reference: readonly ScpEntry[] = controls,
): ScpCheckReport {
  const disabledReason =
    snapshot.featureSet !== undefined && snapshot.featureSet !== 'ALL'
      ? 'the organization does not have all features enabled, so SCPs do not apply'
      : undefined;
  const resolvedParams: Record<string, number> = {};
  const prepared = controls.map((entry) => {
    // Each control takes only its own parameters (the maximum age is api-key-max-age's).
    const own = Object.fromEntries(Object.entries(params).filter(([k]) => k in entry.parameters));
    Object.assign(resolvedParams, resolveParams(entry, own));
    return {
      entry,
      mustDeny: renderRequests(entry, entry.mustDeny, own).map((r) => inPartition(r, snapshot.partition)),
      mustAllow: renderRequests(entry, entry.mustAllow, own).map((r) => inPartition(r, snapshot.partition)),
    };
  });
  const referencePolicies = reference.map((entry) =>
    renderScp(entry, Object.fromEntries(Object.entries(params).filter(([k]) => k in entry.parameters))),
  );
  const legitimate: ScpRequest[] = [];
  for (const c of prepared) {
    for (const request of c.mustAllow) {
      if (legitimate.some((r) => r.name === request.name)) continue;
      if (referencePolicies.some((policy) => evaluatePolicies([policy], request).decision === 'Deny'))
        continue;
      legitimate.push(request);
    }
  }

  const accounts: AccountVerdict[] = [];
  const seen = new Set<string>();
  const walk = (node: OrgNode, path: OrgNode[], root: OrgNode) => {
    const here = [...path, node];
    if (node.type === 'ACCOUNT') {
      if (seen.has(node.id)) return;
      seen.add(node.id);
      accounts.push(judgeAccount(node, here, root));
      return;
    }
    for (const child of node.children) walk(child, here, root);
  };

  const judgeAccount = (account: OrgNode, path: OrgNode[], root: OrgNode): AccountVerdict => {
    const management = account.id === snapshot.managementAccountId;
    const verdict: AccountVerdict = {
      accountId: account.id,
      name: account.name,
      management,
      path: path.map((n) => ({
        id: n.id,
        name: n.name,
        type: n.type,
        policies: (n.policyIds ?? []).map((id) => snapshot.policies[id]?.name ?? id),
      })),
      controls: [],
      blocksLegitimate: [],
    };
    if (account.state !== undefined) verdict.state = account.state;
    const base = (control: string, status: ControlStatus, reason?: string): ControlVerdict => ({
      control,
      status,
      deniedBy: [],
      implicitOnly: false,
      notDenied: [],
      ...(reason ? { reason } : {}),
    });
    if (management) {
      verdict.controls = prepared.map((c) => base(c.entry.name, 'not-covered', MANAGEMENT_REASON));
      return verdict;
    }
    const disabled =
      disabledReason ??
      (root.scpEnabled === false ? 'the SERVICE_CONTROL_POLICY type is not enabled on the root' : undefined);
    if (disabled) {
      verdict.controls = prepared.map((c) => ({
        ...base(c.entry.name, 'missing', disabled),
        notDenied: c.mustDeny.map((r) => r.name),
      }));
      return verdict;
    }
    const levels = readLevels(path, snapshot);
    if ('error' in levels) {
      verdict.controls = prepared.map((c) => base(c.entry.name, 'unknown', levels.error));
      return verdict;
    }
    try {
      for (const request of legitimate) {
        const outcome = effectiveDecision(levels.levels, request);
        if (outcome.decision !== 'allowed') {
          verdict.blocksLegitimate.push({ request: request.name, by: outcome.description });
        }
      }
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      // The controls below come out unknown with the reason; nothing more to say here.
    }
    verdict.controls = prepared.map(({ entry, mustDeny }) => {
      try {
        const deniedBy = new Set<string>();
        const notDenied: string[] = [];
        let explicit = 0;
        for (const request of mustDeny) {
          const outcome = effectiveDecision(levels.levels, request);
          if (outcome.decision === 'allowed') notDenied.push(request.name);
          else {
            if (outcome.decision === 'explicit-deny') explicit++;
            for (const by of outcome.policies) deniedBy.add(by);
          }
        }
        const status: ControlStatus =
          notDenied.length === 0 ? 'in-force' : notDenied.length === mustDeny.length ? 'missing' : 'partial';
        return {
          control: entry.name,
          status,
          deniedBy: [...deniedBy].sort(),
          implicitOnly: status === 'in-force' && explicit === 0,
          notDenied,
        };
      } catch (err) {
        if (err instanceof PolicyError) return base(entry.name, 'unknown', `cannot evaluate: ${err.message}`);
        throw err;
      }
    });
    return verdict;
  };

  for (const root of snapshot.roots) walk(root, [], root);
  accounts.sort(
    (a, b) => Number(b.management) - Number(a.management) || a.accountId.localeCompare(b.accountId),
  );

  const byControl: ScpCheckReport['summary']['byControl'] = {};
  for (const c of prepared) {
    byControl[c.entry.name] = { 'in-force': 0, partial: 0, missing: 0, unknown: 0, 'not-covered': 0 };
  }
  for (const account of accounts) {
    for (const v of account.controls) byControl[v.control]![v.status]++;
  }
  return {
    ...(snapshot.organizationId ? { organizationId: snapshot.organizationId } : {}),
    ...(snapshot.managementAccountId ? { managementAccountId: snapshot.managementAccountId } : {}),
    scpEnabled: disabledReason === undefined && snapshot.roots.every((r) => r.scpEnabled !== false),
    params: resolvedParams,
    controls: prepared.map((c) => ({ name: c.entry.name, title: c.entry.title })),
    accounts,
    summary: {
      accounts: accounts.length,
      accountsWithGaps: accounts.filter(
        (a) => !a.management && a.controls.some((c) => c.status !== 'in-force'),
      ).length,
      byControl,
    },
  };
}

interface Level {
  node: OrgNode;
  policies: { name: string; document: PolicyDocument }[];
}

function readLevels(path: OrgNode[], snapshot: OrgSnapshot): { levels: Level[] } | { error: string } {
  const levels: Level[] = [];
  for (const node of path) {
    if (node.policyIds === undefined) {
      return { error: `${describeNode(node)} could not be fully read${node.error ? `: ${node.error}` : ''}` };
    }
    const policies: Level['policies'] = [];
    for (const id of node.policyIds) {
      const policy = snapshot.policies[id];
      if (!policy || policy.content === undefined) {
        return {
          error: `policy ${policy?.name ?? id} could not be read${policy?.error ? `: ${policy.error}` : ''}`,
        };
      }
      let document: PolicyDocument;
      try {
        document = JSON.parse(policy.content) as PolicyDocument;
      } catch {
        return { error: `policy ${policy.name} is not valid JSON` };
      }
      policies.push({ name: policy.name, document });
    }
    levels.push({ node, policies });
  }
  return { levels };
}

interface Outcome {
  decision: 'explicit-deny' | 'implicit-deny' | 'allowed';
  /** Policies with a matching Deny (explicit) or the levels lacking an Allow (implicit). */
  policies: string[];
  description: string;
}

/** The SCP decision for a request in an account: a Deny anywhere, or an Allow at every level. */
function effectiveDecision(levels: readonly Level[], request: ScpRequest): Outcome {
  const denying = new Set<string>();
  const lacking: string[] = [];
  for (const level of levels) {
    const result = evaluatePolicies(
      level.policies.map((p) => p.document),
      request,
    );
    if (result.decision === 'Deny') {
      for (const m of result.matchedStatements) {
        if (m.effect === 'Deny') denying.add(level.policies[m.policyIndex]!.name);
      }
    } else if (result.decision === 'ImplicitDeny') {
      lacking.push(describeNode(level.node));
    }
  }
  if (denying.size > 0) {
    const policies = [...denying].sort();
    return { decision: 'explicit-deny', policies, description: `denied by ${policies.join(', ')}` };
  }
  if (lacking.length > 0) {
    return {
      decision: 'implicit-deny',
      policies: lacking.map((l) => `not allowed at ${l}`),
      description: `not allowed by the SCPs at ${lacking.join(', ')}`,
    };
  }
  return { decision: 'allowed', policies: [], description: 'allowed' };
}

function describeNode(node: OrgNode): string {
  const kind = node.type === 'ROOT' ? 'root' : node.type === 'ORGANIZATIONAL_UNIT' ? 'OU' : 'account';
  return node.name && node.name !== node.id ? `${kind} ${node.name} (${node.id})` : `${kind} ${node.id}`;
}

/** Rewrites every ARN in a sample request to the organization's partition. */
function inPartition(request: ScpRequest, partition: string): ScpRequest {
  const fix = (s: string) => s.replace(/^arn:[a-z-]+:/, `arn:${partition}:`);
  const out: ScpRequest = { ...request, resource: fix(request.resource) };
  if (request.context) {
    out.context = Object.fromEntries(
      Object.entries(request.context).map(([k, v]) => [k, typeof v === 'string' ? fix(v) : v]),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading the organization

export interface CollectResult {
  snapshot: OrgSnapshot;
  /** Calls made, by operation. */
  apiCalls: Record<string, number>;
  /** What could not be read (also recorded on the nodes and policies concerned). */
  errors: { target: string; operation: string; message: string }[];
}

const SCP = 'SERVICE_CONTROL_POLICY';

/**
 * Walks the organization: DescribeOrganization, ListRoots, then for every root and OU its child
 * OUs and accounts, for every target its SCPs (ListPoliciesForTarget), and each distinct policy's
 * content once (DescribePolicy). Pages are followed; up to `concurrency` calls run at once.
 * DescribeOrganization or ListRoots failing fails the whole walk; anything below is recorded on
 * the node (so its accounts come out `unknown`) and in `errors`.
 */
export async function collectOrganization(
  client: OrganizationsClient,
  opts: { concurrency?: number } = {},
): Promise<CollectResult> {
  const apiCalls: Record<string, number> = {};
  const errors: CollectResult['errors'] = [];
  const send = async <T>(operation: string, command: object): Promise<T> => {
    apiCalls[operation] = (apiCalls[operation] ?? 0) + 1;
    return (await client.send(command as never)) as T;
  };
  const limit = pool(opts.concurrency ?? 4);

  const org = await send<{
    Organization?: { Id?: string; Arn?: string; MasterAccountId?: string; FeatureSet?: string };
  }>('DescribeOrganization', new DescribeOrganizationCommand({}));
  const organization = org.Organization ?? {};
  const partition = /^arn:([a-z-]+):/.exec(organization.Arn ?? '')?.[1] ?? 'aws';

  const roots: OrgNode[] = [];
  let token: string | undefined;
  do {
    const page = await send<{
      Roots?: { Id?: string; Name?: string; PolicyTypes?: { Type?: string; Status?: string }[] }[];
      NextToken?: string;
    }>('ListRoots', new ListRootsCommand({ NextToken: token }));
    for (const r of page.Roots ?? []) {
      roots.push({
        id: r.Id ?? '',
        name: r.Name ?? r.Id ?? '',
        type: 'ROOT',
        scpEnabled: (r.PolicyTypes ?? []).some((t) => t.Type === SCP && t.Status === 'ENABLED'),
        children: [],
      });
    }
    token = page.NextToken;
  } while (token);

  const policies: Record<string, OrgPolicy> = {};
  const fail = (node: OrgNode, operation: string, err: unknown) => {
    const message = errorMessage(err);
    errors.push({ target: node.id, operation, message });
    node.error = node.error ? `${node.error}; ${operation}: ${message}` : `${operation}: ${message}`;
  };

  const readPolicies = async (node: OrgNode) => {
    try {
      const ids: string[] = [];
      let next: string | undefined;
      do {
        const page = await limit(() =>
          send<{ Policies?: { Id?: string; Name?: string; AwsManaged?: boolean }[]; NextToken?: string }>(
            'ListPoliciesForTarget',
            new ListPoliciesForTargetCommand({ TargetId: node.id, Filter: SCP, NextToken: next }),
          ),
        );
        for (const p of page.Policies ?? []) {
          if (!p.Id) continue;
          ids.push(p.Id);
          policies[p.Id] ??= { id: p.Id, name: p.Name ?? p.Id, awsManaged: Boolean(p.AwsManaged) };
        }
        next = page.NextToken;
      } while (next);
      node.policyIds = ids;
    } catch (err) {
      fail(node, 'ListPoliciesForTarget', err);
    }
  };

  const readChildren = async (parent: OrgNode): Promise<void> => {
    const children: OrgNode[] = [];
    try {
      let next: string | undefined;
      do {
        const page = await limit(() =>
          send<{ OrganizationalUnits?: { Id?: string; Name?: string }[]; NextToken?: string }>(
            'ListOrganizationalUnitsForParent',
            new ListOrganizationalUnitsForParentCommand({ ParentId: parent.id, NextToken: next }),
          ),
        );
        for (const ou of page.OrganizationalUnits ?? []) {
          children.push({
            id: ou.Id ?? '',
            name: ou.Name ?? ou.Id ?? '',
            type: 'ORGANIZATIONAL_UNIT',
            children: [],
          });
        }
        next = page.NextToken;
      } while (next);
      next = undefined;
      do {
        const page = await limit(() =>
          send<{
            Accounts?: { Id?: string; Name?: string; State?: string; Status?: string }[];
            NextToken?: string;
          }>(
            'ListAccountsForParent',
            new ListAccountsForParentCommand({ ParentId: parent.id, NextToken: next }),
          ),
        );
        for (const a of page.Accounts ?? []) {
          const account: OrgNode = {
            id: a.Id ?? '',
            name: a.Name ?? a.Id ?? '',
            type: 'ACCOUNT',
            children: [],
          };
          const state = a.State ?? a.Status;
          if (state) account.state = state;
          children.push(account);
        }
        next = page.NextToken;
      } while (next);
    } catch (err) {
      fail(parent, 'list children', err);
      // Without its full list of children, nothing under this parent can be judged: an account
      // we could not see would silently drop out of the report. Leave the node without policies
      // so the accounts we did see come out unknown, and the run reports the failure.
      parent.policyIds = undefined;
    }
    parent.children = children;
    await Promise.all(children.map((c) => (c.type === 'ACCOUNT' ? readPolicies(c) : readTree(c))));
  };

  const readTree = async (node: OrgNode): Promise<void> => {
    await readPolicies(node);
    await readChildren(node);
  };
  // Roots: policies first, then the tree below, all in parallel within the pool.
  await Promise.all(roots.map((r) => readTree(r)));

  await Promise.all(
    Object.values(policies).map((p) =>
      limit(async () => {
        try {
          const out = await send<{ Policy?: { Content?: string } }>(
            'DescribePolicy',
            new DescribePolicyCommand({ PolicyId: p.id }),
          );
          if (out.Policy?.Content === undefined) p.error = 'DescribePolicy returned no content';
          else p.content = out.Policy.Content;
        } catch (err) {
          p.error = errorMessage(err);
          errors.push({ target: p.id, operation: 'DescribePolicy', message: p.error });
        }
      }),
    ),
  );

  const snapshot: OrgSnapshot = { partition, roots, policies };
  if (organization.Id) snapshot.organizationId = organization.Id;
  if (organization.MasterAccountId) snapshot.managementAccountId = organization.MasterAccountId;
  if (organization.FeatureSet) snapshot.featureSet = organization.FeatureSet;
  return { snapshot, apiCalls, errors };
}

function errorMessage(err: unknown): string {
  const e = err as { name?: string; message?: string };
  const msg = (e.message ?? String(err)).split('\n')[0] ?? '';
  return e.name && !msg.includes(e.name) ? `${e.name}: ${msg}` : msg;
}

/** A tiny concurrency limiter. */
function pool(size: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= size) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
