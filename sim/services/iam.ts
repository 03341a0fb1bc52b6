/**
 * IAM (query protocol, namespace https://iam.amazonaws.com/doc/2010-05-08/). The operations and
 * semantics the toolkit depends on, as AWS answers them: shapes, error codes and statuses from the
 * botocore model; messages as IAM words them.
 */
import { awsManagedPolicy } from '../authz';
import {
  type ActionHandler,
  isoSeconds,
  type ServiceModule,
  type SimContext,
  SimError,
  type SimRequest,
} from '../core';
import { type Params, pBool, pInt, pList, pReq, pStr, pTags } from '../protocols';
import {
  makeAccessKeyId,
  type PolicyDocument,
  SERVICE_USER_NAME_SERVICES,
  type SimAccount,
  type SimGroup,
  type SimPolicy,
  type SimRole,
  type SimServiceCredential,
  type SimUser,
  sscAlias,
  sscStatus,
} from '../scenario';

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** Services that issue service-specific credentials (others answer NotSupportedService). */
export const SSC_SERVICES = [
  'codecommit.amazonaws.com',
  'cassandra.amazonaws.com',
  'bedrock.amazonaws.com',
  'aws-external-anthropic.amazonaws.com',
  'logs.amazonaws.com',
];

const USER_NAME_RE = /^[\w+=,.@-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function acct(ctx: SimContext, req: SimRequest): SimAccount {
  return ctx.account(req.caller.account);
}

function userArn(ctx: SimContext, account: string, u: { path: string; name: string }): string {
  return `arn:${ctx.state.partition}:iam::${account}:user${u.path}${u.name}`;
}

function noUser(name: string): SimError {
  return new SimError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
}

function getUser(ctx: SimContext, account: SimAccount, name: string): SimUser {
  const u = ctx.index.user(account.id, name);
  if (!u) throw noUser(name);
  return u;
}

/**
 * The user an operation targets: `UserName`, else the calling IAM user. A caller that is not an
 * IAM user must name one. Returns null for the synthetic `sim-admin` (which owns nothing).
 */
function targetUser(ctx: SimContext, req: SimRequest, account: SimAccount): SimUser | null {
  const name = pStr(req.params, 'UserName');
  if (name !== undefined) return getUser(ctx, account, name);
  if (req.caller.type !== 'IAMUser' || req.caller.userName === undefined) {
    throw new SimError(
      'ValidationError',
      'Must specify userName when calling with non-User credentials',
      400,
    );
  }
  return ctx.index.user(account.id, req.caller.userName) ?? null;
}

function targetUserStrict(ctx: SimContext, req: SimRequest, account: SimAccount): SimUser {
  const u = targetUser(ctx, req, account);
  if (!u) throw noUser(req.caller.userName ?? '');
  return u;
}

/** Opaque pagination markers: the offset of the next item plus its key, so a page survives edits. */
function encodeMarker(offset: number, key: string): string {
  return Buffer.from(`${offset}|${key}`, 'utf8').toString('base64');
}

function decodeMarker(marker: string): { offset: number; key: string } {
  const text = Buffer.from(marker, 'base64').toString('utf8');
  const bar = text.indexOf('|');
  const offset = Number(text.slice(0, bar));
  if (bar < 0 || !Number.isInteger(offset) || offset < 0) {
    throw new SimError('ValidationError', 'Invalid Marker.', 400);
  }
  return { offset, key: text.slice(bar + 1) };
}

function maxItems(p: Params, def = 100): number {
  return pInt(p, 'MaxItems', 1, 1000) ?? def;
}

/** One page of `items` (keyed by `keyOf`) from `Marker`, `MaxItems`. */
function page<T>(
  items: readonly T[],
  p: Params,
  keyOf: (t: T) => string,
  def = 100,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const max = maxItems(p, def);
  let start = 0;
  const marker = pStr(p, 'Marker');
  if (marker !== undefined) {
    const m = decodeMarker(marker);
    if (m.offset < items.length && keyOf(items[m.offset]!) === m.key) start = m.offset;
    else {
      const i = items.findIndex((t) => keyOf(t) === m.key);
      start = i >= 0 ? i : Math.min(m.offset, items.length);
    }
  }
  const slice = items.slice(start, start + max);
  const next = start + max;
  if (next < items.length)
    return { items: slice, IsTruncated: true, Marker: encodeMarker(next, keyOf(items[next]!)) };
  return { items: slice, IsTruncated: false };
}

/** Like `page`, over a virtual list of `total` items known only by `keyAt` (no array built). */
function virtualPage(
  total: number,
  keyAt: (i: number) => string,
  p: Params,
): { start: number; end: number; IsTruncated: boolean; Marker?: string } {
  const max = maxItems(p);
  let start = 0;
  const marker = pStr(p, 'Marker');
  if (marker !== undefined) {
    const m = decodeMarker(marker);
    if (m.offset < total && keyAt(m.offset) === m.key) start = m.offset;
    else {
      start = Math.min(m.offset, total);
      for (let i = 0; i < total; i++) {
        if (keyAt(i) === m.key) {
          start = i;
          break;
        }
      }
    }
  }
  const end = Math.min(total, start + max);
  if (end < total) return { start, end, IsTruncated: true, Marker: encodeMarker(end, keyAt(end)) };
  return { start, end, IsTruncated: false };
}

function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Policy documents travel URL-encoded (RFC 3986), as IAM sends them. */
export function encodeDocument(doc: PolicyDocument): string {
  return encodeURIComponent(JSON.stringify(doc));
}

function parseDocument(text: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SimError('MalformedPolicyDocument', 'Syntax errors in policy.', 400);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !('Statement' in doc)) {
    throw new SimError('MalformedPolicyDocument', 'Policy document should have a Statement.', 400);
  }
  return doc as PolicyDocument;
}

function userShape(ctx: SimContext, account: string, u: SimUser, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: userArn(ctx, account, u),
    CreateDate: u.createdAt,
  };
  if (u.passwordLastUsed) out.PasswordLastUsed = u.passwordLastUsed;
  if (full) {
    if (u.permissionsBoundary) {
      out.PermissionsBoundary = {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: u.permissionsBoundary,
      };
    }
    const tags = tagList(u.tags);
    if (tags.length > 0) out.Tags = tags;
  }
  return out;
}

function groupShape(ctx: SimContext, account: string, g: SimGroup): Record<string, unknown> {
  return {
    Path: g.path,
    GroupName: g.name,
    GroupId: g.id,
    Arn: `arn:${ctx.state.partition}:iam::${account}:group${g.path}${g.name}`,
    CreateDate: g.createdAt,
  };
}

