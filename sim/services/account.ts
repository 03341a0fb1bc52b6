/**
 * AWS Account Management (REST-JSON, scope `account`): ListRegions, answered from the account's
 * `regions` — the regions the simulated account uses, all enabled (`ENABLED_BY_DEFAULT`, or
 * `ENABLED` for opt-in regions). `AccountId` names another account of the organization (the
 * management account may ask for members); `RegionOptStatusContains` filters; MaxResults/NextToken
 * paginate.
 */
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';

/** Regions AWS enables by default (launched before March 2019); the rest are opt-in. */
const OPT_IN =
  /^(af-south-1|ap-east-1|ap-south-2|ap-southeast-[3-7]|ca-west-1|eu-central-2|eu-south-[12]|il-central-1|me-central-1|me-south-1|mx-central-1)$/;

function listRegions(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const target = typeof p.AccountId === 'string' ? p.AccountId : req.caller.account;
  if (target !== req.caller.account) {
    const org = ctx.state.organization;
    if (!org || org.managementAccount !== req.caller.account || !org.accounts.some((a) => a.id === target)) {
      throw new SimError(
        'AccessDeniedException',
        `User: ${req.caller.arn} is not authorized to perform: account:ListRegions on account ${target}`,
        403,
      );
    }
  }
  const statuses = Array.isArray(p.RegionOptStatusContains)
    ? (p.RegionOptStatusContains as string[])
    : undefined;
  const all = ctx
    .account(target)
    .regions.map((r) => ({
      RegionName: r,
      RegionOptStatus: OPT_IN.test(r) ? 'ENABLED' : 'ENABLED_BY_DEFAULT',
    }))
    .filter((r) => !statuses || statuses.includes(r.RegionOptStatus));
  const max = typeof p.MaxResults === 'number' ? p.MaxResults : 50;
  if (!Number.isInteger(max) || max < 1 || max > 50) {
    throw new SimError('ValidationException', 'MaxResults must be between 1 and 50.', 400);
  }
  const start = typeof p.NextToken === 'string' ? Number(p.NextToken) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new SimError('ValidationException', 'Invalid NextToken.', 400);
  const page = all.slice(start, start + max);
  return { Regions: page, ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
}

export const account: ServiceModule = {
  service: 'account',
  protocol: 'rest-json',
  throttlingCode: 'TooManyRequestsException',
  eventSource: 'account.amazonaws.com',
  global: true,
  actions: { ListRegions: listRegions },
  route: (method, path) =>
    method.toUpperCase() === 'POST' && path === '/listRegions'
      ? { action: 'ListRegions', pathParams: {} as Record<string, string> }
      : undefined,
  // A read: not recorded (as for the other services of the simulator).
  management: () => undefined,
};
