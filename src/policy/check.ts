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
  type OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
  paginateListPoliciesForTarget,
  paginateListRoots,
} from '@aws-sdk/client-organizations';
import {
  type ConditionBlock,
  evaluatePolicies,
  isSupportedOperator,
  type PolicyDocument,
  PolicyError,
  type PolicyStatement,
  statementMatches,
  statementsOf,
} from './evaluate';
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

export type ControlStatus = 'in-force' | 'partial' | 'conditional' | 'missing' | 'unknown' | 'not-covered';

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
  const prepared = controls.map((entry) => prepareControl(entry, params, snapshot.partition, resolvedParams));
  const referencePolicies = reference.map((entry) =>
    renderScp(entry, Object.fromEntries(Object.entries(params).filter(([k]) => k in entry.parameters))),
  );
  // Condition keys the samples speak for: those the shipped controls test (a sample without one
  // means the key is absent, as for a key requested without an age) and those a sample carries.
  // A customer's condition on any other key (aws:RequestedRegion, aws:PrincipalArn, …) could go
  // either way, so it never proves a deny nor rules out an allow.
  const catalogKeys = new Set(referencePolicies.flatMap(conditionKeys));
  const knownKeys = knownKeysOf(catalogKeys);
  // Accounts share most levels (the root, their OUs, FullAWSAccess alone): judge each distinct
  // set of policies once per request, and parse each policy once.
  const evaluation: Evaluation = { levels: new Map(), parsed: new Map() };
  const legitimate = legitimateRequests(prepared, referencePolicies);

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
    if (management) {
      verdict.controls = prepared.map((c) => baseVerdict(c.entry.name, 'not-covered', MANAGEMENT_REASON));
      return verdict;
    }
    const disabled =
      disabledReason ??
      (root.scpEnabled === false ? 'the SERVICE_CONTROL_POLICY type is not enabled on the root' : undefined);
    if (disabled) {
      verdict.controls = prepared.map((c) => ({
        ...baseVerdict(c.entry.name, 'missing', disabled),
        notDenied: c.mustDeny.map((r) => r.name),
      }));
      return verdict;
    }
    const levels = readLevels(path, snapshot, evaluation.parsed);
    if ('error' in levels) {
      verdict.controls = prepared.map((c) => baseVerdict(c.entry.name, 'unknown', levels.error));
      return verdict;
    }
    try {
      for (const request of legitimate) {
        const outcome = effectiveDecision(levels.levels, request, knownKeys(request), evaluation);
        if (outcome.decision !== 'allowed') {
          verdict.blocksLegitimate.push({ request: request.name, by: outcome.description });
        }
      }
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      // The controls below come out unknown with the reason; nothing more to say here.
    }
    const decide = (request: ScpRequest) =>
      effectiveDecision(levels.levels, request, knownKeys(request), evaluation);
    verdict.controls = prepared.map(({ entry, mustDeny }) => controlVerdict(entry.name, mustDeny, decide));
    return verdict;
  };

  for (const root of snapshot.roots) walk(root, [], root);
  accounts.sort(
    (a, b) => Number(b.management) - Number(a.management) || a.accountId.localeCompare(b.accountId),
  );

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
      byControl: countByControl(
        prepared.map((c) => c.entry.name),
        accounts,
      ),
    },
  };
}

/** The condition keys a request speaks for: the catalog's and its own (cached per request). */
function knownKeysOf(catalogKeys: ReadonlySet<string>): (request: ScpRequest) => Set<string> {
  const cache = new Map<ScpRequest, Set<string>>();
  return (request) => {
    let known = cache.get(request);
    if (!known) {
      known = new Set([...catalogKeys, ...Object.keys(request.context ?? {}).map((k) => k.toLowerCase())]);
      cache.set(request, known);
    }
    return known;
  };
}

interface PreparedControl {
  entry: ScpEntry;
  mustDeny: ScpRequest[];
  mustAllow: ScpRequest[];
}

/** A control's samples rendered with its own parameters (added to `resolved`), in the partition. */
function prepareControl(
  entry: ScpEntry,
  params: ScpParams,
  partition: string,
  resolved: Record<string, number>,
): PreparedControl {
  // Each control takes only its own parameters (the maximum age is api-key-max-age's).
  const own = Object.fromEntries(Object.entries(params).filter(([k]) => k in entry.parameters));
  Object.assign(resolved, resolveParams(entry, own));
  return {
    entry,
    mustDeny: renderRequests(entry, entry.mustDeny, own).map((r) => inPartition(r, partition)),
    mustAllow: renderRequests(entry, entry.mustAllow, own).map((r) => inPartition(r, partition)),
  };
}