export function roleArn(ctx: SimContext, account: string, r: { path: string; name: string }): string {
  return `arn:${ctx.state.partition}:iam::${account}:role${r.path}${r.name}`;
}

/**
 * A role's trust policy: the scenario's own `trustPolicy`, or the one its `trustedAccounts` /
 * `externalId` describe (each trusted account's root, with `sts:ExternalId` when one is set).
 */
export function trustPolicy(ctx: SimContext, r: SimRole): PolicyDocument {
  if (r.trustPolicy) return r.trustPolicy;
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Principal: { AWS: r.trustedAccounts.map((a) => `arn:${ctx.state.partition}:iam::${a}:root`) },
    Action: 'sts:AssumeRole',
  };
  if (r.externalId) statement.Condition = { StringEquals: { 'sts:ExternalId': r.externalId } };
  return { Version: '2012-10-17', Statement: [statement] };
}

function roleShape(ctx: SimContext, account: string, r: SimRole, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: roleArn(ctx, account, r),
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodeDocument(trustPolicy(ctx, r)),
    MaxSessionDuration: r.maxSessionDuration,
  };
  if (full) {
    if (r.permissionsBoundary) {
      out.PermissionsBoundary = {
        PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
        PermissionsBoundaryArn: r.permissionsBoundary,
      };
    }
    const tags = tagList(r.tags);
    if (tags.length > 0) out.Tags = tags;
    out.RoleLastUsed = {};
  }
  return out;
}

function isAwsManaged(arn: string): boolean {
  return /^arn:aws(?:-[a-z]+)*:iam::aws:policy\//.test(arn);
}

function policyName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function policyPath(arn: string): string {
  const resource = arn.split(':').slice(5).join(':'); // policy/path/name
  const parts = resource.split('/');
  return parts.length > 2 ? `/${parts.slice(1, -1).join('/')}/` : '/';
}

function localPolicyArn(ctx: SimContext, account: string, p: SimPolicy): string {
  return `arn:${ctx.state.partition}:iam::${account}:policy${p.path}${p.name}`;
}

function localPolicy(ctx: SimContext, account: SimAccount, arn: string): SimPolicy | undefined {
  return account.policies.find((p) => localPolicyArn(ctx, account.id, p) === arn);
}

/** The document of a managed policy (AWS or customer), or undefined if unknown. */
export function managedPolicyDocument(
  ctx: SimContext,
  account: SimAccount,
  arn: string,
): PolicyDocument | undefined {
  // AWS managed policies: the documents shipped in sim/data (their version and source are there).
  if (isAwsManaged(arn))
    return awsManagedPolicy(policyName(arn))?.document ?? { Version: '2012-10-17', Statement: [] };
  return localPolicy(ctx, account, arn)?.document;
}

function assertAttachable(ctx: SimContext, account: SimAccount, arn: string): void {
  if (!/^arn:aws(?:-[a-z]+)*:iam::(aws|\d{12}):policy\/.+/.test(arn)) {
    throw new SimError('InvalidInput', `ARN ${arn} is not valid.`, 400);
  }
  if (!arn.startsWith(`arn:${ctx.state.partition}:`)) {
    throw new SimError(
      'InvalidInput',
      `Partition "${arn.split(':')[1]}" is not valid for resource "${arn}".`,
      400,
    );
  }
  if (!isAwsManaged(arn) && !localPolicy(ctx, account, arn)) {
    throw new SimError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
  }
}

function attachedShape(arns: string[]): { PolicyName: string; PolicyArn: string }[] {
  return arns.map((a) => ({ PolicyName: policyName(a), PolicyArn: a }));
}

