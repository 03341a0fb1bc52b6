/**
 * AWS Organizations (JSON 1.1): DescribeOrganization, ListAccounts (paginated, MaxResults 1..20,
 * with `State` and the retired `Status`), DescribeAccount; and the tree with its service control
 * policies (sim/orgtree.ts): ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent,
 * ListPoliciesForTarget, DescribePolicy, paginated the same way. Only the management account may
 * call them.
 */
import type { ActionHandler, ServiceModule, SimContext, SimRequest } from '../core';
import { SimError } from '../core';
import {
  accountParent,
  FULL_AWS_ACCESS_CONTENT,
  FULL_AWS_ACCESS_ID,
  OU_ID_RE,
  POLICY_ID_RE,
  ROOT_ID_RE,
} from '../orgtree';
import type { SimOrgAccount, SimOrganization } from '../scenario';

function org(ctx: SimContext, req: SimRequest): SimOrganization {
  const o = ctx.state.organization;
  if (!o?.accounts.some((a) => a.id === req.caller.account)) {
    throw new SimError(
      'AWSOrganizationsNotInUseException',
      'Your account is not a member of an organization.',
      400,
    );
  }
  return o;
}

function requireManagement(o: SimOrganization, req: SimRequest): void {
  if (req.caller.account !== o.managementAccount) {
    throw new SimError('AccessDeniedException', "You don't have permissions to access this resource.", 400);
  }
}

/** The retired `Status` field: ACTIVE | SUSPENDED | PENDING_CLOSURE. */
function legacyStatus(state: string): string {
  if (state === 'ACTIVE' || state === 'PENDING_CLOSURE') return state;
  return 'SUSPENDED';
}

function accountShape(ctx: SimContext, o: SimOrganization, a: SimOrgAccount): Record<string, unknown> {
  return {
    Id: a.id,
    Arn: `arn:${ctx.state.partition}:organizations::${o.managementAccount}:account/${o.id}/${a.id}`,
    Email: a.email,
    Name: a.name,
    Status: legacyStatus(a.state),
    State: a.state,
    JoinedMethod: a.joinedMethod,
    JoinedTimestamp: new Date(a.joinedAt),
  };
}

/**
 * One page of a list, as Organizations pages: `MaxResults` 1..20 (default 20), an opaque
 * `NextToken` bound to the listing it came from.
 */
function page<T>(
  req: SimRequest,
  items: readonly T[],
  kind: string,
  key: string,
  shape: (item: T) => unknown,
): Record<string, unknown> {
  const max = req.params.MaxResults;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 20)) {
    throw new SimError(
      'InvalidInputException',
      'You provided a value that does not match the required pattern: MaxResults must be between 1 and 20.',
      400,
    );
  }
  const size = (max as number | undefined) ?? 20;
  let start = 0;
  const token = req.params.NextToken;
  if (token !== undefined) {
    const text = typeof token === 'string' ? Buffer.from(token, 'base64').toString('utf8') : '';
    const n = text.startsWith(`${kind}:`) ? Number(text.slice(kind.length + 1)) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > items.length) {
      throw new SimError('InvalidInputException', 'The provided NextToken is not valid.', 400);
    }
    start = n;
  }
  const out: Record<string, unknown> = { [key]: items.slice(start, start + size).map(shape) };
  if (start + size < items.length) out.NextToken = Buffer.from(`${kind}:${start + size}`).toString('base64');
  return out;
}

function idParam(req: SimRequest, name: string, re: RegExp): string {
  const v = req.params[name];
  if (typeof v !== 'string' || !re.test(v)) {
    throw new SimError(
      'InvalidInputException',
      `You provided a value that does not match the required pattern: ${name}.`,
      400,
    );
  }
  return v;
}

const PARENT_RE = new RegExp(`${ROOT_ID_RE.source}|${OU_ID_RE.source}`);
const TARGET_RE = new RegExp(`${ROOT_ID_RE.source}|^\\d{12}$|${OU_ID_RE.source}`);
const POLICY_TYPES = [
  'SERVICE_CONTROL_POLICY',
  'RESOURCE_CONTROL_POLICY',
  'DECLARATIVE_POLICY_EC2',
  'BACKUP_POLICY',
  'TAG_POLICY',
  'CHATBOT_POLICY',
  'AISERVICES_OPT_OUT_POLICY',
  'SECURITYHUB_POLICY',
  'INSPECTOR_POLICY',
  'BEDROCK_POLICY',
  'UPGRADE_ROLLOUT_POLICY',
];

function orgArn(ctx: SimContext, o: SimOrganization, rest: string): string {
  return `arn:${ctx.state.partition}:organizations::${o.managementAccount}:${rest}`;
}

function parentExists(o: SimOrganization, id: string): boolean {
  return id === o.rootId || o.ous.some((u) => u.id === id);
}

/** The request's `ParentId`: well-formed (else InvalidInputException) and a root or OU of the organization. */
function parentParam(o: SimOrganization, req: SimRequest): string {
  const parent = idParam(req, 'ParentId', PARENT_RE);
  if (!parentExists(o, parent)) {
    throw new SimError(
      'ParentNotFoundException',
      "We can't find a root or OU with the ParentId that you specified.",
      400,
    );
  }
  return parent;
}