/** The controls' must-allow requests that no shipped control denies, each once. */
function legitimateRequests(
  prepared: readonly PreparedControl[],
  referencePolicies: readonly ReturnType<typeof renderScp>[],
): ScpRequest[] {
  const legitimate: ScpRequest[] = [];
  for (const c of prepared) {
    for (const request of c.mustAllow) {
      if (legitimate.some((r) => r.name === request.name)) continue;
      if (referencePolicies.some((policy) => evaluatePolicies([policy], request).decision === 'Deny'))
        continue;
      legitimate.push(request);
    }
  }
  return legitimate;
}

/** A verdict with nothing denied (yet): the management account, SCPs off, an unreadable level. */
function baseVerdict(control: string, status: ControlStatus, reason?: string): ControlVerdict {
  return { control, status, deniedBy: [], implicitOnly: false, notDenied: [], ...(reason ? { reason } : {}) };
}

/** One control in one account, from the decision on each of its must-deny requests. */
function controlVerdict(
  control: string,
  mustDeny: readonly ScpRequest[],
  decide: (request: ScpRequest) => ReturnType<typeof effectiveDecision>,
): ControlVerdict {
  try {
    const deniedBy = new Set<string>();
    const notDenied: string[] = [];
    const conditional = new Set<string>();
    let explicit = 0;
    let allConditional = true;
    for (const request of mustDeny) {
      const outcome = decide(request);
      if (outcome.decision === 'allowed') {
        notDenied.push(request.name);
        if (outcome.conditional.length === 0) allConditional = false;
        for (const c of outcome.conditional) conditional.add(c);
      } else {
        if (outcome.decision === 'explicit-deny') explicit++;
        for (const by of outcome.policies) deniedBy.add(by);
      }
    }
    const status: ControlStatus =
      notDenied.length === 0
        ? 'in-force'
        : allConditional
          ? 'conditional'
          : notDenied.length === mustDeny.length
            ? 'missing'
            : 'partial';
    const verdict: ControlVerdict = {
      control,
      status,
      deniedBy: [...deniedBy].sort(),
      implicitOnly: status === 'in-force' && explicit === 0,
      notDenied,
    };
    if (conditional.size > 0) {
      verdict.reason = `denied only under conditions this check cannot see: ${[...conditional].sort().join('; ')}`;
    }
    return verdict;
  } catch (err) {
    if (err instanceof PolicyError) return baseVerdict(control, 'unknown', `cannot evaluate: ${err.message}`);
    throw err;
  }
}

/** How many accounts have each control in each status. */
function countByControl(
  controls: readonly string[],
  accounts: readonly AccountVerdict[],
): ScpCheckReport['summary']['byControl'] {
  const byControl: ScpCheckReport['summary']['byControl'] = {};
  for (const name of controls) {
    byControl[name] = { 'in-force': 0, partial: 0, conditional: 0, missing: 0, unknown: 0, 'not-covered': 0 };
  }
  for (const account of accounts) {
    for (const v of account.controls) byControl[v.control]![v.status]++;
  }
  return byControl;
}

interface Level {
  node: OrgNode;
  /** The level's policy ids: levels with the same set judge alike. */
  key: string;
  policies: { name: string; document: PolicyDocument }[];
}

interface LevelResult {
  denying: string[];
  conditional: string[];
  mayAllow: boolean;
}

/** Caches of one check run. */
interface Evaluation {
  levels: Map<ScpRequest, Map<string, LevelResult>>;
  parsed: Map<string, PolicyDocument | undefined>;
}

function readLevels(
  path: OrgNode[],
  snapshot: OrgSnapshot,
  parsed: Map<string, PolicyDocument | undefined>,
): { levels: Level[] } | { error: string } {
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
      if (!parsed.has(id)) {
        try {
          parsed.set(id, JSON.parse(policy.content) as PolicyDocument);
        } catch {
          parsed.set(id, undefined);
        }
      }
      const document = parsed.get(id);
      if (!document) return { error: `policy ${policy.name} is not valid JSON` };
      policies.push({ name: policy.name, document });
    }
    levels.push({ node, key: node.policyIds.join(','), policies });
  }
  return { levels };
}

interface Outcome {
  decision: 'explicit-deny' | 'implicit-deny' | 'allowed';
  /** Policies with a matching Deny (explicit) or the levels lacking an Allow (implicit). */
  policies: string[];
  description: string;
  /** Deny statements that would apply under conditions on keys the check cannot see. */
  conditional: string[];
}

