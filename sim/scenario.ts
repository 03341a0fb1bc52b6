/**
 * The scenario file of `bks-sim` and the simulator's state, which is the same thing: the server
 * loads a scenario, normalises it (every optional field filled with what a new AWS account has)
 * and then mutates that normalised form as calls arrive. `GET /_sim/state` returns it as is.
 *
 * Contract: docs/simulator.md (scenario format: the types below).
 *
 * `Scenario*` types are what a file may contain (most fields optional); `Sim*` types are the
 * normalised state every service module works on.
 */

import { loadDetection } from './detection';
import { type SimOrgPolicy, type SimOrgUnit, validateOrgTree } from './orgtree';
import { checkScenarioPart } from './schema';

// ---------------------------------------------------------------------------------------------
// Scenario file form (input)
// ---------------------------------------------------------------------------------------------

export type PolicyDocument = Record<string, unknown>;

export interface ScenarioFault {
  /** `<service>:<Action>` (`iam:ListAccessKeys`), `<service>:*` or `*`. */
  action: string;
  /** Error code to answer (`AccessDenied`, `Throttling`, `ServiceFailure`, `ThrottlingException`, …). */
  error: string;
  /** 0..1; default 1. */
  probability?: number;
  /** Only calls made in (into) this account. */
  account?: string | null;
  /** Only calls made in this region. */
  region?: string | null;
  /** Only calls whose request parameters have these values (top-level, compared as strings). */
  where?: Record<string, string | number | boolean>;
  /** Message of the error; default a generic one. */
  message?: string | null;
  /** HTTP status; default the status AWS uses for the code (400 when unknown). */
  status?: number;
  /** Stop injecting after this many hits; default unlimited. */
  count?: number;
}

export interface ScenarioPrincipal {
  accessKeyId: string;
  secretAccessKey?: string | null;
  account: string;
  arn: string;
  /**
   * The principal's own policies (sim/authz.ts). Without any of the three it may do anything, and
   * meets the Deny statements of the scenario user or role its ARN names.
   */
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
  permissionsBoundary?: string | null;
}

export interface ScenarioOrgAccount {
  id: string;
  name?: string | null;
  email?: string | null;
  /** `ACTIVE` | `SUSPENDED` | `PENDING_CLOSURE` | `CLOSED`; default `ACTIVE`. */
  state?: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';
  joinedMethod?: 'INVITED' | 'CREATED';
  joinedAt?: string | null;
}

export interface ScenarioOrganization {
  id?: string | null;
  managementAccount: string;
  managementAccountEmail?: string | null;
  featureSet?: 'ALL' | 'CONSOLIDATED_BILLING';
  /** Member accounts; default every scenario account. The management account is always listed. */
  accounts?: ScenarioOrgAccount[];
  /** The tree and its SCPs (see sim/orgtree.ts): root id, OUs, policies, FullAWSAccess targets. */
  rootId?: string;
  scpEnabled?: boolean;
  ous?: { id?: string; name: string; parent?: string; accounts?: string[] }[];
  policies?: { id?: string; name: string; description?: string; content: unknown; targets?: string[] }[];
  fullAWSAccess?: string[];
}

export interface ScenarioAccessKey {
  id?: string | null;
  secret?: string | null;
  status?: 'Active' | 'Inactive';
  createdAt?: string | null;
  lastUsedAt?: string | null;
  lastUsedService?: string | null;
  lastUsedRegion?: string | null;
}

export interface ScenarioServiceCredential {
  id?: string | null;
  /** `ServiceName`, e.g. `bedrock.amazonaws.com`. */
  service: string;
  secret?: string | null;
  /** `Expired` is derived from `expiresAt`; a file may still say it. */
  status?: 'Active' | 'Inactive' | 'Expired';
  createdAt?: string | null;
  expiresAt?: string | null;
  /** Default `<user>-at-<account>`, `<user>+1-at-<account>` for the second of a service. */
  alias?: string | null;
  /** CodeCommit / Keyspaces style user name; default for those services `<user>-at-<account>`. */
  serviceUserName?: string | null;
}

export interface ScenarioLoginProfile {
  createdAt?: string | null;
  passwordLastUsed?: string | null;
  passwordResetRequired?: boolean;
}