function validateName(name: string, field: string): void {
  if (!USER_NAME_RE.test(name)) {
    throw new SimError(
      'ValidationError',
      `1 validation error detected: Value '${name}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
      400,
    );
  }
}

function sscMetadata(c: SimServiceCredential, u: SimUser, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = { UserName: u.name, Status: sscStatus(c, nowMs) };
  if (c.serviceUserName) out.ServiceUserName = c.serviceUserName;
  else out.ServiceCredentialAlias = c.alias;
  out.CreateDate = c.createdAt;
  if (c.expiresAt) out.ExpirationDate = c.expiresAt;
  out.ServiceSpecificCredentialId = c.id;
  out.ServiceName = c.service;
  return out;
}

function sscFull(c: SimServiceCredential, u: SimUser, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = { CreateDate: c.createdAt };
  if (c.expiresAt) out.ExpirationDate = c.expiresAt;
  out.ServiceName = c.service;
  if (c.serviceUserName) {
    out.ServiceUserName = c.serviceUserName;
    out.ServicePassword = c.secret;
  } else {
    out.ServiceCredentialAlias = c.alias;
    out.ServiceCredentialSecret = c.secret;
  }
  out.ServiceSpecificCredentialId = c.id;
  out.UserName = u.name;
  out.Status = sscStatus(c, nowMs);
  return out;
}

/** CloudTrail view of a credential: never the secret. */
function sscTrail(c: SimServiceCredential, u: SimUser, nowMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    createDate: c.createdAt,
    serviceName: c.service,
    serviceSpecificCredentialId: c.id,
    userName: u.name,
    status: sscStatus(c, nowMs),
  };
  if (c.expiresAt) out.expirationDate = c.expiresAt;
  if (c.serviceUserName) out.serviceUserName = c.serviceUserName;
  else out.serviceCredentialAlias = c.alias;
  return out;
}

function findSsc(u: SimUser, id: string): SimServiceCredential {
  const c = u.serviceCredentials.find((x) => x.id === id);
  if (!c) {
    throw new SimError('NoSuchEntity', `No such credential ${id} exists for user ${u.name}`, 404);
  }
  return c;
}

function randomBits(ctx: SimContext): () => number {
  return () => ctx.ids.int();
}

function csvDate(iso: string | null | undefined): string {
  if (!iso) return 'N/A';
  return iso.replace(/(\.\d{3})?Z$/, '+00:00');
}

// ---------------------------------------------------------------------------------------------
// Credential report
// ---------------------------------------------------------------------------------------------

export const CREDENTIAL_REPORT_COLUMNS = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'password_next_rotation',
  'mfa_active',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_1_last_used_region',
  'access_key_1_last_used_service',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
  'access_key_2_last_used_region',
  'access_key_2_last_used_service',
  'cert_1_active',
  'cert_1_last_rotated',
  'cert_2_active',
  'cert_2_last_rotated',
];

function buildCredentialReport(ctx: SimContext, account: SimAccount): string {
  const rows = [CREDENTIAL_REPORT_COLUMNS.join(',')];
  let created = ctx.state.now;
  for (const u of account.users) if (u.createdAt < created) created = u.createdAt;
  rows.push(
    [
      '<root_account>',
      `arn:${ctx.state.partition}:iam::${account.id}:root`,
      csvDate(created),
      'not_supported',
      'no_information',
      'not_supported',
      'not_supported',
      'false',
      'false',
      'N/A',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'N/A',
      'N/A',
      'N/A',
      'N/A',
      'false',
      'N/A',
      'false',
      'N/A',
    ].join(','),
  );
  for (const u of account.users) {
    const key = (i: number) => {
      const k = u.accessKeys[i];
      if (!k) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
      return [
        String(k.status === 'Active'),
        csvDate(k.createdAt),
        csvDate(k.lastUsedAt),
        k.lastUsedAt ? (k.lastUsedRegion ?? 'N/A') : 'N/A',
        k.lastUsedAt ? (k.lastUsedService ?? 'N/A') : 'N/A',
      ];
    };
    const cert = (i: number) => {
      const c = u.signingCertificates[i];
      if (!c) return ['false', 'N/A'];
      return [String(c.status === 'Active'), csvDate(c.uploadedAt)];
    };
    const pw = u.loginProfile !== null;
    rows.push(
      [
        u.name,
        userArn(ctx, account.id, u),
        csvDate(u.createdAt),
        String(pw),
        // a date once used (even if the password was removed since), `no_information` for a
        // password never used, N/A for no password
        u.passwordLastUsed ? csvDate(u.passwordLastUsed) : pw ? 'no_information' : 'N/A',
        pw ? csvDate(u.loginProfile!.createdAt) : 'N/A',
        'N/A',
        String(u.mfaDevices.length > 0),
        ...key(0),
        ...key(1),
        ...cert(0),
        ...cert(1),
      ].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}

interface ReportState {
  startedMs: number;
  /** When the report is built, on the simulator's wait clock (SimContext.waitMs). */
  readyMs: number;
  content: string;
  generatedTime: string;
}

/**
 * How long generating a credential report takes: AWS answers `STARTED`, then `INPROGRESS` until the
 * report is built (seconds in a small account), then `COMPLETE`. 500 ms here, so that a client polling
 * with a 250 ms back-off sees all three states; `BKS_SIM_CREDENTIAL_REPORT_MS` sets it (the test suite
 * uses 200 ms: `STARTED`, one wait, `COMPLETE`, still the polling path). Read at each generation.
 */
export function reportBuildMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['BKS_SIM_CREDENTIAL_REPORT_MS'];
  if (raw === undefined || raw === '') return 500;
  if (!/^\d{1,7}$/.test(raw))
    throw new Error(`BKS_SIM_CREDENTIAL_REPORT_MS must be a whole number of milliseconds, got "${raw}"`);
  return Number(raw);
}
const REPORT_TTL_MS = 4 * 3600 * 1000;

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const ops: Record<string, ActionHandler> = {
  // Users --------------------------------------------------------------------------------------
  ListUsers(ctx, req) {
    const a = acct(ctx, req);
    const prefix = pStr(req.params, 'PathPrefix');
    const users = prefix ? a.users.filter((u) => u.path.startsWith(prefix)) : a.users;
    const pg = page(users, req.params, (u) => u.name);
    return {
      Users: pg.items.map((u) => userShape(ctx, a.id, u, false)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  GetUser(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUser(ctx, req, a);
    if (!u) {
      // the synthetic sim-admin
      return {
        User: {
          Path: '/',
          UserName: req.caller.userName,
          UserId: req.caller.principalId,
          Arn: req.caller.arn,
          CreateDate: ctx.state.now,
        },
      };
    }
    return { User: userShape(ctx, a.id, u, true) };
  },

  CreateUser(ctx, req) {
    const a = acct(ctx, req);
    const name = pReq(req.params, 'UserName');
    validateName(name, 'userName');
    if (ctx.index.user(a.id, name)) {
      throw new SimError('EntityAlreadyExists', `User with name ${name} already exists.`, 409);
    }
    const path = pStr(req.params, 'Path') ?? '/';
    const boundary = pStr(req.params, 'PermissionsBoundary');
    if (boundary) assertAttachable(ctx, a, boundary);
    const tags: Record<string, string> = {};
    for (const t of pTags(req.params)) tags[t.Key] = t.Value;
    const u: SimUser = {
      name,
      path,
      id: ctx.ids.next('AIDA'),
      createdAt: ctx.nowIso(),
      passwordLastUsed: null,
      managedPolicies: [],
      inlinePolicies: {},
      groups: [],
      tags,
      loginProfile: null,
      mfaDevices: [],
      sshPublicKeys: [],
      signingCertificates: [],
      permissionsBoundary: boundary ?? null,
      accessKeys: [],
      serviceCredentials: [],
    };
    a.users.push(u);
    ctx.index.userAdded(a.id, u);
    return { User: userShape(ctx, a.id, u, true) };
  },

  DeleteUser(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const blocker = u.loginProfile
      ? 'must delete login profile first'
      : u.accessKeys.length > 0
        ? 'must delete access keys first'
        : u.serviceCredentials.length > 0
          ? 'must delete service specific credentials first'
          : u.signingCertificates.length > 0
            ? 'must delete signing certificates first'
            : u.sshPublicKeys.length > 0
              ? 'must delete SSH public keys first'
              : u.mfaDevices.length > 0
                ? 'must delete MFA device first'
                : u.groups.length > 0
                  ? 'must remove users from group first'
                  : u.managedPolicies.length > 0
                    ? 'must detach all policies first'
                    : Object.keys(u.inlinePolicies).length > 0
                      ? 'must delete policies first'
                      : undefined;
    if (blocker) throw new SimError('DeleteConflict', `Cannot delete entity, ${blocker}.`, 409);
    const at = ctx.index.userPosition(a.id, u.name);
    a.users.splice(a.users[at] === u ? at : a.users.indexOf(u), 1);
    ctx.index.userRemoved(a.id, u);
    return undefined;
  },

  TagUser(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const tags = pTags(req.params);
    const next = { ...u.tags };
    for (const t of tags) next[t.Key] = t.Value;
    if (Object.keys(next).length > 50) {
      throw new SimError('LimitExceeded', 'Cannot exceed quota for TagsPerUser: 50', 409);
    }
    u.tags = next;
    return undefined;
  },

  UntagUser(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    for (const k of pList(req.params, 'TagKeys')) delete u.tags[k];
    return undefined;
  },

  ListUserTags(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const pg = page(tagList(u.tags), req.params, (t) => t.Key);
    return { Tags: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  // Service-specific credentials ---------------------------------------------------------------
  ListServiceSpecificCredentials(ctx, req) {
    const a = acct(ctx, req);
    const p = req.params;
    const all = pBool(p, 'AllUsers') === true;
    const service = pStr(p, 'ServiceName');
    if (service !== undefined && !SSC_SERVICES.includes(service)) {
      throw new SimError(
        'NotSupportedService',
        `No such service ${service} is supported for Service-Specific Credentials`,
        404,
      );
    }
    if (all && pStr(p, 'UserName') !== undefined) {
      throw new SimError('ValidationError', 'AllUsers and UserName cannot both be specified.', 400);
    }
    const max = maxItems(p);
    const nowMs = ctx.nowMs();
    const out: Record<string, unknown>[] = [];
    if (!all) {
      const u = targetUser(ctx, req, a);
      const creds = u
        ? u.serviceCredentials.filter((c) => service === undefined || c.service === service)
        : [];
      const pg = page(creds, p, (c) => c.id);
      return {
        ServiceSpecificCredentials: pg.items.map((c) => sscMetadata(c, u!, nowMs)),
        IsTruncated: pg.IsTruncated,
        Marker: pg.Marker,
      };
    }
    // AllUsers: walk users from the marker's user; marker = "<user position>|<user name>/<cred id>".
    let ui = 0;
    let startCred: string | undefined;
    const marker = pStr(p, 'Marker');
    if (marker !== undefined) {
      const m = decodeMarker(marker);
      const slash = m.key.lastIndexOf('/');
      const userName = m.key.slice(0, slash);
      startCred = m.key.slice(slash + 1);
      const pos = ctx.index.userPosition(a.id, userName);
      ui = pos >= 0 ? pos : Math.min(m.offset, a.users.length);
      if (pos < 0) startCred = undefined;
    }
    for (; ui < a.users.length; ui++) {
      const u = a.users[ui]!;
      let creds = u.serviceCredentials;
      if (startCred !== undefined) {
        const ci = creds.findIndex((c) => c.id === startCred);
        creds = ci >= 0 ? creds.slice(ci) : creds;
        startCred = undefined;
      }
      for (const c of creds) {
        if (service !== undefined && c.service !== service) continue;
        if (out.length === max) {
          return {
            ServiceSpecificCredentials: out,
            IsTruncated: true,
            Marker: encodeMarker(ui, `${u.name}/${c.id}`),
          };
        }
        out.push(sscMetadata(c, u, nowMs));
      }
    }
    return { ServiceSpecificCredentials: out, IsTruncated: false };
  },

  CreateServiceSpecificCredential(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const service = pReq(req.params, 'ServiceName');
    if (!SSC_SERVICES.includes(service)) {
      throw new SimError(
        'NotSupportedService',
        `No such service ${service} is supported for Service-Specific Credentials`,
        404,
      );
    }
    const days = pInt(req.params, 'CredentialAgeDays', 1, 36600);
    const mine = u.serviceCredentials.filter((c) => c.service === service);
    if (mine.length >= 2) {
      throw new SimError(
        'LimitExceeded',
        'Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2',
        409,
      );
    }
    const nowMs = ctx.nowMs();
    const createdAt = ctx.nowIso();
    const userNameStyle = SERVICE_USER_NAME_SERVICES.includes(service);
    const alias = sscAlias(
      u.name,
      a.id,
      mine.map((c) => c.alias),
    );
    const c: SimServiceCredential = {
      id: ctx.ids.next('ACCA'),
      service,
      secret: userNameStyle ? ctx.ids.secret(44) : ctx.ids.secret(60),
      status: 'Active',
      createdAt,
      expiresAt:
        days === undefined
          ? null
          : new Date(nowMs + days * 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      alias,
      // CodeCommit / Keyspaces name the credential's user the way API keys name their alias.
      serviceUserName: userNameStyle ? alias : null,
    };
    u.serviceCredentials.push(c);
    req.trail = {
      responseElements: { serviceSpecificCredential: sscTrail(c, u, nowMs) },
    };
    return { ServiceSpecificCredential: sscFull(c, u, nowMs) };
  },

  UpdateServiceSpecificCredential(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const c = findSsc(u, pReq(req.params, 'ServiceSpecificCredentialId'));
    const status = updateStatus(req);
    c.status = status;
    return undefined;
  },

  ResetServiceSpecificCredential(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const c = findSsc(u, pReq(req.params, 'ServiceSpecificCredentialId'));
    c.secret = c.serviceUserName ? ctx.ids.secret(44) : ctx.ids.secret(60);
    const nowMs = ctx.nowMs();
    req.trail = { responseElements: { serviceSpecificCredential: sscTrail(c, u, nowMs) } };
    return { ServiceSpecificCredential: sscFull(c, u, nowMs) };
  },

  DeleteServiceSpecificCredential(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const c = findSsc(u, pReq(req.params, 'ServiceSpecificCredentialId'));
    u.serviceCredentials.splice(u.serviceCredentials.indexOf(c), 1);
    return undefined;
  },

  // Access keys --------------------------------------------------------------------------------
  ListAccessKeys(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUser(ctx, req, a);
    const keys = u ? u.accessKeys : [];
    const pg = page(keys, req.params, (k) => k.id);
    return {
      AccessKeyMetadata: pg.items.map((k) => ({
        UserName: u!.name,
        AccessKeyId: k.id,
        Status: k.status,
        CreateDate: k.createdAt,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  CreateAccessKey(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    if (u.accessKeys.length >= 2) {
      throw new SimError('LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2', 409);
    }
    const key = {
      id: makeAccessKeyId('AKIA', a.id, randomBits(ctx)),
      secret: ctx.ids.secret(40),
      status: 'Active' as const,
      createdAt: ctx.nowIso(),
      lastUsedAt: null,
      lastUsedService: null,
      lastUsedRegion: null,
    };
    u.accessKeys.push(key);
    ctx.index.keyAdded(a, u, key);
    req.trail = {
      responseElements: {
        accessKey: { userName: u.name, accessKeyId: key.id, status: key.status, createDate: key.createdAt },
      },
    };
    return {
      AccessKey: {
        UserName: u.name,
        AccessKeyId: key.id,
        Status: key.status,
        SecretAccessKey: key.secret,
        CreateDate: key.createdAt,
      },
    };
  },

  UpdateAccessKey(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const id = pReq(req.params, 'AccessKeyId');
    const k = u.accessKeys.find((x) => x.id === id);
    if (!k) throw new SimError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`, 404);
    const status = updateStatus(req);
    k.status = status;
    return undefined;
  },

  DeleteAccessKey(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const id = pReq(req.params, 'AccessKeyId');
    const i = u.accessKeys.findIndex((x) => x.id === id);
    if (i < 0) throw new SimError('NoSuchEntity', `The Access Key with id ${id} cannot be found.`, 404);
    u.accessKeys.splice(i, 1);
    ctx.index.keyRemoved(id);
    return undefined;
  },

  GetAccessKeyLastUsed(ctx, req) {
    const id = pReq(req.params, 'AccessKeyId');
    const owned = ctx.index.accessKey(id);
    if (!owned || owned.account.id !== req.caller.account) {
      throw new SimError(
        'AccessDenied',
        `User: ${req.caller.arn} is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key ${id}`,
        403,
      );
    }
    const k = owned.key;
    const last: Record<string, unknown> = {};
    if (k.lastUsedAt) last.LastUsedDate = k.lastUsedAt;
    last.ServiceName = k.lastUsedAt ? (k.lastUsedService ?? 'N/A') : 'N/A';
    last.Region = k.lastUsedAt ? (k.lastUsedRegion ?? 'N/A') : 'N/A';
    return { UserName: owned.user.name, AccessKeyLastUsed: last };
  },

  // User policies ------------------------------------------------------------------------------
  ListAttachedUserPolicies(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const prefix = pStr(req.params, 'PathPrefix');
    const arns = prefix
      ? u.managedPolicies.filter((x) => policyPath(x).startsWith(prefix))
      : u.managedPolicies;
    const pg = page(arns, req.params, (x) => x);
    return { AttachedPolicies: attachedShape(pg.items), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  AttachUserPolicy(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const arn = pReq(req.params, 'PolicyArn');
    assertAttachable(ctx, a, arn);
    if (u.managedPolicies.includes(arn)) return undefined;
    if (u.managedPolicies.length >= 10) {
      throw new SimError('LimitExceeded', 'Cannot exceed quota for PoliciesPerUser: 10', 409);
    }
    u.managedPolicies.push(arn);
    return undefined;
  },

  DetachUserPolicy(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const arn = pReq(req.params, 'PolicyArn');
    const i = u.managedPolicies.indexOf(arn);
    if (i < 0) throw new SimError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    u.managedPolicies.splice(i, 1);
    return undefined;
  },

  ListUserPolicies(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const pg = page(Object.keys(u.inlinePolicies), req.params, (x) => x);
    return { PolicyNames: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  GetUserPolicy(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const name = pReq(req.params, 'PolicyName');
    const doc = u.inlinePolicies[name];
    if (!doc) throw new SimError('NoSuchEntity', `The user policy with name ${name} cannot be found.`, 404);
    return { UserName: u.name, PolicyName: name, PolicyDocument: encodeDocument(doc) };
  },

  PutUserPolicy(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const name = pReq(req.params, 'PolicyName');
    const doc = parseDocument(pReq(req.params, 'PolicyDocument'));
    const next = { ...u.inlinePolicies, [name]: doc };
    if (JSON.stringify(next).length > 2048 * 4) {
      throw new SimError('LimitExceeded', 'Maximum policy size of 2048 bytes exceeded for user', 409);
    }
    u.inlinePolicies[name] = doc;
    return undefined;
  },

  DeleteUserPolicy(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    const name = pReq(req.params, 'PolicyName');
    if (!(name in u.inlinePolicies)) {
      throw new SimError('NoSuchEntity', `The user policy with name ${name} cannot be found.`, 404);
    }
    delete u.inlinePolicies[name];
    return undefined;
  },

  PutUserPermissionsBoundary(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const arn = pReq(req.params, 'PermissionsBoundary');
    assertAttachable(ctx, a, arn);
    u.permissionsBoundary = arn;
    return undefined;
  },

  DeleteUserPermissionsBoundary(ctx, req) {
    const u = getUser(ctx, acct(ctx, req), pReq(req.params, 'UserName'));
    u.permissionsBoundary = null;
    return undefined;
  },

  // Groups -------------------------------------------------------------------------------------
  ListGroupsForUser(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const groups = u.groups.map((n) => a.groups.find((g) => g.name === n)).filter((g) => g !== undefined);
    const pg = page(groups, req.params, (g) => g.name);
    return {
      Groups: pg.items.map((g) => groupShape(ctx, a.id, g)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  ListGroups(ctx, req) {
    const a = acct(ctx, req);
    const prefix = pStr(req.params, 'PathPrefix');
    const groups = prefix ? a.groups.filter((g) => g.path.startsWith(prefix)) : a.groups;
    const pg = page(groups, req.params, (g) => g.name);
    return {
      Groups: pg.items.map((g) => groupShape(ctx, a.id, g)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  GetGroup(ctx, req) {
    const a = acct(ctx, req);
    const name = pReq(req.params, 'GroupName');
    const g = a.groups.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!g) throw new SimError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
    const members = a.users.filter((u) => u.groups.includes(g.name));
    const pg = page(members, req.params, (u) => u.name);
    return {
      Group: groupShape(ctx, a.id, g),
      Users: pg.items.map((u) => userShape(ctx, a.id, u, false)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  AddUserToGroup(ctx, req) {
    const a = acct(ctx, req);
    const name = pReq(req.params, 'GroupName');
    const g = a.groups.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!g) throw new SimError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    if (!u.groups.includes(g.name)) u.groups.push(g.name);
    return undefined;
  },

  RemoveUserFromGroup(ctx, req) {
    const a = acct(ctx, req);
    const name = pReq(req.params, 'GroupName');
    const g = a.groups.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!g) throw new SimError('NoSuchEntity', `The group with name ${name} cannot be found.`, 404);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const i = u.groups.indexOf(g.name);
    if (i < 0) {
      throw new SimError(
        'NoSuchEntity',
        `The user with name ${u.name} cannot be found in group ${g.name}.`,
        404,
      );
    }
    u.groups.splice(i, 1);
    return undefined;
  },

  // Login profile, MFA, SSH keys, signing certificates ----------------------------------------
  GetLoginProfile(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    if (!u.loginProfile)
      throw new SimError('NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`, 404);
    return {
      LoginProfile: {
        UserName: u.name,
        CreateDate: u.loginProfile.createdAt,
        PasswordResetRequired: u.loginProfile.passwordResetRequired,
      },
    };
  },

  CreateLoginProfile(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    if (u.loginProfile) {
      throw new SimError('EntityAlreadyExists', `Login Profile for user ${u.name} already exists.`, 409);
    }
    u.loginProfile = {
      createdAt: ctx.nowIso(),
      passwordResetRequired: pBool(req.params, 'PasswordResetRequired') ?? false,
    };
    req.trail = {
      requestParameters: { userName: u.name, passwordResetRequired: u.loginProfile.passwordResetRequired },
    };
    return {
      LoginProfile: {
        UserName: u.name,
        CreateDate: u.loginProfile.createdAt,
        PasswordResetRequired: u.loginProfile.passwordResetRequired,
      },
    };
  },

  DeleteLoginProfile(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    if (!u.loginProfile)
      throw new SimError('NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`, 404);
    u.loginProfile = null;
    return undefined;
  },

  ListMFADevices(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUser(ctx, req, a);
    const pg = page(u ? u.mfaDevices : [], req.params, (m) => m.serialNumber);
    return {
      MFADevices: pg.items.map((m) => ({
        UserName: u!.name,
        SerialNumber: m.serialNumber,
        EnableDate: m.enabledAt,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  DeactivateMFADevice(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const serial = pReq(req.params, 'SerialNumber');
    const i = u.mfaDevices.findIndex((m) => m.serialNumber === serial);
    if (i < 0)
      throw new SimError('NoSuchEntity', `MFA Device with serial number ${serial} does not exist.`, 404);
    u.mfaDevices.splice(i, 1);
    return undefined;
  },

  ListSSHPublicKeys(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUser(ctx, req, a);
    const pg = page(u ? u.sshPublicKeys : [], req.params, (k) => k.id);
    return {
      SSHPublicKeys: pg.items.map((k) => ({
        UserName: u!.name,
        SSHPublicKeyId: k.id,
        Status: k.status,
        UploadDate: k.uploadedAt,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  DeleteSSHPublicKey(ctx, req) {
    const a = acct(ctx, req);
    const u = getUser(ctx, a, pReq(req.params, 'UserName'));
    const id = pReq(req.params, 'SSHPublicKeyId');
    const i = u.sshPublicKeys.findIndex((k) => k.id === id);
    if (i < 0) throw new SimError('NoSuchEntity', `The Public Key with id ${id} cannot be found.`, 404);
    u.sshPublicKeys.splice(i, 1);
    return undefined;
  },

  ListSigningCertificates(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUser(ctx, req, a);
    const pg = page(u ? u.signingCertificates : [], req.params, (c) => c.id);
    return {
      Certificates: pg.items.map((c) => ({
        UserName: u!.name,
        CertificateId: c.id,
        CertificateBody: `-----BEGIN CERTIFICATE-----\n${Buffer.from(`bks-sim certificate ${c.id}`).toString('base64')}\n-----END CERTIFICATE-----`,
        Status: c.status,
        UploadDate: c.uploadedAt,
      })),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  DeleteSigningCertificate(ctx, req) {
    const a = acct(ctx, req);
    const u = targetUserStrict(ctx, req, a);
    const id = pReq(req.params, 'CertificateId');
    const i = u.signingCertificates.findIndex((c) => c.id === id);
    if (i < 0) throw new SimError('NoSuchEntity', `The Certificate with id ${id} cannot be found.`, 404);
    u.signingCertificates.splice(i, 1);
    return undefined;
  },

  // Account-wide views -------------------------------------------------------------------------
  GetAccountAuthorizationDetails(ctx, req) {
    const a = acct(ctx, req);
    const filters = pList(req.params, 'Filter');
    for (const f of filters) {
      if (!['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'].includes(f)) {
        throw new SimError(
          'ValidationError',
          `1 validation error detected: Value '[${filters.join(', ')}]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [LocalManagedPolicy, Role, AWSManagedPolicy, User, Group]]`,
          400,
        );
      }
    }
    const want = (f: string) => filters.length === 0 || filters.includes(f);
    // The answer is a virtual list: users, groups, roles, local policies, AWS policies in use.
    // Only the page's items are rendered; attachment counts are computed only if a page needs them.
    const policies = new PolicyDetails(ctx, a);
    const segments: DetailSegment[] = [];
    if (want('User')) segments.push(userDetails(ctx, a));
    if (want('Group')) segments.push(groupDetails(ctx, a));
    if (want('Role')) segments.push(roleDetails(ctx, a));
    if (want('LocalManagedPolicy')) segments.push(policies.local());
    if (want('AWSManagedPolicy')) segments.push(policies.awsManaged());
    return detailsPage(segments, req.params);
  },

  GenerateCredentialReport(ctx, req) {
    const a = acct(ctx, req);
    const key = `iam:report:${a.id}`;
    const now = ctx.nowMs();
    const existing = ctx.scratch.get(key) as ReportState | undefined;
    if (existing) {
      if (ctx.waitMs() < existing.readyMs) {
        return { State: 'INPROGRESS', Description: 'Report generation in progress' };
      }
      if (now - existing.startedMs < REPORT_TTL_MS) {
        return { State: 'COMPLETE' };
      }
    }
    const generatedTime = ctx.nowIso();
    ctx.scratch.set(key, {
      startedMs: now,
      readyMs: ctx.waitMs() + reportBuildMs(),
      content: buildCredentialReport(ctx, a),
      generatedTime,
    } satisfies ReportState);
    return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
  },

  GetCredentialReport(ctx, req) {
    const a = acct(ctx, req);
    const report = ctx.scratch.get(`iam:report:${a.id}`) as ReportState | undefined;
    const now = ctx.nowMs();
    if (!report) {
      throw new SimError(
        'ReportNotPresent',
        'Credential report does not exist. Use GenerateCredentialReport to generate a credential report.',
        410,
      );
    }
    if (ctx.waitMs() < report.readyMs)
      throw new SimError('ReportInProgress', 'Credential report generation in progress', 404);
    if (now - report.startedMs >= REPORT_TTL_MS) {
      throw new SimError(
        'ReportExpired',
        'Credential report expired. Use GenerateCredentialReport to generate a new credential report.',
        410,
      );
    }
    return {
      Content: Buffer.from(report.content, 'utf8').toString('base64'),
      ReportFormat: 'text/csv',
      GeneratedTime: report.generatedTime,
    };
  },

  ListAccountAliases(ctx, req) {
    const a = acct(ctx, req);
    return { AccountAliases: a.alias ? [a.alias] : [], IsTruncated: false };
  },

  // Roles --------------------------------------------------------------------------------------
  ListRoles(ctx, req) {
    const a = acct(ctx, req);
    const prefix = pStr(req.params, 'PathPrefix');
    const roles = prefix ? a.roles.filter((r) => r.path.startsWith(prefix)) : a.roles;
    const pg = page(roles, req.params, (r) => r.name);
    return {
      Roles: pg.items.map((r) => roleShape(ctx, a.id, r, false)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },

  GetRole(ctx, req) {
    const a = acct(ctx, req);
    return { Role: roleShape(ctx, a.id, getRole(a, pReq(req.params, 'RoleName')), true) };
  },

  ListRolePolicies(ctx, req) {
    const r = getRole(acct(ctx, req), pReq(req.params, 'RoleName'));
    const pg = page(Object.keys(r.inlinePolicies), req.params, (x) => x);
    return { PolicyNames: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  GetRolePolicy(ctx, req) {
    const r = getRole(acct(ctx, req), pReq(req.params, 'RoleName'));
    const name = pReq(req.params, 'PolicyName');
    const doc = r.inlinePolicies[name];
    if (!doc) throw new SimError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    return { RoleName: r.name, PolicyName: name, PolicyDocument: encodeDocument(doc) };
  },

  PutRolePolicy(ctx, req) {
    const r = getRole(acct(ctx, req), pReq(req.params, 'RoleName'));
    const name = pReq(req.params, 'PolicyName');
    r.inlinePolicies[name] = parseDocument(pReq(req.params, 'PolicyDocument'));
    return undefined;
  },

  DeleteRolePolicy(ctx, req) {
    const r = getRole(acct(ctx, req), pReq(req.params, 'RoleName'));
    const name = pReq(req.params, 'PolicyName');
    if (!(name in r.inlinePolicies)) {
      throw new SimError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    }
    delete r.inlinePolicies[name];
    return undefined;
  },

  ListAttachedRolePolicies(ctx, req) {
    const r = getRole(acct(ctx, req), pReq(req.params, 'RoleName'));
    const pg = page(r.managedPolicies, req.params, (x) => x);
    return { AttachedPolicies: attachedShape(pg.items), IsTruncated: pg.IsTruncated, Marker: pg.Marker };
  },

  // Customer managed policies ------------------------------------------------------------------
  CreatePolicy(ctx, req) {
    const a = acct(ctx, req);
    const name = pReq(req.params, 'PolicyName');
    if (a.policies.some((p) => p.name === name)) {
      throw new SimError(
        'EntityAlreadyExists',
        `A policy called ${name} already exists. Duplicate names are not allowed.`,
        409,
      );
    }
    const p: SimPolicy = {
      name,
      path: pStr(req.params, 'Path') ?? '/',
      id: ctx.ids.next('ANPA'),
      createdAt: ctx.nowIso(),
      description: pStr(req.params, 'Description') ?? null,
      document: parseDocument(pReq(req.params, 'PolicyDocument')),
    };
    a.policies.push(p);
    return { Policy: policyShape(ctx, a, p) };
  },

  GetPolicy(ctx, req) {
    const a = acct(ctx, req);
    const arn = pReq(req.params, 'PolicyArn');
    if (isAwsManaged(arn)) {
      return {
        Policy: {
          PolicyName: policyName(arn),
          PolicyId: awsPolicyId(arn),
          Arn: arn,
          Path: policyPath(arn),
          DefaultVersionId: awsManagedPolicy(policyName(arn))?.versionId ?? 'v1',
          AttachmentCount: countAttachments(a, arn),
          PermissionsBoundaryUsageCount: 0,
          IsAttachable: true,
          CreateDate: '2015-02-06T18:40:00Z',
          UpdateDate: isoSeconds(
            Date.parse(awsManagedPolicy(policyName(arn))?.updateDate ?? '2015-02-06T18:40:00Z'),
          ),
        },
      };
    }
    const p = localPolicy(ctx, a, arn);
    if (!p) throw new SimError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    return { Policy: policyShape(ctx, a, p) };
  },

  GetPolicyVersion(ctx, req) {
    const a = acct(ctx, req);
    const arn = pReq(req.params, 'PolicyArn');
    const version = pReq(req.params, 'VersionId');
    const doc = managedPolicyDocument(ctx, a, arn);
    const current = (isAwsManaged(arn) && awsManagedPolicy(policyName(arn))?.versionId) || 'v1';
    if (!doc || version !== current) {
      throw new SimError(
        'NoSuchEntity',
        `Policy ${arn} version ${version} does not exist or is not attachable.`,
        404,
      );
    }
    const created = localPolicy(ctx, a, arn)?.createdAt ?? '2015-02-06T18:40:00Z';
    return {
      PolicyVersion: {
        Document: encodeDocument(doc),
        VersionId: current,
        IsDefaultVersion: true,
        CreateDate: created,
      },
    };
  },

  DeletePolicy(ctx, req) {
    const a = acct(ctx, req);
    const arn = pReq(req.params, 'PolicyArn');
    const p = localPolicy(ctx, a, arn);
    if (!p) throw new SimError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    if (countAttachments(a, arn) > 0) {
      throw new SimError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
    }
    a.policies.splice(a.policies.indexOf(p), 1);
    return undefined;
  },

  ListPolicies(ctx, req) {
    const a = acct(ctx, req);
    const scope = pStr(req.params, 'Scope') ?? 'All';
    const onlyAttached = pBool(req.params, 'OnlyAttached') === true;
    let list: SimPolicy[] = scope === 'AWS' ? [] : a.policies;
    if (onlyAttached) list = list.filter((p) => countAttachments(a, localPolicyArn(ctx, a.id, p)) > 0);
    const pg = page(list, req.params, (p) => p.name);
    return {
      Policies: pg.items.map((p) => policyShape(ctx, a, p)),
      IsTruncated: pg.IsTruncated,
      Marker: pg.Marker,
    };
  },
};

function awsPolicyId(arn: string): string {
  let h = 0;
  for (const c of arn) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return `ANPA${h.toString(36).toUpperCase().padStart(17, 'J').slice(0, 17)}`;
}

function countAttachments(a: SimAccount, arn: string): number {
  let n = 0;
  for (const e of [...a.users, ...a.groups, ...a.roles]) if (e.managedPolicies.includes(arn)) n++;
  return n;
}

function policyShape(ctx: SimContext, a: SimAccount, p: SimPolicy): Record<string, unknown> {
  const arn = localPolicyArn(ctx, a.id, p);
  const out: Record<string, unknown> = {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: arn,
    Path: p.path,
    DefaultVersionId: 'v1',
    AttachmentCount: countAttachments(a, arn),
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
  };
  if (p.description) out.Description = p.description;
  out.CreateDate = p.createdAt;
  out.UpdateDate = p.createdAt;
  return out;
}

function getRole(a: SimAccount, name: string): SimRole {
  const r = a.roles.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!r) throw new SimError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return r;
}

const READ_PREFIXES = ['List', 'Get', 'Generate'];

/** The `Status` of IAM's Update* calls: Active or Inactive (Expired is IAM's own, never set). */
function updateStatus(req: SimRequest): 'Active' | 'Inactive' {
  const status = pReq(req.params, 'Status');
  if (status !== 'Active' && status !== 'Inactive') {
    throw new SimError(
      'ValidationError',
      `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]`,
      400,
    );
  }
  return status;
}

/** One list of GetAccountAuthorizationDetails, rendered item by item as a page needs it. */
interface DetailSegment {
  list: 'UserDetailList' | 'GroupDetailList' | 'RoleDetailList' | 'Policies';
  count: () => number;
  key: (i: number) => string;
  render: (i: number) => Record<string, unknown>;
}

const boundaryShape = (arn: string | null) =>
  arn ? { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn } : undefined;
const inlineShape = (m: Record<string, PolicyDocument>) =>
  Object.entries(m).map(([PolicyName, d]) => ({ PolicyName, PolicyDocument: encodeDocument(d) }));

function userDetails(ctx: SimContext, a: SimAccount): DetailSegment {
  return {
    list: 'UserDetailList',
    count: () => a.users.length,
    key: (i) => `U:${a.users[i]!.name}`,
    render: (i) => {
      const u = a.users[i]!;
      return {
        Path: u.path,
        UserName: u.name,
        UserId: u.id,
        Arn: userArn(ctx, a.id, u),
        CreateDate: u.createdAt,
        UserPolicyList: inlineShape(u.inlinePolicies),
        GroupList: u.groups,
        AttachedManagedPolicies: attachedShape(u.managedPolicies),
        PermissionsBoundary: boundaryShape(u.permissionsBoundary),
        Tags: tagList(u.tags),
      };
    },
  };
}

function groupDetails(ctx: SimContext, a: SimAccount): DetailSegment {
  return {
    list: 'GroupDetailList',
    count: () => a.groups.length,
    key: (i) => `G:${a.groups[i]!.name}`,
    render: (i) => {
      const g = a.groups[i]!;
      return {
        ...groupShape(ctx, a.id, g),
        GroupPolicyList: inlineShape(g.inlinePolicies),
        AttachedManagedPolicies: attachedShape(g.managedPolicies),
      };
    },
  };
}

function roleDetails(ctx: SimContext, a: SimAccount): DetailSegment {
  return {
    list: 'RoleDetailList',
    count: () => a.roles.length,
    key: (i) => `R:${a.roles[i]!.name}`,
    render: (i) => {
      const r = a.roles[i]!;
      return {
        Path: r.path,
        RoleName: r.name,
        RoleId: r.id,
        Arn: roleArn(ctx, a.id, r),
        CreateDate: r.createdAt,
        AssumeRolePolicyDocument: encodeDocument(trustPolicy(ctx, r)),
        InstanceProfileList: [],
        RolePolicyList: inlineShape(r.inlinePolicies),
        AttachedManagedPolicies: attachedShape(r.managedPolicies),
        PermissionsBoundary: boundaryShape(r.permissionsBoundary),
        Tags: tagList(r.tags),
        RoleLastUsed: {},
      };
    },
  };
}

/** The managed policies of the answer, with their attachment counts (counted once, when first needed). */
class PolicyDetails {
  private counts?: { attachments: Map<string, number>; boundaries: Map<string, number>; aws: string[] };

  constructor(
    private readonly ctx: SimContext,
    private readonly a: SimAccount,
  ) {}

  private policyCounts() {
    if (this.counts) return this.counts;
    const a = this.a;
    const attachments = new Map<string, number>();
    const boundaries = new Map<string, number>();
    const add = (m: Map<string, number>, x: string) => m.set(x, (m.get(x) ?? 0) + 1);
    for (const e of [a.users, a.groups, a.roles])
      for (const x of e) for (const arn of x.managedPolicies) add(attachments, arn);
    for (const e of [a.users, a.roles])
      for (const x of e) if (x.permissionsBoundary) add(boundaries, x.permissionsBoundary);
    const aws = [...new Set([...attachments.keys(), ...boundaries.keys()])].filter(isAwsManaged).sort();
    this.counts = { attachments, boundaries, aws };
    return this.counts;
  }

  private render(arn: string, id: string, created: string, doc: PolicyDocument, description: string | null) {
    const c = this.policyCounts();
    const out: Record<string, unknown> = {
      PolicyName: policyName(arn),
      PolicyId: id,
      Arn: arn,
      Path: policyPath(arn),
      DefaultVersionId: 'v1',
      AttachmentCount: c.attachments.get(arn) ?? 0,
      PermissionsBoundaryUsageCount: c.boundaries.get(arn) ?? 0,
      IsAttachable: true,
    };
    if (description) out.Description = description;
    out.CreateDate = created;
    out.UpdateDate = created;
    out.PolicyVersionList = [
      { Document: encodeDocument(doc), VersionId: 'v1', IsDefaultVersion: true, CreateDate: created },
    ];
    return out;
  }

  local(): DetailSegment {
    const { ctx, a } = this;
    return {
      list: 'Policies',
      count: () => a.policies.length,
      key: (i) => `P:${localPolicyArn(ctx, a.id, a.policies[i]!)}`,
      render: (i) => {
        const p = a.policies[i]!;
        return this.render(localPolicyArn(ctx, a.id, p), p.id, p.createdAt, p.document, p.description);
      },
    };
  }

  /** The AWS managed policies in use (attached or a boundary). */
  awsManaged(): DetailSegment {
    return {
      list: 'Policies',
      count: () => this.policyCounts().aws.length,
      key: (i) => `P:${this.policyCounts().aws[i]!}`,
      render: (i) => {
        const arn = this.policyCounts().aws[i]!;
        return this.render(
          arn,
          awsPolicyId(arn),
          '2015-02-06T18:40:00Z',
          managedPolicyDocument(this.ctx, this.a, arn)!,
          null,
        );
      },
    };
  }
}

/** One page of the segments, one after the other, as one virtual list. */
function detailsPage(segments: DetailSegment[], params: Params): Record<string, unknown> {
  const sizes = segments.map((g) => g.count());
  const total = sizes.reduce((x, y) => x + y, 0);
  const locate = (i: number): [DetailSegment, number] => {
    let j = 0;
    while (i >= sizes[j]!) i -= sizes[j++]!;
    return [segments[j]!, i];
  };
  const pg = virtualPage(
    total,
    (i) => {
      const [seg, k] = locate(i);
      return seg.key(k);
    },
    params,
  );
  const out: Record<string, unknown[] | boolean | string> = {
    UserDetailList: [],
    GroupDetailList: [],
    RoleDetailList: [],
    Policies: [],
  };
  for (let i = pg.start; i < pg.end; i++) {
    const [seg, k] = locate(i);
    (out[seg.list] as unknown[]).push(seg.render(k));
  }
  out.IsTruncated = pg.IsTruncated;
  if (pg.Marker) out.Marker = pg.Marker;
  return out;
}

export const iam: ServiceModule = {
  service: 'iam',
  protocol: 'query',
  xmlNamespace: NS,
  throttlingCode: 'Throttling',
  global: true,
  eventSource: 'iam.amazonaws.com',
  actions: ops,
  management: (action) => (READ_PREFIXES.some((p) => action.startsWith(p)) ? undefined : { readOnly: false }),
};
