/**
 * The organization's tree and its service control policies, for the Organizations module:
 * the root, OUs (flat, each naming its parent), which OU each account sits in, and the SCPs with
 * their targets. Scenario form (all optional, under `organization`):
 *
 *   "rootId": "r-ab12",                       // default derived from the organization id
 *   "scpEnabled": true,                       // default: true with featureSet ALL, else false
 *   "ous": [ { "id": "ou-ab12-11111111", "name": "prod", "parent": "r-ab12" | "<OU id or name>",
 *              "accounts": ["222222222222"] } ],       // parent default: the root
 *   "policies": [ { "id": "p-…", "name": "…", "description": "…",
 *                   "content": { …policy… } | "…JSON text…", "targets": ["r-…", "ou-…", "<OU name>", "<account>"] } ],
 *   "fullAWSAccess": ["r-…", …]               // targets holding FullAWSAccess; default: every root, OU and account
 *
 * The normalised form (what `/_sim/state` shows) is the same shape with every id, parent and
 * target resolved to ids and every content a JSON string, so it loads again as a scenario.
 * The shape is checked by sim/schemas/scenario.schema.json; the rest follows AWS's own rules: ids match the API's patterns, an SCP is at most 5,120
 * characters without whitespace outside strings, a target holds at most 5 SCPs and, while SCPs
 * are enabled, at least one (AWS refuses to detach the last); with SCPs disabled nothing is attached.
 */
import { type IdMaker, ScenarioError, type ScenarioOrganization } from './scenario';

export const FULL_AWS_ACCESS_ID = 'p-FullAWSAccess';
export const FULL_AWS_ACCESS_CONTENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

export const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
export const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const POLICY_ID_RE = /^p-[0-9a-zA-Z_]{8,128}$/;
const SCP_MAX_CHARS = 5120;
const SCPS_PER_TARGET = 5;

export interface SimOrgUnit {
  id: string;
  name: string;
  /** Root or OU id. */
  parent: string;
  /** Account ids placed directly in this OU. */
  accounts: string[];
}

export interface SimOrgPolicy {
  id: string;
  name: string;
  description: string;
  /** The policy text, as DescribePolicy returns it. */
  content: string;
  /** Root, OU and account ids it is attached to. */
  targets: string[];
}

export interface SimOrgTree {
  rootId: string;
  scpEnabled: boolean;
  ous: SimOrgUnit[];
  policies: SimOrgPolicy[];
  /** Targets holding the AWS-managed FullAWSAccess SCP. */
  fullAWSAccess: string[];
}

function fail(path: string, problem: string): never {
  throw new ScenarioError(path, problem);
}
const lower = (s: string) => s.toLowerCase();

/**
 * Resolves the tree fields of `organization` (their shape is checked by the scenario schema)
 * against the organization's members and returns the normalised tree; throws `ScenarioError` for
 * what AWS would refuse and a schema cannot say (references, cycles, SCP sizes and counts).
 */
export function validateOrgTree(
  o: ScenarioOrganization,
  path: string,
  ctx: { orgId: string; featureSet: string; members: string[]; ids: IdMaker },
): SimOrgTree {
  const rootId = o.rootId ?? `r-${ctx.orgId.slice(2, 6)}`;
  if (o.scpEnabled && ctx.featureSet !== 'ALL') {
    fail(`${path}.scpEnabled`, 'SCPs need featureSet ALL (consolidated billing has no policies)');
  }
  const scpEnabled = o.scpEnabled ?? ctx.featureSet === 'ALL';
  const ous = resolveOus(o.ous ?? [], `${path}.ous`, rootId, ctx);
  const containerId = containerResolver(rootId, ous);
  const targetId = (ref: string, p: string): string => {
    if (ctx.members.includes(ref)) return ref;
    const id = containerId(ref, p);
    if (!id) fail(p, `no root, OU or member account ${JSON.stringify(ref)}`);
    return id;
  };
  const allTargets = [rootId, ...ous.map((u) => u.id), ...ctx.members];
  const fullAWSAccess =
    o.fullAWSAccess === undefined
      ? scpEnabled
        ? allTargets
        : []
      : o.fullAWSAccess.map((t, i) => targetId(t, `${path}.fullAWSAccess[${i}]`));
  const policies: SimOrgPolicy[] = (o.policies ?? []).map((x, i) => {
    const p = `${path}.policies[${i}]`;
    const id = x.id ?? `p-${lower(ctx.ids.next('', 8))}`;
    if (id === FULL_AWS_ACCESS_ID) fail(`${p}.id`, 'p-FullAWSAccess is AWS-managed: use fullAWSAccess');
    const content = scpContent(x.content, `${p}.content`);
    const targets = (x.targets ?? []).map((t, j) => targetId(t, `${p}.targets[${j}]`));
    if (targets.length > 0 && !scpEnabled)
      fail(`${p}.targets`, 'SCPs are not enabled, so nothing can be attached');
    return { id, name: x.name, description: x.description ?? '', content, targets: [...new Set(targets)] };
  });
  policies.forEach((x, i) => {
    if (policies.findIndex((y) => y.id === x.id) !== i)
      fail(`${path}.policies[${i}].id`, `duplicate id ${x.id}`);
    if (policies.findIndex((y) => y.name === x.name) !== i) {
      fail(`${path}.policies[${i}].name`, `duplicate name ${x.name}`);
    }
  });
  if (scpEnabled) checkScpCounts(allTargets, policies, fullAWSAccess, path);
  return { rootId, scpEnabled, ous, policies, fullAWSAccess: [...new Set(fullAWSAccess)] };
}

