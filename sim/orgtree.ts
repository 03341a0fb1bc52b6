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
 * Validation follows AWS's own rules: ids match the API's patterns, an SCP is at most 5,120
 * characters without whitespace outside strings, a target holds at most 5 SCPs and, while SCPs
 * are enabled, at least one (AWS refuses to detach the last); with SCPs disabled nothing is attached.
 */
import { type IdMaker, ScenarioError } from './scenario';

export const FULL_AWS_ACCESS_ID = 'p-FullAWSAccess';
export const FULL_AWS_ACCESS_CONTENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

/** The `organization` fields this module validates. */
export const ORG_TREE_FIELDS = ['rootId', 'scpEnabled', 'ous', 'policies', 'fullAWSAccess'] as const;

export const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
export const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const POLICY_ID_RE = /^p-[0-9a-zA-Z_]{8,128}$/;
const ACCOUNT_RE = /^\d{12}$/;
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

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw new ScenarioError(path, problem);
}
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) fail(path, 'must be an object');
  return v;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}
function str(v: unknown, path: string, re?: RegExp, what?: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (re && !re.test(v)) fail(path, `${JSON.stringify(v)} is not ${what ?? 'valid'}`);
  return v;
}
function noUnknown(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}
const lower = (s: string) => s.toLowerCase();

/**
 * Validates the tree fields of `organization` (the caller has checked the rest) against the
 * organization's members and returns the normalised tree.
 */