export interface ScenarioMfaDevice {
  serialNumber?: string | null;
  enabledAt?: string | null;
}

export interface ScenarioSshKey {
  id?: string | null;
  status?: 'Active' | 'Inactive';
  uploadedAt?: string | null;
  fingerprint?: string | null;
}

export interface ScenarioSigningCertificate {
  id?: string | null;
  status?: 'Active' | 'Inactive';
  uploadedAt?: string | null;
}

export interface ScenarioUser {
  name: string;
  path?: string | null;
  id?: string | null;
  createdAt?: string | null;
  passwordLastUsed?: string | null;
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
  groups?: string[];
  tags?: Record<string, string>;
  loginProfile?: boolean | ScenarioLoginProfile | null;
  mfaDevices?: number | ScenarioMfaDevice[];
  sshPublicKeys?: number | ScenarioSshKey[];
  signingCertificates?: number | ScenarioSigningCertificate[];
  permissionsBoundary?: string | null;
  accessKeys?: ScenarioAccessKey[];
  serviceCredentials?: ScenarioServiceCredential[];
}

export interface ScenarioRole {
  name: string;
  path?: string | null;
  id?: string | null;
  createdAt?: string | null;
  /** Accounts whose principals may assume the role. */
  trustedAccounts?: string[];
  /** When set, AssumeRole must pass this `ExternalId`. */
  externalId?: string | null;
  /**
   * The role's trust policy (`AssumeRolePolicyDocument`); when set, `trustedAccounts` and
   * `externalId` are not used. Without it the trust policy is the one they describe.
   */
  trustPolicy?: PolicyDocument | null;
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
  tags?: Record<string, string>;
  maxSessionDuration?: number;
  permissionsBoundary?: string | null;
}

export interface ScenarioGroup {
  name: string;
  path?: string | null;
  id?: string | null;
  createdAt?: string | null;
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
}

/** A customer managed policy of the account. */
export interface ScenarioPolicy {
  name: string;
  path?: string | null;
  id?: string | null;
  createdAt?: string | null;
  description?: string | null;
  document: PolicyDocument;
}

export interface ScenarioAccount {
  id: string;
  alias?: string | null;
  regions?: string[];
  roles?: ScenarioRole[];
  groups?: ScenarioGroup[];
  policies?: ScenarioPolicy[];
  users?: ScenarioUser[];
  /** CloudTrail records, as in CloudTrail log files. */
  events?: Record<string, unknown>[];
  /** Detection prerequisites and pipeline resources (sim/detection.ts). */
  cloudtrail?: unknown;
  securityHub?: unknown;
  guardDuty?: unknown;
  bedrockLogging?: unknown;
  eventBridge?: unknown;
  sqs?: unknown;
}

export interface Scenario {
  /** The JSON Schema of the file, for editors: `sim/schemas/scenario.schema.json`. */
  $schema?: string;
  /** Free text: what the scenario shows. */
  description?: string;
  partition?: 'aws' | 'aws-us-gov' | 'aws-cn';
  now?: string;
  latencyMs?: number;
  rateLimits?: Record<string, number>;
  faults?: ScenarioFault[];
  /** Seed of the fault-probability generator: same seed, same faults. */
  seed?: number | null;
  principals?: ScenarioPrincipal[];
  organization?: ScenarioOrganization | null;
  accounts: ScenarioAccount[];
  /** Security Hub findings already imported (the state's form). */
  findings?: Record<string, unknown>[];
  /** Step Functions SendTask* calls already received (the state's form). */
  taskTokens?: Record<string, unknown>[];
}

// ---------------------------------------------------------------------------------------------
// Normalised state (what the services work on; `/_sim/state` returns it)
// ---------------------------------------------------------------------------------------------

export interface SimAccessKey {
  id: string;
  secret: string;
  status: 'Active' | 'Inactive';
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedService: string | null;
  lastUsedRegion: string | null;
}

export interface SimServiceCredential {
  id: string;
  service: string;
  secret: string;
  /** Stored `Active` | `Inactive`; readers compute `Expired` with `sscStatus`. */
  status: 'Active' | 'Inactive' | 'Expired';
  createdAt: string;
  expiresAt: string | null;
  alias: string;
  serviceUserName: string | null;
}

export interface SimLoginProfile {
  createdAt: string;
  passwordResetRequired: boolean;
}