/** One level's policies against a request: certain denies, conditional denies, a possible Allow. */
function judgeLevel(level: Level, request: ScpRequest, known: Set<string>): LevelResult {
  const result: LevelResult = { denying: [], conditional: [], mayAllow: false };
  for (const policy of level.policies) {
    for (const statement of statementsOf(policy.document)) {
      const { certain, unknownKeys } = splitCondition(statement, known);
      if (!statementMatches(certain, request, policy.document.Version)) continue;
      if (statement.Effect === 'Deny') {
        if (unknownKeys.length === 0) result.denying.push(policy.name);
        else result.conditional.push(`${policy.name} (${unknownKeys.join(', ')})`);
      } else {
        result.mayAllow = true;
      }
    }
  }
  return result;
}

/**
 * The SCP decision for a request in an account, proven only from what is known: a Deny anywhere
 * whose conditions involve only known keys, or a level where no Allow could match even if every
 * condition on an unknown key held. Deny statements that match only if conditions on unknown keys
 * hold are reported as `conditional`, not counted.
 */
function effectiveDecision(
  levels: readonly Level[],
  request: ScpRequest,
  known: Set<string>,
  evaluation: Evaluation,
): Outcome {
  const denying = new Set<string>();
  const conditional = new Set<string>();
  const lacking: string[] = [];
  let cache = evaluation.levels.get(request);
  if (!cache) {
    cache = new Map();
    evaluation.levels.set(request, cache);
  }
  for (const level of levels) {
    let result = cache.get(level.key);
    if (!result) {
      result = judgeLevel(level, request, known);
      cache.set(level.key, result);
    }
    for (const d of result.denying) denying.add(d);
    for (const c of result.conditional) conditional.add(c);
    if (!result.mayAllow) lacking.push(describeNode(level.node));
  }
  const cond = [...conditional].sort();
  if (denying.size > 0) {
    const policies = [...denying].sort();
    return {
      decision: 'explicit-deny',
      policies,
      description: `denied by ${policies.join(', ')}`,
      conditional: cond,
    };
  }
  if (lacking.length > 0) {
    return {
      decision: 'implicit-deny',
      policies: lacking.map((l) => `not allowed at ${l}`),
      description: `not allowed by the SCPs at ${lacking.join(', ')}`,
      conditional: cond,
    };
  }
  return { decision: 'allowed', policies: [], description: 'allowed', conditional: cond };
}

/** The statement with its conditions on unknown keys removed, and those keys. */
function splitCondition(
  statement: PolicyStatement,
  known: Set<string>,
): { certain: PolicyStatement; unknownKeys: string[] } {
  const condition = statement.Condition;
  if (!condition || typeof condition !== 'object') return { certain: statement, unknownKeys: [] };
  const kept: ConditionBlock = {};
  const unknownKeys: string[] = [];
  for (const [operator, block] of Object.entries(condition)) {
    if (!isSupportedOperator(operator)) throw new PolicyError(`unsupported condition operator ${operator}`);
    if (!block || typeof block !== 'object' || Array.isArray(block)) {
      kept[operator] = block; // malformed: let the evaluator refuse it
      continue;
    }
    for (const [key, values] of Object.entries(block)) {
      if (known.has(key.toLowerCase())) {
        kept[operator] ??= {};
        kept[operator][key] = values;
      } else if (!unknownKeys.includes(key)) {
        unknownKeys.push(key);
      }
    }
  }
  return { certain: { ...statement, Condition: kept }, unknownKeys };
}