/** The SCPs attached directly to a target, FullAWSAccess first as AWS lists it. */
function policiesFor(
  o: SimOrganization,
  target: string,
): { id: string; name: string; description: string; content: string; aws: boolean }[] {
  const out: { id: string; name: string; description: string; content: string; aws: boolean }[] = [];
  if (o.fullAWSAccess.includes(target)) {
    out.push({
      id: FULL_AWS_ACCESS_ID,
      name: 'FullAWSAccess',
      description: 'Allows access to every operation',
      content: FULL_AWS_ACCESS_CONTENT,
      aws: true,
    });
  }
  for (const p of o.policies) {
    if (p.targets.includes(target)) out.push({ ...p, aws: false });
  }
  return out;
}

function policySummary(
  ctx: SimContext,
  o: SimOrganization,
  p: { id: string; name: string; description: string; aws: boolean },
) {
  return {
    Id: p.id,
    Arn: p.aws
      ? `arn:${ctx.state.partition}:organizations::aws:policy/service_control_policy/${p.id}`
      : orgArn(ctx, o, `policy/${o.id}/service_control_policy/${p.id}`),
    Name: p.name,
    Description: p.description,
    Type: 'SERVICE_CONTROL_POLICY',
    AwsManaged: p.aws,
  };
}

const ops: Record<string, ActionHandler> = {
  DescribeOrganization(ctx, req) {
    const o = org(ctx, req);
    return {
      Organization: {
        Id: o.id,
        Arn: `arn:${ctx.state.partition}:organizations::${o.managementAccount}:organization/${o.id}`,
        FeatureSet: o.featureSet,
        MasterAccountArn: `arn:${ctx.state.partition}:organizations::${o.managementAccount}:account/${o.id}/${o.managementAccount}`,
        MasterAccountId: o.managementAccount,
        MasterAccountEmail: o.managementAccountEmail,
        AvailablePolicyTypes: [],
      },
    };
  },

  ListAccounts(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    return page(req, o.accounts, 'o', 'Accounts', (a) => accountShape(ctx, o, a));
  },

  DescribeAccount(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    const id = req.params.AccountId;
    const a = o.accounts.find((x) => x.id === id);
    if (!a) {
      throw new SimError('AccountNotFoundException', "You specified an account that doesn't exist.", 400);
    }
    return { Account: accountShape(ctx, o, a) };
  },
  ListRoots(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    return page(req, [o.rootId], 'r', 'Roots', (id) => ({
      Id: id,
      Arn: orgArn(ctx, o, `root/${o.id}/${id}`),
      Name: 'Root',
      PolicyTypes: o.scpEnabled ? [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] : [],
    }));
  },

  ListOrganizationalUnitsForParent(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    const parent = parentParam(o, req);
    const units = o.ous.filter((u) => u.parent === parent);
    return page(req, units, `u${parent}`, 'OrganizationalUnits', (u) => ({
      Id: u.id,
      Arn: orgArn(ctx, o, `ou/${o.id}/${u.id}`),
      Name: u.name,
    }));
  },

  ListAccountsForParent(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    const parent = parentParam(o, req);
    const accounts = o.accounts.filter((a) => accountParent(o, a.id) === parent);
    return page(req, accounts, `a${parent}`, 'Accounts', (a) => accountShape(ctx, o, a));
  },

  ListPoliciesForTarget(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    const target = idParam(req, 'TargetId', TARGET_RE);
    const filter = req.params.Filter;
    if (typeof filter !== 'string' || !POLICY_TYPES.includes(filter)) {
      throw new SimError(
        'InvalidInputException',
        'You provided a value that does not match the required pattern: Filter.',
        400,
      );
    }
    if (!parentExists(o, target) && !o.accounts.some((a) => a.id === target)) {
      throw new SimError(
        'TargetNotFoundException',
        "We can't find a root, OU, account, or email that you specified.",
        400,
      );
    }
    const policies = filter === 'SERVICE_CONTROL_POLICY' ? policiesFor(o, target) : [];
    return page(req, policies, `p${target}`, 'Policies', (p) => policySummary(ctx, o, p));
  },

  DescribePolicy(ctx, req) {
    const o = org(ctx, req);
    requireManagement(o, req);
    const id = idParam(req, 'PolicyId', POLICY_ID_RE);
    if (id === FULL_AWS_ACCESS_ID) {
      return {
        Policy: {
          PolicySummary: policySummary(ctx, o, {
            id,
            name: 'FullAWSAccess',
            description: 'Allows access to every operation',
            aws: true,
          }),
          Content: FULL_AWS_ACCESS_CONTENT,
        },
      };
    }
    const p = o.policies.find((x) => x.id === id);
    if (!p)
      throw new SimError(
        'PolicyNotFoundException',
        "We can't find a policy with the PolicyId that you specified.",
        400,
      );
    return { Policy: { PolicySummary: policySummary(ctx, o, { ...p, aws: false }), Content: p.content } };
  },
};

export const organizations: ServiceModule = {
  service: 'organizations',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AWSOrganizationsV20161128',
  // The contract names ThrottlingException for JSON services; both it and AWS's TooManyRequestsException are retried by the SDKs.
  throttlingCode: 'ThrottlingException',
  global: true,
  eventSource: 'organizations.amazonaws.com',
  actions: ops,
};