export interface SimMfaDevice {
  serialNumber: string;
  enabledAt: string;
}

export interface SimSshKey {
  id: string;
  status: 'Active' | 'Inactive';
  uploadedAt: string;
  fingerprint: string;
}

export interface SimSigningCertificate {
  id: string;
  status: 'Active' | 'Inactive';
  uploadedAt: string;
}

export interface SimUser {
  name: string;
  path: string;
  id: string;
  createdAt: string;
  passwordLastUsed: string | null;
  managedPolicies: string[];
  inlinePolicies: Record<string, PolicyDocument>;
  groups: string[];
  tags: Record<string, string>;
  loginProfile: SimLoginProfile | null;
  mfaDevices: SimMfaDevice[];
  sshPublicKeys: SimSshKey[];
  signingCertificates: SimSigningCertificate[];
  permissionsBoundary: string | null;
  accessKeys: SimAccessKey[];
  serviceCredentials: SimServiceCredential[];
}

export interface SimRole {
  name: string;
  path: string;
  id: string;
  createdAt: string;
  trustedAccounts: string[];
  externalId: string | null;
  /** The trust policy as given; null: the one `trustedAccounts` and `externalId` describe. */
  trustPolicy: PolicyDocument | null;
  managedPolicies: string[];
  inlinePolicies: Record<string, PolicyDocument>;
  tags: Record<string, string>;
  maxSessionDuration: number;
  permissionsBoundary: string | null;
}

export interface SimGroup {
  name: string;
  path: string;
  id: string;
  createdAt: string;
  managedPolicies: string[];
  inlinePolicies: Record<string, PolicyDocument>;
}

export interface SimPolicy {
  name: string;
  path: string;
  id: string;
  createdAt: string;
  description: string | null;
  document: PolicyDocument;
}

export interface SimAccount {
  id: string;
  alias: string | null;
  regions: string[];
  roles: SimRole[];
  groups: SimGroup[];
  policies: SimPolicy[];
  users: SimUser[];
  events: Record<string, unknown>[];
  /** Trails, Security Hub, GuardDuty, Bedrock logging, EventBridge and SQS (sim/detection.ts). */
  cloudtrail?: import('./detection').SimCloudTrail;
  securityHub?: import('./detection').SimSecurityHub;
  guardDuty?: import('./detection').SimGuardDuty;
  bedrockLogging?: import('./detection').SimBedrockLogging;
  eventBridge?: import('./services/events').SimEventBridge;
  sqs?: import('./services/sqs').SimSqs;
}

export interface SimOrgAccount {
  id: string;
  name: string;
  email: string;
  state: string;
  joinedMethod: 'INVITED' | 'CREATED';
  joinedAt: string;
}

export interface SimOrganization {
  id: string;
  managementAccount: string;
  managementAccountEmail: string;
  featureSet: 'ALL' | 'CONSOLIDATED_BILLING';
  /** Every account of the organization, the management account first. */
  accounts: SimOrgAccount[];
  rootId: string;
  scpEnabled: boolean;
  ous: SimOrgUnit[];
  policies: SimOrgPolicy[];
  fullAWSAccess: string[];
}

export interface SimFault extends ScenarioFault {
  probability: number;
}

export interface SimState {
  partition: 'aws' | 'aws-us-gov' | 'aws-cn';
  now: string;
  latencyMs: number;
  rateLimits: Record<string, number>;
  faults: SimFault[];
  seed: number | null;
  principals: ScenarioPrincipal[];
  organization: SimOrganization | null;
  accounts: SimAccount[];
  /** Security Hub findings received (ASFF objects), in import order. */
  findings: Record<string, unknown>[];
  /** Step Functions SendTask* calls received. */
  taskTokens: Record<string, unknown>[];
}

// ---------------------------------------------------------------------------------------------
// Validation: the shape is sim/schemas/scenario.schema.json; what a schema cannot say is below
// ---------------------------------------------------------------------------------------------

/** A malformed scenario; `message` names the path of the bad field. */
export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`scenario: ${path}: ${problem}`);
    this.name = 'ScenarioError';
  }
}

export const PARTITIONS = ['aws', 'aws-us-gov', 'aws-cn'] as const;