/** Every condition key a policy tests, lower-cased. */
function conditionKeys(policy: PolicyDocument): string[] {
  return statementsOf(policy).flatMap((s) =>
    Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase())),
  );
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
 * content once (DescribePolicy). Pages are followed (the SDK's paginators); up to `concurrency`
 * calls run at once. DescribeOrganization or ListRoots failing fails the whole walk; anything below
 * is recorded on the node (so its accounts come out `unknown`) and in `errors`.
 */
export async function collectOrganization(
  client: OrganizationsClient,
  opts: { concurrency?: number } = {},
): Promise<CollectResult> {
  const reader = new OrgReader(client, opts.concurrency ?? 4);
  const organization = await reader.organization();
  const partition = /^arn:([a-z-]+):/.exec(organization.Arn ?? '')?.[1] ?? 'aws';
  const roots = await reader.roots();
  // Roots: policies first, then the tree below, all in parallel within the pool.
  await Promise.all(roots.map((r) => reader.readTree(r)));
  await reader.readPolicyContents();

  const snapshot: OrgSnapshot = { partition, roots, policies: reader.policies };
  if (organization.Id) snapshot.organizationId = organization.Id;
  if (organization.MasterAccountId) snapshot.managementAccountId = organization.MasterAccountId;
  if (organization.FeatureSet) snapshot.featureSet = organization.FeatureSet;
  return { snapshot, apiCalls: reader.apiCalls, errors: reader.errors };
}

/** The steps of `collectOrganization`, sharing its call counts, errors, policies and pool. */
class OrgReader {
  readonly apiCalls: Record<string, number> = {};
  readonly errors: CollectResult['errors'] = [];
  readonly policies: Record<string, OrgPolicy> = {};
  private readonly limit: ReturnType<typeof pool>;

  constructor(
    private readonly client: OrganizationsClient,
    concurrency: number,
  ) {
    this.limit = pool(concurrency);
  }

  private count(operation: string): void {
    this.apiCalls[operation] = (this.apiCalls[operation] ?? 0) + 1;
  }

  /** Paginator settings that count every page's call under `operation`. */
  private paging(operation: string) {
    return {
      client: this.client,
      withCommand: <C>(command: C) => {
        this.count(operation);
        return command;
      },
    };
  }

  /** The pages of `pages`, each fetched inside the pool. */
  private async *pooled<P>(pages: AsyncIterable<P>): AsyncGenerator<P> {
    const it = pages[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.limit(() => it.next());
      if (next.done) return;
      yield next.value;
    }
  }

  async organization() {
    this.count('DescribeOrganization');
    const org = await this.client.send(new DescribeOrganizationCommand({}));
    return org.Organization ?? {};
  }

  async roots(): Promise<OrgNode[]> {
    const roots: OrgNode[] = [];
    for await (const page of paginateListRoots(this.paging('ListRoots'), {})) {
      for (const r of page.Roots ?? []) {
        roots.push({
          id: r.Id ?? '',
          name: r.Name ?? r.Id ?? '',
          type: 'ROOT',
          scpEnabled: (r.PolicyTypes ?? []).some((t) => t.Type === SCP && t.Status === 'ENABLED'),
          children: [],
        });
      }
    }
    return roots;
  }

  private fail(node: OrgNode, operation: string, err: unknown): void {
    const message = errorMessage(err);
    this.errors.push({ target: node.id, operation, message });
    node.error = node.error ? `${node.error}; ${operation}: ${message}` : `${operation}: ${message}`;
  }

  async readTree(node: OrgNode): Promise<void> {
    await this.readPolicies(node);
    await this.readChildren(node);
  }

  /** The SCPs attached to `node` (their ids on the node, the policies listed once). */
  private async readPolicies(node: OrgNode): Promise<void> {
    try {
      const ids: string[] = [];
      const pages = paginateListPoliciesForTarget(this.paging('ListPoliciesForTarget'), {
        TargetId: node.id,
        Filter: SCP,
      });
      for await (const page of this.pooled(pages)) {
        for (const p of page.Policies ?? []) {
          if (!p.Id) continue;
          ids.push(p.Id);
          this.policies[p.Id] ??= { id: p.Id, name: p.Name ?? p.Id, awsManaged: Boolean(p.AwsManaged) };
        }
      }
      node.policyIds = ids;
    } catch (err) {
      this.fail(node, 'ListPoliciesForTarget', err);
    }
  }

  /** The child OUs and accounts of `parent`, then (in parallel) everything below them. */
  private async readChildren(parent: OrgNode): Promise<void> {
    const children: OrgNode[] = [];
    try {
      const input = { ParentId: parent.id };
      const ous = paginateListOrganizationalUnitsForParent(
        this.paging('ListOrganizationalUnitsForParent'),
        input,
      );
      for await (const page of this.pooled(ous)) {
        for (const ou of page.OrganizationalUnits ?? []) {
          children.push({
            id: ou.Id ?? '',
            name: ou.Name ?? ou.Id ?? '',
            type: 'ORGANIZATIONAL_UNIT',
            children: [],
          });
        }
      }
      const accounts = paginateListAccountsForParent(this.paging('ListAccountsForParent'), {
        ParentId: parent.id,
      });
      for await (const page of this.pooled(accounts)) {
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
      }
    } catch (err) {
      this.fail(parent, 'list children', err);
      // Without its full list of children, nothing under this parent can be judged: an account
      // we could not see would silently drop out of the report. Leave the node without policies
      // so the accounts we did see come out unknown, and the run reports the failure.
      parent.policyIds = undefined;
    }
    parent.children = children;
    await Promise.all(children.map((c) => (c.type === 'ACCOUNT' ? this.readPolicies(c) : this.readTree(c))));
  }

  /** Each distinct policy's content, once. */
  async readPolicyContents(): Promise<void> {
    await Promise.all(
      Object.values(this.policies).map((p) =>
        this.limit(async () => {
          try {
            this.count('DescribePolicy');
            const out = await this.client.send(new DescribePolicyCommand({ PolicyId: p.id }));
            if (out.Policy?.Content === undefined) p.error = 'DescribePolicy returned no content';
            else p.content = out.Policy.Content;
          } catch (err) {
            p.error = errorMessage(err);
            this.errors.push({ target: p.id, operation: 'DescribePolicy', message: p.error });
          }
        }),
      ),
    );
  }
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
