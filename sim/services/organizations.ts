/**
 * AWS Organizations (JSON 1.1): DescribeOrganization, ListAccounts (paginated, MaxResults 1..20,
 * with `State` and the retired `Status`), DescribeAccount. Only the management account may list.
 */
import type { ActionHandler, ServiceModule, SimContext, SimRequest } from '../core';
import { SimError } from '../core';
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
      const n =
        typeof token === 'string'
          ? Number(Buffer.from(token, 'base64').toString('utf8').replace(/^o:/, ''))
          : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > o.accounts.length) {
        throw new SimError('InvalidInputException', 'The provided NextToken is not valid.', 400);
      }
      start = n;
    }
    const slice = o.accounts.slice(start, start + size);
    const out: Record<string, unknown> = { Accounts: slice.map((a) => accountShape(ctx, o, a)) };
    if (start + size < o.accounts.length) out.NextToken = Buffer.from(`o:${start + size}`).toString('base64');
    return out;
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
};

export const organizations: ServiceModule = {
  service: 'organizations',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AWSOrganizationsV20161128',
  // The contract names ThrottlingException for JSON services; both it and AWS's TooManyRequestsException are retried by the SDKs.
  throttlingCode: 'ThrottlingException',
  eventSource: 'organizations.amazonaws.com',
  actions: ops,
};