function fail(path: string, problem: string): never {
  throw new ScenarioError(path, problem);
}

/** Throws the first schema error of `value` (a scenario part at `ref`), named under `prefix`. */
function check(ref: string, value: unknown, prefix: string): void {
  const problem = checkScenarioPart(ref, value, prefix);
  if (problem) fail(problem.path, problem.problem);
}

const CANONICAL_TIME_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

/** A valid date-time in the canonical form of the state (`2026-01-02T03:04:05Z`). */
function time(v: string): string {
  // Fast path: already in the canonical form (what generated scenarios and the state hold).
  if (CANONICAL_TIME_RE.test(v) && !Number.isNaN(Date.parse(v))) return v;
  return new Date(v).toISOString().replace(/\.000Z$/, 'Z');
}

function optTime(v: string | null | undefined): string | null | undefined {
  return v === undefined || v === null ? v : time(v);
}

/** Deterministic pseudo-random ids: the same scenario yields the same ids. */
export class IdMaker {
  private n = 0;
  constructor(private readonly salt: string) {}

  next(prefix: string, length = 21): string {
    this.n++;
    let h = fnv(`${this.salt}:${this.n}:${prefix}`);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let out = prefix;
    while (out.length < length) {
      h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
      h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
      h = (h ^ (h >>> 16)) >>> 0;
      out += alphabet[h % 32];
    }
    return out;
  }

  /** A pseudo-random 32-bit unsigned integer. */
  int(): number {
    this.n++;
    let h = fnv(`${this.salt}:int:${this.n}`);
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }

  /**
   * A secret that looks fake on purpose (it starts `simEXAMPLE`), so that no scanner and no
   * person mistakes a simulator secret for a real one.
   */
  secret(length = 40): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    this.n++;
    let h = fnv(`${this.salt}:secret:${this.n}`);
    let out = 'simEXAMPLE';
    while (out.length < length) {
      h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
      h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
      h = (h ^ (h >>> 16)) >>> 0;
      out += alphabet[h % 64];
    }
    return out;
  }
}

function fnv(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * An `AKIA…`/`ASIA…` key id whose account decodes correctly with the offline method
 * (bedrock-api-keys.md "Account ID from an access key ID"): characters 5..20 are base32 of
 * 10 bytes whose first 6, as a big-endian integer, carry `account << 7` (plus a low random part).
 */
export function makeAccessKeyId(prefix: 'AKIA' | 'ASIA', account: string, randomBits: () => number): string {
  const acct = BigInt(account);
  let v = (acct << 7n) | BigInt(randomBits() & 0x7f);
  const bytes = new Uint8Array(10);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  for (let i = 6; i < 10; i++) bytes[i] = randomBits() & 0xff;
  // base32 of 10 bytes = 16 chars
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return prefix + out;
}

/** The account encoded in an `AKIA…`/`ASIA…` key id (offline method), or undefined. */
export function accountFromAccessKeyId(keyId: string): string | undefined {
  if (!/^A[KS]IA[A-Z2-7]{16}$/.test(keyId)) return undefined;
  let bits = 0;
  let value = 0n;
  for (const c of keyId.slice(4)) {
    value = (value << 5n) | BigInt(B32.indexOf(c));
    bits += 5;
  }
  // 80 bits; first 48 bits are the integer
  const first48 = value >> BigInt(bits - 48);
  const acct = (first48 & 0x7fffffffff80n) >> 7n;
  return acct.toString().padStart(12, '0');
}

/** Names must be unique in their list, ignoring case (as IAM compares them). */
function unique(names: string[], path: string, what: string): void {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    const key = n.toLowerCase();
    if (seen.has(key)) fail(`${path}[${i}]`, `duplicate ${what} ${JSON.stringify(n)}`);
    seen.add(key);
  });
}

/** The id a service credential alias gets: `<user>-at-<account>`, then `<user>+1-at-<account>`. */
export function sscAlias(user: string, account: string, taken: Iterable<string>): string {
  const set = new Set(taken);
  const first = `${user}-at-${account}`;
  if (!set.has(first)) return first;
  return `${user}+1-at-${account}`;
}

/** Services whose credentials carry a `ServiceUserName` (CodeCommit-style). */
export const SERVICE_USER_NAME_SERVICES = ['codecommit.amazonaws.com', 'cassandra.amazonaws.com'];