type ScenarioOu = NonNullable<ScenarioOrganization['ous']>[number];

/** A root id, OU id or unique OU name → id (undefined when there is none). */
function containerResolver(rootId: string, ous: SimOrgUnit[]) {
  return (ref: string, p: string): string | undefined => {
    if (ref === rootId || ous.some((u) => u.id === ref)) return ref;
    const named = ous.filter((u) => u.name === ref);
    if (named.length > 1) fail(p, `OU name ${JSON.stringify(ref)} is not unique: use its id`);
    return named[0]?.id;
  };
}

/** OUs: ids first (so parents can be named in any order), then parents and accounts, then no cycles. */
function resolveOus(
  ousIn: ScenarioOu[],
  path: string,
  rootId: string,
  ctx: { members: string[]; ids: IdMaker },
): SimOrgUnit[] {
  const suffix = rootId.slice(2);
  const ous: SimOrgUnit[] = ousIn.map((u) => ({
    id: u.id ?? `ou-${suffix}-${lower(ctx.ids.next('', 8))}`,
    name: u.name,
    parent: rootId,
    accounts: [],
  }));
  const seenIds = new Set<string>([rootId]);
  ous.forEach((u, i) => {
    if (seenIds.has(u.id)) fail(`${path}[${i}].id`, `duplicate id ${u.id}`);
    seenIds.add(u.id);
  });
  const containerId = containerResolver(rootId, ous);
  const placed = new Map<string, string>();
  ousIn.forEach((u, i) => {
    const p = `${path}[${i}]`;
    const unit = ous[i]!;
    if (u.parent !== undefined) {
      const parent = containerId(u.parent, `${p}.parent`);
      if (!parent) fail(`${p}.parent`, `no root or OU ${JSON.stringify(u.parent)}`);
      if (parent === unit.id) fail(`${p}.parent`, 'an OU cannot be its own parent');
      unit.parent = parent;
    }
    (u.accounts ?? []).forEach((id, j) => {
      const ap = `${p}.accounts[${j}]`;
      if (!ctx.members.includes(id)) fail(ap, `account ${id} is not a member of the organization`);
      if (placed.has(id)) fail(ap, `account ${id} is already in ${placed.get(id)}`);
      placed.set(id, unit.id);
      unit.accounts.push(id);
    });
  });
  // Every OU must reach the root (no cycles).
  ous.forEach((u, i) => {
    const seen = new Set<string>();
    let at: string = u.id;
    while (at !== rootId) {
      if (seen.has(at)) fail(`${path}[${i}].parent`, `OU ${u.id} is in a parent cycle`);
      seen.add(at);
      at = ous.find((x) => x.id === at)!.parent;
    }
  });
  return ous;
}

/** The policy text as DescribePolicy returns it; JSON with a Statement, at most 5,120 characters. */
function scpContent(raw: unknown, p: string): string {
  const content = typeof raw === 'string' ? raw : JSON.stringify(raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    fail(p, 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('Statement' in parsed)) {
    fail(p, 'must have a Statement');
  }
  const size = JSON.stringify(parsed).length;
  if (size > SCP_MAX_CHARS) fail(p, `is ${size} characters; an SCP holds at most ${SCP_MAX_CHARS}`);
  return content;
}

/** While SCPs are enabled, every root, OU and account holds between 1 and 5 SCPs. */
function checkScpCounts(
  allTargets: string[],
  policies: SimOrgPolicy[],
  fullAWSAccess: string[],
  path: string,
): void {
  for (const target of allTargets) {
    const count =
      policies.filter((x) => x.targets.includes(target)).length + (fullAWSAccess.includes(target) ? 1 : 0);
    if (count === 0) {
      fail(
        `${path}.fullAWSAccess`,
        `${target} would hold no SCP; AWS keeps at least one on every root, OU and account`,
      );
    }
    if (count > SCPS_PER_TARGET) {
      fail(`${path}.policies`, `${target} would hold ${count} SCPs; AWS allows at most ${SCPS_PER_TARGET}`);
    }
  }
}

/** The parent (root or OU id) of an account. */
export function accountParent(tree: SimOrgTree, accountId: string): string {
  return tree.ous.find((u) => u.accounts.includes(accountId))?.id ?? tree.rootId;
}