export function validateOrgTree(
  o: Obj,
  path: string,
  ctx: { orgId: string; featureSet: string; members: string[]; ids: IdMaker },
): SimOrgTree {
  const rootId =
    o.rootId === undefined
      ? `r-${ctx.orgId.slice(2, 6)}`
      : str(o.rootId, `${path}.rootId`, ROOT_ID_RE, 'a root id (r-…)');
  const suffix = rootId.slice(2);
  let scpEnabled = ctx.featureSet === 'ALL';
  if (o.scpEnabled !== undefined) {
    if (typeof o.scpEnabled !== 'boolean') fail(`${path}.scpEnabled`, 'must be true or false');
    if (o.scpEnabled && ctx.featureSet !== 'ALL') {
      fail(`${path}.scpEnabled`, 'SCPs need featureSet ALL (consolidated billing has no policies)');
    }
    scpEnabled = o.scpEnabled;
  }

  // OUs: ids first (so parents can be named in any order), then parents and accounts.
  const ousIn =
    o.ous === undefined ? [] : arr(o.ous, `${path}.ous`).map((u, i) => obj(u, `${path}.ous[${i}]`));
  const ous: SimOrgUnit[] = ousIn.map((u, i) => {
    const p = `${path}.ous[${i}]`;
    noUnknown(u, p, ['id', 'name', 'parent', 'accounts']);
    const name = str(u.name, `${p}.name`, /^[\s\S]{1,128}$/, 'an OU name (1-128 characters)');
    const id =
      u.id === undefined
        ? `ou-${suffix}-${lower(ctx.ids.next('', 8))}`
        : str(u.id, `${p}.id`, OU_ID_RE, 'an OU id (ou-…-…)');
    return { id, name, parent: rootId, accounts: [] };
  });
  const seenIds = new Set<string>([rootId]);
  ous.forEach((u, i) => {
    if (seenIds.has(u.id)) fail(`${path}.ous[${i}].id`, `duplicate id ${u.id}`);
    seenIds.add(u.id);
  });
  /** A root id, OU id or unique OU name → id. */
  const containerId = (ref: string, p: string): string | undefined => {
    if (ref === rootId || ous.some((u) => u.id === ref)) return ref;
    const named = ous.filter((u) => u.name === ref);
    if (named.length > 1) fail(p, `OU name ${JSON.stringify(ref)} is not unique: use its id`);
    return named[0]?.id;
  };
  const placed = new Map<string, string>();
  ousIn.forEach((u, i) => {
    const p = `${path}.ous[${i}]`;
    const unit = ous[i]!;
    if (u.parent !== undefined) {
      const ref = str(u.parent, `${p}.parent`);
      const parent = containerId(ref, `${p}.parent`);
      if (!parent) fail(`${p}.parent`, `no root or OU ${JSON.stringify(ref)}`);
      if (parent === unit.id) fail(`${p}.parent`, 'an OU cannot be its own parent');
      unit.parent = parent;
    }
    if (u.accounts !== undefined) {
      arr(u.accounts, `${p}.accounts`).forEach((a, j) => {
        const ap = `${p}.accounts[${j}]`;
        const id = str(a, ap, ACCOUNT_RE, 'a 12-digit account id');
        if (!ctx.members.includes(id)) fail(ap, `account ${id} is not a member of the organization`);
        if (placed.has(id)) fail(ap, `account ${id} is already in ${placed.get(id)}`);
        placed.set(id, unit.id);
        unit.accounts.push(id);
      });
    }
  });
  // Every OU must reach the root (no cycles).
  ous.forEach((u, i) => {
    const seen = new Set<string>();
    let at: string = u.id;
    while (at !== rootId) {
      if (seen.has(at)) fail(`${path}.ous[${i}].parent`, `OU ${u.id} is in a parent cycle`);
      seen.add(at);
      at = ous.find((x) => x.id === at)!.parent;
    }
  });

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
      : arr(o.fullAWSAccess, `${path}.fullAWSAccess`).map((t, i) =>
          targetId(str(t, `${path}.fullAWSAccess[${i}]`), `${path}.fullAWSAccess[${i}]`),
        );

  const policiesIn =
    o.policies === undefined
      ? []
      : arr(o.policies, `${path}.policies`).map((x, i) => obj(x, `${path}.policies[${i}]`));
  const policies: SimOrgPolicy[] = policiesIn.map((x, i) => {
    const p = `${path}.policies[${i}]`;
    noUnknown(x, p, ['id', 'name', 'description', 'content', 'targets']);
    const id =
      x.id === undefined
        ? `p-${lower(ctx.ids.next('', 8))}`
        : str(x.id, `${p}.id`, POLICY_ID_RE, 'a policy id (p-…)');
    if (id === FULL_AWS_ACCESS_ID) fail(`${p}.id`, 'p-FullAWSAccess is AWS-managed: use fullAWSAccess');
    const name = str(x.name, `${p}.name`, /^[\s\S]{1,128}$/, 'a policy name (1-128 characters)');
    const description = x.description === undefined ? '' : str(x.description, `${p}.description`);
    let content: string;
    if (typeof x.content === 'string') content = x.content;
    else if (isObj(x.content)) content = JSON.stringify(x.content);
    else fail(`${p}.content`, 'must be a policy document (object or JSON text)');
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      fail(`${p}.content`, 'is not valid JSON');
    }
    if (!isObj(parsed) || parsed.Statement === undefined) fail(`${p}.content`, 'must have a Statement');
    const size = JSON.stringify(parsed).length;
    if (size > SCP_MAX_CHARS)
      fail(`${p}.content`, `is ${size} characters; an SCP holds at most ${SCP_MAX_CHARS}`);
    const targets =
      x.targets === undefined
        ? []
        : arr(x.targets, `${p}.targets`).map((t, j) =>
            targetId(str(t, `${p}.targets[${j}]`), `${p}.targets[${j}]`),
          );
    if (targets.length > 0 && !scpEnabled)
      fail(`${p}.targets`, 'SCPs are not enabled, so nothing can be attached');
    return { id, name, description, content, targets: [...new Set(targets)] };
  });
  policies.forEach((x, i) => {
    if (policies.findIndex((y) => y.id === x.id) !== i)
      fail(`${path}.policies[${i}].id`, `duplicate id ${x.id}`);
    if (policies.findIndex((y) => y.name === x.name) !== i) {
      fail(`${path}.policies[${i}].name`, `duplicate name ${x.name}`);
    }
  });

  if (scpEnabled) {
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
  return { rootId, scpEnabled, ous, policies, fullAWSAccess: [...new Set(fullAWSAccess)] };
}

/** The parent (root or OU id) of an account. */
export function accountParent(tree: SimOrgTree, accountId: string): string {
  return tree.ous.find((u) => u.accounts.includes(accountId))?.id ?? tree.rootId;
}