/**
 * Validates a parsed scenario file and returns the normalised state. Throws `ScenarioError`
 * naming the path of the first bad field.
 */
export function loadScenario(input: unknown): SimState {
  check('', input, '');
  const root = input as Scenario;
  const partition = root.partition ?? 'aws';
  const now = root.now === undefined ? new Date().toISOString() : time(root.now);
  const rateLimits = { ...root.rateLimits };
  // AWS: LookupEvents serves 2 requests per second per account per region.
  if (rateLimits['cloudtrail:LookupEvents'] === undefined && rateLimits['cloudtrail:*'] === undefined) {
    rateLimits['cloudtrail:LookupEvents'] = 2;
  }
  const seed = root.seed ?? null;
  const ids = new IdMaker(String(seed ?? 0));
  const rnd = () => ids.int();
  const accounts = root.accounts.map((a, i) =>
    normaliseAccount(a, `accounts[${i}]`, partition, now, ids, rnd),
  );
  unique(
    accounts.map((a) => a.id),
    'accounts',
    'account id',
  );
  const principals = (root.principals ?? []).map((p) => {
    const out: ScenarioPrincipal = { accessKeyId: p.accessKeyId, account: p.account, arn: p.arn };
    if (typeof p.secretAccessKey === 'string') out.secretAccessKey = p.secretAccessKey;
    if (p.managedPolicies !== undefined) out.managedPolicies = [...p.managedPolicies];
    if (p.inlinePolicies !== undefined) out.inlinePolicies = structuredClone(p.inlinePolicies);
    if (p.permissionsBoundary !== undefined && p.permissionsBoundary !== null)
      out.permissionsBoundary = p.permissionsBoundary;
    return out;
  });
  const organization = root.organization
    ? normaliseOrganization(root.organization, 'organization', accounts, ids, now)
    : null;
  return {
    partition,
    now,
    latencyMs: root.latencyMs ?? 0,
    rateLimits,
    faults: normaliseFaults(root.faults ?? []),
    seed,
    principals,
    organization,
    accounts,
    findings: root.findings ?? [],
    taskTokens: root.taskTokens ?? [],
  };
}

/** Checks and copies the `rateLimits` of `PUT /_sim/faults`. */
export function validateRateLimits(v: unknown, path: string): Record<string, number> {
  check('/properties/rateLimits', v, path);
  return { ...(v as Record<string, number>) };
}

/** Checks and normalises the `faults` of `PUT /_sim/faults`. */
export function validateFaults(v: unknown, path: string): SimFault[] {
  check('/properties/faults', v, path);
  return normaliseFaults(v as ScenarioFault[]);
}

function normaliseFaults(faults: ScenarioFault[]): SimFault[] {
  return faults.map((f) => {
    const out: SimFault = { action: f.action, error: f.error, probability: f.probability ?? 1 };
    for (const k of ['account', 'region', 'message'] as const) if (typeof f[k] === 'string') out[k] = f[k];
    if (f.where !== undefined) out.where = { ...f.where };
    if (f.status !== undefined) out.status = f.status;
    if (f.count !== undefined) out.count = f.count;
    return out;
  });
}

function normaliseOrganization(
  o: ScenarioOrganization,
  path: string,
  accounts: SimAccount[],
  ids: IdMaker,
  now: string,
): SimOrganization {
  const management = o.managementAccount;
  // An organization is run from an account that exists: its management account must be one of the scenario's.
  if (!accounts.some((a) => a.id === management)) {
    fail(`${path}.managementAccount`, `${management} is not one of the scenario's accounts`);
  }
  const id = o.id ?? `o-${ids.next('', 10).toLowerCase()}`;
  const featureSet = o.featureSet ?? 'ALL';
  const email = o.managementAccountEmail ?? `aws+${management}@example.com`;
  const alias = (id: string) => accounts.find((a) => a.id === id)?.alias ?? undefined;
  const list: ScenarioOrgAccount[] = o.accounts ?? accounts.map((a) => ({ id: a.id }));
  const members: SimOrgAccount[] = list.map((a) => ({
    id: a.id,
    name: a.name ?? alias(a.id) ?? (a.id === management ? 'management' : `account-${a.id}`),
    email: a.email ?? `aws+${a.id}@example.com`,
    state: a.state ?? 'ACTIVE',
    joinedMethod: a.joinedMethod ?? (a.id === management ? 'INVITED' : 'CREATED'),
    joinedAt: optTime(a.joinedAt) ?? now,
  }));
  unique(
    members.map((m) => m.id),
    `${path}.accounts`,
    'account id',
  );
  const i = members.findIndex((m) => m.id === management);
  if (i < 0) {
    members.unshift({
      id: management,
      name: alias(management) ?? 'management',
      email,
      state: 'ACTIVE',
      joinedMethod: 'INVITED',
      joinedAt: now,
    });
  } else {
    const [m] = members.splice(i, 1);
    members.unshift(m!);
  }
  const tree = validateOrgTree(o, path, { orgId: id, featureSet, members: members.map((m) => m.id), ids });
  return {
    id,
    managementAccount: management,
    managementAccountEmail: email,
    featureSet,
    accounts: members,
    ...tree,
  };
}

