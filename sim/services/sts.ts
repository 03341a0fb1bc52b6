/**
 * STS (query protocol): GetCallerIdentity, AssumeRole into scenario roles (issuing `ASIA…` keys
 * the simulator then resolves to the assumed role), GetAccessKeyInfo.
 *
 * AssumeRole is judged as AWS's policy evaluation logic describes it for a role trust policy (a
 * resource-based policy): the IAM engine (`sim/authz.ts`) evaluates the caller's identity policies,
 * boundary and SCPs together with the role's trust policy, `sts:ExternalId` and
 * `sts:RoleSessionName` in the context. From another account both must allow; in the same
 * account a trust policy naming the caller's ARN is enough, one naming the account's root needs
 * the caller's identity policies to allow it as well (IAM user guide, "Cross-account policy
 * evaluation logic" and "How IAM roles differ from resource-based policies"). A scenario role
 * without `trustPolicy` trusts the roots of its `trustedAccounts` (default: its own account), with
 * its `externalId` as a condition.
 */
import { authorize, callerPrincipal } from '../authz';
import { type ActionHandler, type ServiceModule, SimError, type SimSession } from '../core';
import { pInt, pReq, pStr } from '../protocols';
import { accountFromAccessKeyId, makeAccessKeyId } from '../scenario';
import { roleArn, trustPolicy } from './iam';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const ops: Record<string, ActionHandler> = {
  GetCallerIdentity(_ctx, req) {
    return { UserId: req.caller.principalId, Account: req.caller.account, Arn: req.caller.arn };
  },

  async AssumeRole(ctx, req) {
    const arn = pReq(req.params, 'RoleArn');
    const sessionName = pReq(req.params, 'RoleSessionName');
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new SimError(
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        400,
      );
    }
    const denied = (why?: string) =>
      new SimError(
        'AccessDenied',
        `User: ${req.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}${why ? ` ${why}` : ''}`,
        403,
      );
    const m = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
    if (!m) throw new SimError('ValidationError', `${arn} is invalid`, 400);
    if (m[1] !== ctx.state.partition) throw denied();
    const account = ctx.state.accounts.find((a) => a.id === m[2]);
    const role = account?.roles.find((r) => r.name === m[3] && roleArn(ctx, account.id, r) === arn);
    if (!account || !role) throw denied();
    const externalId = pStr(req.params, 'ExternalId');
    const decision = await authorize(ctx, {
      principal: callerPrincipal(ctx, req.caller),
      action: 'sts:AssumeRole',
      resource: arn,
      resourceAccount: account.id,
      region: req.region,
      time: req.time,
      ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
      context: {
        'sts:RoleSessionName': sessionName,
        ...(externalId !== undefined ? { 'sts:ExternalId': externalId } : {}),
      },
      resourcePolicy: trustPolicy(ctx, role),
    });
    if (!decision.allowed) throw denied(decision.why);
    const chained = req.caller.type === 'AssumedRole';
    const duration = pInt(req.params, 'DurationSeconds', 900, 43200) ?? 3600;
    if (duration > role.maxSessionDuration) {
      throw new SimError(
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        400,
      );
    }
    if (chained && duration > 3600) {
      throw new SimError(
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        400,
      );
    }
    const now = ctx.nowMs();
    const session: SimSession = {
      accessKeyId: makeAccessKeyId('ASIA', account.id, () => ctx.ids.int()),
      secretAccessKey: ctx.ids.secret(40),
      sessionToken: ctx.ids.secret(300),
      account: account.id,
      roleName: role.name,
      roleArn: arn,
      roleId: role.id,
      sessionName,
      issuedAt: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      expiresAt: new Date(now + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      sourceArn: req.caller.arn,
    };
    ctx.sessions.set(session.accessKeyId, session);
    const assumed = {
      AssumedRoleId: `${role.id}:${sessionName}`,
      Arn: `arn:${ctx.state.partition}:sts::${account.id}:assumed-role/${role.name}/${sessionName}`,
    };
    req.trail = {
      recipientAccountId: account.id,
      responseElements: {
        credentials: { accessKeyId: session.accessKeyId, expiration: session.expiresAt },
        assumedRoleUser: { assumedRoleId: assumed.AssumedRoleId, arn: assumed.Arn },
      },
    };
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: session.expiresAt,
      },
      AssumedRoleUser: assumed,
    };
  },

  GetAccessKeyInfo(ctx, req) {
    const id = pReq(req.params, 'AccessKeyId');
    const account =
      ctx.sessions.get(id)?.account ??
      ctx.index.accessKey(id)?.account.id ??
      ctx.state.principals.find((p) => p.accessKeyId === id)?.account ??
      accountFromAccessKeyId(id);
    if (!account) throw new SimError('InvalidParameterValue', `The access key ID ${id} is not valid.`, 400);
    return { Account: account };
  },
};

export const sts: ServiceModule = {
  service: 'sts',
  protocol: 'query',
  xmlNamespace: NS,
  throttlingCode: 'Throttling',
  eventSource: 'sts.amazonaws.com',
  actions: ops,
  management: (action) => (action === 'AssumeRole' ? { readOnly: true } : undefined),
};