/** A count (`"mfaDevices": 2`) or a list, as a list of `make`'s items. */
function countOrList<I extends object, T>(
  v: number | I[] | undefined,
  make: (item: Partial<I>, i: number) => T,
): T[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return Array.from({ length: v }, (_, i) => make({}, i));
  return v.map((item, i) => make(item, i));
}

function normaliseAccount(
  a: ScenarioAccount,
  path: string,
  partition: string,
  now: string,
  ids: IdMaker,
  rnd: () => number,
): SimAccount {
  const id = a.id;
  const policies: SimPolicy[] = (a.policies ?? []).map((po) => ({
    name: po.name,
    path: po.path ?? '/',
    id: po.id ?? ids.next('ANPA'),
    createdAt: optTime(po.createdAt) ?? now,
    description: po.description ?? null,
    document: po.document,
  }));
  unique(
    policies.map((x) => x.name),
    `${path}.policies`,
    'policy name',
  );
  const groups: SimGroup[] = (a.groups ?? []).map((g) => ({
    name: g.name,
    path: g.path ?? '/',
    id: g.id ?? ids.next('AGPA'),
    createdAt: optTime(g.createdAt) ?? now,
    managedPolicies: [...(g.managedPolicies ?? [])],
    inlinePolicies: { ...g.inlinePolicies },
  }));
  unique(
    groups.map((g) => g.name),
    `${path}.groups`,
    'group name',
  );
  const roles: SimRole[] = (a.roles ?? []).map((r) => ({
    name: r.name,
    path: r.path ?? '/',
    id: r.id ?? ids.next('AROA'),
    createdAt: optTime(r.createdAt) ?? now,
    trustedAccounts: [...(r.trustedAccounts ?? [id])],
    externalId: r.externalId ?? null,
    trustPolicy: r.trustPolicy ? structuredClone(r.trustPolicy) : null,
    managedPolicies: [...(r.managedPolicies ?? [])],
    inlinePolicies: { ...r.inlinePolicies },
    tags: { ...r.tags },
    maxSessionDuration: r.maxSessionDuration ?? 3600,
    permissionsBoundary: r.permissionsBoundary ?? null,
  }));
  unique(
    roles.map((r) => r.name),
    `${path}.roles`,
    'role name',
  );
  const groupNames = new Set(groups.map((g) => g.name));
  const usedKeyIds = new Set<string>();
  const users: SimUser[] = (a.users ?? []).map((u, i) =>
    normaliseUser(u, `${path}.users[${i}]`, {
      partition,
      account: id,
      now,
      ids,
      rnd,
      groupNames,
      usedKeyIds,
    }),
  );
  unique(
    users.map((u) => u.name),
    `${path}.users`,
    'user name',
  );
  const regions = [...(a.regions ?? ['us-east-1'])];
  return {
    id,
    alias: a.alias ?? null,
    regions,
    roles,
    groups,
    policies,
    users,
    events: a.events ?? [],
    ...loadDetection(a as unknown as Record<string, unknown>, path, id, regions, partition, now),
  };
}

interface UserContext {
  partition: string;
  account: string;
  now: string;
  ids: IdMaker;
  rnd: () => number;
  groupNames: Set<string>;
  usedKeyIds: Set<string>;
}

function normaliseUser(u: ScenarioUser, path: string, c: UserContext): SimUser {
  const { account, ids } = c;
  const name = u.name;
  const createdAt = optTime(u.createdAt) ?? c.now;
  (u.groups ?? []).forEach((g, i) => {
    if (!c.groupNames.has(g))
      fail(`${path}.groups[${i}]`, `group ${JSON.stringify(g)} is not in the account`);
  });
  let loginProfile: SimLoginProfile | null = null;
  if (u.loginProfile === true) loginProfile = { createdAt, passwordResetRequired: false };
  else if (typeof u.loginProfile === 'object' && u.loginProfile !== null) {
    loginProfile = {
      createdAt: optTime(u.loginProfile.createdAt) ?? createdAt,
      passwordResetRequired: u.loginProfile.passwordResetRequired ?? false,
    };
  }
  const accessKeys = (u.accessKeys ?? []).map((k, i): SimAccessKey => {
    const kid = k.id ?? makeAccessKeyId('AKIA', account, c.rnd);
    if (c.usedKeyIds.has(kid)) fail(`${path}.accessKeys[${i}].id`, `duplicate access key id ${kid}`);
    c.usedKeyIds.add(kid);
    return {
      id: kid,
      secret: k.secret ?? ids.secret(40),
      status: k.status ?? 'Active',
      createdAt: optTime(k.createdAt) ?? createdAt,
      lastUsedAt: optTime(k.lastUsedAt) ?? null,
      lastUsedService: k.lastUsedService ?? null,
      lastUsedRegion: k.lastUsedRegion ?? null,
    };
  });
  const perService = new Map<string, string[]>();
  const serviceCredentials = (u.serviceCredentials ?? []).map((sc, i): SimServiceCredential => {
    const service = sc.service;
    const taken = perService.get(service) ?? [];
    if (taken.length >= 2) {
      fail(`${path}.serviceCredentials[${i}]`, `a user has at most 2 credentials for ${service}`);
    }
    const alias = sc.alias ?? sscAlias(name, account, taken);
    taken.push(alias);
    perService.set(service, taken);
    return {
      id: sc.id ?? ids.next('ACCA'),
      service,
      secret: sc.secret ?? ids.secret(40),
      status: sc.status ?? 'Active',
      createdAt: optTime(sc.createdAt) ?? createdAt,
      expiresAt: optTime(sc.expiresAt) ?? null,
      alias,
      serviceUserName: sc.serviceUserName ?? (SERVICE_USER_NAME_SERVICES.includes(service) ? alias : null),
    };
  });
  return {
    name,
    path: u.path ?? '/',
    id: u.id ?? ids.next('AIDA'),
    createdAt,
    passwordLastUsed: optTime(u.passwordLastUsed) ?? null,
    managedPolicies: [...(u.managedPolicies ?? [])],
    inlinePolicies: { ...u.inlinePolicies },
    groups: [...(u.groups ?? [])],
    tags: { ...u.tags },
    loginProfile,
    mfaDevices: countOrList(u.mfaDevices, (m, i) => ({
      serialNumber: m.serialNumber ?? `arn:${c.partition}:iam::${account}:mfa/${name}-${i}`,
      enabledAt: optTime(m.enabledAt) ?? createdAt,
    })),
    sshPublicKeys: countOrList(u.sshPublicKeys, (m) => ({
      id: m.id ?? ids.next('APKA'),
      status: m.status ?? 'Active',
      uploadedAt: optTime(m.uploadedAt) ?? createdAt,
      fingerprint: m.fingerprint ?? ids.next('', 32).toLowerCase(),
    })),
    signingCertificates: countOrList(u.signingCertificates, (m) => ({
      id: m.id ?? ids.next('', 32),
      status: m.status ?? 'Active',
      uploadedAt: optTime(m.uploadedAt) ?? createdAt,
    })),
    permissionsBoundary: u.permissionsBoundary ?? null,
    accessKeys,
    serviceCredentials,
  };
}

/** `Expired` when past its expiry, else the stored status. */
export function sscStatus(c: SimServiceCredential, nowMs: number): 'Active' | 'Inactive' | 'Expired' {
  if (c.expiresAt !== null && Date.parse(c.expiresAt) <= nowMs) return 'Expired';
  return c.status;
}
