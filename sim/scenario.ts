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

import { DETECTION_KEYS, loadDetection } from './detection';
import { ORG_TREE_FIELDS, type SimOrgPolicy, type SimOrgUnit, validateOrgTree } from './orgtree';

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
  account?: string;
  /** Only calls made in this region. */
  region?: string;
  /** Only calls whose request parameters have these values (top-level, compared as strings). */
  where?: Record<string, string | number | boolean>;
  /** Message of the error; default a generic one. */
  message?: string;
  /** HTTP status; default the status AWS uses for the code (400 when unknown). */
  status?: number;
  /** Stop injecting after this many hits; default unlimited. */
  count?: number;
}

export interface ScenarioPrincipal {
  accessKeyId: string;
  secretAccessKey?: string;
  account: string;
  arn: string;
}

export interface ScenarioOrgAccount {
  id: string;
  name?: string;
  email?: string;
  /** `ACTIVE` | `SUSPENDED` | `PENDING_CLOSURE` | `CLOSED`; default `ACTIVE`. */
  state?: string;
  joinedMethod?: 'INVITED' | 'CREATED';
  joinedAt?: string;
}

export interface ScenarioOrganization {
  id?: string;
  managementAccount: string;
  managementAccountEmail?: string;
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
  id?: string;
  secret?: string;
  status?: 'Active' | 'Inactive';
  createdAt?: string;
  lastUsedAt?: string | null;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

export interface ScenarioServiceCredential {
  id?: string;
  /** `ServiceName`, e.g. `bedrock.amazonaws.com`. */
  service: string;
  secret?: string;
  /** `Expired` is derived from `expiresAt`; a file may still say it. */
  status?: 'Active' | 'Inactive' | 'Expired';
  createdAt?: string;
  expiresAt?: string | null;
  /** Default `<user>-at-<account>`, `<user>+1-at-<account>` for the second of a service. */
  alias?: string;
  /** CodeCommit / Keyspaces style user name; default for those services `<user>-at-<account>`. */
  serviceUserName?: string;
}

export interface ScenarioLoginProfile {
  createdAt?: string;
  passwordLastUsed?: string | null;
  passwordResetRequired?: boolean;
}

export interface ScenarioMfaDevice {
  serialNumber?: string;
  enabledAt?: string;
}

export interface ScenarioSshKey {
  id?: string;
  status?: 'Active' | 'Inactive';
  uploadedAt?: string;
  fingerprint?: string;
}

export interface ScenarioSigningCertificate {
  id?: string;
  status?: 'Active' | 'Inactive';
  uploadedAt?: string;
}

export interface ScenarioUser {
  name: string;
  path?: string;
  id?: string;
  createdAt?: string;
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
  path?: string;
  id?: string;
  createdAt?: string;
  /** Accounts whose principals may assume the role. */
  trustedAccounts?: string[];
  /** When set, AssumeRole must pass this `ExternalId`. */
  externalId?: string | null;
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
  tags?: Record<string, string>;
  maxSessionDuration?: number;
  permissionsBoundary?: string | null;
}

export interface ScenarioGroup {
  name: string;
  path?: string;
  id?: string;
  createdAt?: string;
  managedPolicies?: string[];
  inlinePolicies?: Record<string, PolicyDocument>;
}

/** A customer managed policy of the account. */
export interface ScenarioPolicy {
  name: string;
  path?: string;
  id?: string;
  createdAt?: string;
  description?: string;
  document: PolicyDocument;
}

export interface ScenarioAccount {
  id: string;
  alias?: string;
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
  partition?: 'aws' | 'aws-us-gov' | 'aws-cn';
  now?: string;
  latencyMs?: number;
  rateLimits?: Record<string, number>;
  faults?: ScenarioFault[];
  /** Seed of the fault-probability generator: same seed, same faults. */
  seed?: number;
  principals?: ScenarioPrincipal[];
  organization?: ScenarioOrganization | null;
  accounts: ScenarioAccount[];
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
// Validation
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
const ACCOUNT_RE = /^\d{12}$/;
const USER_NAME_RE = /^[\w+=,.@-]{1,64}$/;
const ROLE_NAME_RE = /^[\w+=,.@-]{1,64}$/;
const GROUP_NAME_RE = /^[\w+=,.@-]{1,128}$/;
const PATH_RE = /^\/(?:[\x21-\x7e]*\/)?$/;
const ARN_RE = /^arn:aws(?:-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12}|aws)?:.+$/;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, problem: string): never {
  throw new ScenarioError(path, problem);
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
  if (re && !re.test(v)) fail(path, `${JSON.stringify(v)} is not ${what ?? `a valid value (${re})`}`);
  return v;
}

function optStr(v: unknown, path: string, re?: RegExp, what?: string): string | undefined {
  return v === undefined || v === null ? undefined : str(v, path, re, what);
}

function num(v: unknown, path: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a number');
  if (integer && !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) fail(path, `must be between ${min} and ${max} (got ${v})`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'must be true or false');
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) {
    fail(path, `must be one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

const CANONICAL_TIME_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;

function time(v: unknown, path: string): string {
  // Fast path: already in the canonical form (what generated scenarios and the state hold).
  if (typeof v === 'string' && CANONICAL_TIME_RE.test(v) && !Number.isNaN(Date.parse(v))) return v;
  if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(Date.parse(v))) {
    fail(path, `must be an ISO 8601 date-time such as 2026-01-02T03:04:05Z (got ${JSON.stringify(v)})`);
  }
  return new Date(v).toISOString().replace(/\.000Z$/, 'Z');
}

function optTime(v: unknown, path: string): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return time(v, path);
}

function noUnknown(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${path}.${k}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

function strMap(v: unknown, path: string): Record<string, string> {
  const o = obj(v, path);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) out[k] = str(val, `${path}.${k}`);
  return out;
}

function policyMap(v: unknown, path: string): Record<string, PolicyDocument> {
  const o = obj(v, path);
  const out: Record<string, PolicyDocument> = {};
  for (const [k, val] of Object.entries(o)) {
    if (!/^[\w+=,.@-]{1,128}$/.test(k)) fail(`${path}.${k}`, 'is not a valid policy name');
    const doc = obj(val, `${path}.${k}`);
    if (doc.Statement === undefined) fail(`${path}.${k}.Statement`, 'is required in a policy document');
    out[k] = doc;
  }
  return out;
}

function arnList(v: unknown, path: string): string[] {
  return arr(v, path).map((a, i) => str(a, `${path}[${i}]`, ARN_RE, 'an ARN'));
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
  const root = obj(input, '$');
  noUnknown(root, '$', [
    '$schema',
    'description',
    'partition',
    'now',
    'latencyMs',
    'rateLimits',
    'faults',
    'seed',
    'principals',
    'organization',
    'accounts',
    'findings',
    'taskTokens',
  ]);
  const partition = root.partition === undefined ? 'aws' : oneOf(root.partition, 'partition', PARTITIONS);
  const now = root.now === undefined ? new Date().toISOString() : time(root.now, 'now');
  const latencyMs = root.latencyMs === undefined ? 0 : num(root.latencyMs, 'latencyMs', 0, 60_000);
  const rateLimits = root.rateLimits === undefined ? {} : validateRateLimits(root.rateLimits, 'rateLimits');
  // AWS: LookupEvents serves 2 requests per second per account per region.
  if (rateLimits['cloudtrail:LookupEvents'] === undefined && rateLimits['cloudtrail:*'] === undefined) {
    rateLimits['cloudtrail:LookupEvents'] = 2;
  }
  const faults = root.faults === undefined ? [] : validateFaults(root.faults, 'faults');
  const seed =
    root.seed === undefined || root.seed === null ? null : num(root.seed, 'seed', 0, 2 ** 32 - 1, true);
  const ids = new IdMaker(String(seed ?? 0));
  const rnd = () => ids.int();

  if (root.accounts === undefined) fail('accounts', 'is required (at least one account)');
  const accountsIn = arr(root.accounts, 'accounts');
  if (accountsIn.length === 0) fail('accounts', 'must list at least one account');
  const accounts = accountsIn.map((a, i) => validateAccount(a, `accounts[${i}]`, partition, now, ids, rnd));
  unique(
    accounts.map((a) => a.id),
    'accounts',
    'account id',
  );

  const principals =
    root.principals === undefined
      ? []
      : arr(root.principals, 'principals').map((p, i) => {
          const path = `principals[${i}]`;
          const o = obj(p, path);
          noUnknown(o, path, ['accessKeyId', 'secretAccessKey', 'account', 'arn']);
          const out: ScenarioPrincipal = {
            accessKeyId: str(o.accessKeyId, `${path}.accessKeyId`, /^[A-Z0-9]{4,128}$/, 'an access key id'),
            account: str(o.account, `${path}.account`, ACCOUNT_RE, 'a 12-digit account id'),
            arn: str(o.arn, `${path}.arn`, ARN_RE, 'an ARN'),
          };
          const secret = optStr(o.secretAccessKey, `${path}.secretAccessKey`);
          if (secret !== undefined) out.secretAccessKey = secret;
          return out;
        });

  let organization: SimOrganization | null = null;
  if (root.organization !== undefined && root.organization !== null) {
    organization = validateOrganization(root.organization, 'organization', accounts, ids, now);
  }

  const state: SimState = {
    partition,
    now,
    latencyMs,
    rateLimits,
    faults,
    seed,
    principals,
    organization,
    accounts,
    findings:
      root.findings === undefined ? [] : (arr(root.findings, 'findings') as Record<string, unknown>[]),
    taskTokens:
      root.taskTokens === undefined ? [] : (arr(root.taskTokens, 'taskTokens') as Record<string, unknown>[]),
  };
  return state;
}

export function validateRateLimits(v: unknown, path: string): Record<string, number> {
  const o = obj(v, path);
  const out: Record<string, number> = {};
  for (const [k, val] of Object.entries(o)) {
    if (!/^(\*|[a-z0-9-]+:(\*|[A-Za-z0-9]+))$/.test(k)) {
      fail(`${path}.${k}`, 'key must be "<service>:<Action>", "<service>:*" or "*"');
    }
    out[k] = num(val, `${path}.${k}`, 0.001, 1_000_000);
  }
  return out;
}

export function validateFaults(v: unknown, path: string): SimFault[] {
  return arr(v, path).map((f, i) => {
    const p = `${path}[${i}]`;
    const o = obj(f, p);
    noUnknown(o, p, [
      'action',
      'error',
      'probability',
      'account',
      'region',
      'where',
      'message',
      'status',
      'count',
    ]);
    const out: SimFault = {
      action: str(
        o.action,
        `${p}.action`,
        /^(\*|[a-z0-9-]+:(\*|[A-Za-z0-9]+))$/,
        'a "<service>:<Action>" pattern',
      ),
      error: str(o.error, `${p}.error`, /^[A-Za-z0-9.]{1,128}$/, 'an error code'),
      probability: o.probability === undefined ? 1 : num(o.probability, `${p}.probability`, 0, 1),
    };
    const account = optStr(o.account, `${p}.account`, ACCOUNT_RE, 'a 12-digit account id');
    if (account !== undefined) out.account = account;
    const region = optStr(o.region, `${p}.region`);
    if (region !== undefined) out.region = region;
    if (o.where !== undefined) {
      const w = obj(o.where, `${p}.where`);
      const where: Record<string, string | number | boolean> = {};
      for (const [k, val] of Object.entries(w)) {
        if (!['string', 'number', 'boolean'].includes(typeof val))
          fail(`${p}.where.${k}`, 'must be a scalar');
        where[k] = val as string | number | boolean;
      }
      out.where = where;
    }
    const message = optStr(o.message, `${p}.message`);
    if (message !== undefined) out.message = message;
    if (o.status !== undefined) out.status = num(o.status, `${p}.status`, 400, 599, true);
    if (o.count !== undefined) out.count = num(o.count, `${p}.count`, 0, Number.MAX_SAFE_INTEGER, true);
    return out;
  });
}

function validateOrganization(
  v: unknown,
  path: string,
  accounts: SimAccount[],
  ids: IdMaker,
  now: string,
): SimOrganization {
  const o = obj(v, path);
  noUnknown(o, path, [
    'id',
    'managementAccount',
    'managementAccountEmail',
    'featureSet',
    'accounts',
    ...ORG_TREE_FIELDS,
  ]);
  const management = str(
    o.managementAccount,
    `${path}.managementAccount`,
    ACCOUNT_RE,
    'a 12-digit account id',
  );
  const id =
    optStr(o.id, `${path}.id`, /^o-[a-z0-9]{10,32}$/, 'an organization id (o-…)') ??
    `o-${ids.next('', 10).toLowerCase()}`;
  const featureSet =
    o.featureSet === undefined
      ? 'ALL'
      : oneOf(o.featureSet, `${path}.featureSet`, ['ALL', 'CONSOLIDATED_BILLING']);
  const email =
    optStr(o.managementAccountEmail, `${path}.managementAccountEmail`) ?? `aws+${management}@example.com`;
  const alias = (id: string) => accounts.find((a) => a.id === id)?.alias;
  const members: SimOrgAccount[] = [];
  const list =
    o.accounts === undefined
      ? accounts.map((a) => ({ id: a.id }))
      : arr(o.accounts, `${path}.accounts`).map((a, i) => obj(a, `${path}.accounts[${i}]`));
  list.forEach((a, i) => {
    const p = `${path}.accounts[${i}]`;
    noUnknown(a, p, ['id', 'name', 'email', 'state', 'joinedMethod', 'joinedAt']);
    const aid = str(a.id, `${p}.id`, ACCOUNT_RE, 'a 12-digit account id');
    members.push({
      id: aid,
      name:
        optStr(a.name, `${p}.name`) ?? alias(aid) ?? (aid === management ? 'management' : `account-${aid}`),
      email: optStr(a.email, `${p}.email`) ?? `aws+${aid}@example.com`,
      state:
        a.state === undefined
          ? 'ACTIVE'
          : oneOf(a.state, `${p}.state`, ['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED']),
      joinedMethod:
        a.joinedMethod === undefined
          ? aid === management
            ? 'INVITED'
            : 'CREATED'
          : oneOf(a.joinedMethod, `${p}.joinedMethod`, ['INVITED', 'CREATED']),
      joinedAt: optTime(a.joinedAt, `${p}.joinedAt`) ?? now,
    });
  });
  unique(
    members.map((m) => m.id),
    `${path}.accounts`,
    'account id',
  );
  if (!members.some((m) => m.id === management)) {
    members.unshift({
      id: management,
      name: alias(management) ?? 'management',
      email,
      state: 'ACTIVE',
      joinedMethod: 'INVITED',
      joinedAt: now,
    });
  } else {
    const i = members.findIndex((m) => m.id === management);
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

function countOrList<T>(v: unknown, path: string, make: (item: Obj, p: string, i: number) => T): T[] {
  if (v === undefined) return [];
  if (typeof v === 'number') {
    num(v, path, 0, 100, true);
    return Array.from({ length: v }, (_, i) => make({}, `${path}[${i}]`, i));
  }
  return arr(v, path).map((item, i) => make(obj(item, `${path}[${i}]`), `${path}[${i}]`, i));
}

function validateAccount(
  v: unknown,
  path: string,
  partition: string,
  now: string,
  ids: IdMaker,
  rnd: () => number,
): SimAccount {
  const o = obj(v, path);
  noUnknown(o, path, [
    'id',
    'alias',
    'regions',
    'roles',
    'groups',
    'policies',
    'users',
    'events',
    ...DETECTION_KEYS,
  ]);
  const id = str(o.id, `${path}.id`, ACCOUNT_RE, 'a 12-digit account id');
  const regions =
    o.regions === undefined
      ? ['us-east-1']
      : arr(o.regions, `${path}.regions`).map((r, i) =>
          str(r, `${path}.regions[${i}]`, /^[a-z]{2}(-[a-z]+)+-\d$/, 'a region name'),
        );

  const policies: SimPolicy[] = (o.policies === undefined ? [] : arr(o.policies, `${path}.policies`)).map(
    (pv, i) => {
      const p = `${path}.policies[${i}]`;
      const po = obj(pv, p);
      noUnknown(po, p, ['name', 'path', 'id', 'createdAt', 'description', 'document']);
      const doc = obj(po.document, `${p}.document`);
      if (doc.Statement === undefined) fail(`${p}.document.Statement`, 'is required in a policy document');
      return {
        name: str(po.name, `${p}.name`, /^[\w+=,.@-]{1,128}$/, 'a policy name'),
        path: optStr(po.path, `${p}.path`, PATH_RE, 'a path such as / or /team/') ?? '/',
        id: optStr(po.id, `${p}.id`) ?? ids.next('ANPA'),
        createdAt: optTime(po.createdAt, `${p}.createdAt`) ?? now,
        description: optStr(po.description, `${p}.description`) ?? null,
        document: doc,
      };
    },
  );
  unique(
    policies.map((x) => x.name),
    `${path}.policies`,
    'policy name',
  );

  const groups: SimGroup[] = (o.groups === undefined ? [] : arr(o.groups, `${path}.groups`)).map((gv, i) => {
    const p = `${path}.groups[${i}]`;
    const g = obj(gv, p);
    noUnknown(g, p, ['name', 'path', 'id', 'createdAt', 'managedPolicies', 'inlinePolicies']);
    return {
      name: str(g.name, `${p}.name`, GROUP_NAME_RE, 'a valid group name'),
      path: optStr(g.path, `${p}.path`, PATH_RE, 'a path such as / or /team/') ?? '/',
      id: optStr(g.id, `${p}.id`) ?? ids.next('AGPA'),
      createdAt: optTime(g.createdAt, `${p}.createdAt`) ?? now,
      managedPolicies:
        g.managedPolicies === undefined ? [] : arnList(g.managedPolicies, `${p}.managedPolicies`),
      inlinePolicies:
        g.inlinePolicies === undefined ? {} : policyMap(g.inlinePolicies, `${p}.inlinePolicies`),
    };
  });
  unique(
    groups.map((g) => g.name),
    `${path}.groups`,
    'group name',
  );

  const roles: SimRole[] = (o.roles === undefined ? [] : arr(o.roles, `${path}.roles`)).map((rv, i) => {
    const p = `${path}.roles[${i}]`;
    const r = obj(rv, p);
    noUnknown(r, p, [
      'name',
      'path',
      'id',
      'createdAt',
      'trustedAccounts',
      'externalId',
      'managedPolicies',
      'inlinePolicies',
      'tags',
      'maxSessionDuration',
      'permissionsBoundary',
    ]);
    return {
      name: str(r.name, `${p}.name`, ROLE_NAME_RE, 'a valid role name'),
      path: optStr(r.path, `${p}.path`, PATH_RE, 'a path such as / or /team/') ?? '/',
      id: optStr(r.id, `${p}.id`) ?? ids.next('AROA'),
      createdAt: optTime(r.createdAt, `${p}.createdAt`) ?? now,
      trustedAccounts:
        r.trustedAccounts === undefined
          ? [id]
          : arr(r.trustedAccounts, `${p}.trustedAccounts`).map((t, j) =>
              str(t, `${p}.trustedAccounts[${j}]`, ACCOUNT_RE, 'a 12-digit account id'),
            ),
      externalId:
        r.externalId === undefined || r.externalId === null ? null : str(r.externalId, `${p}.externalId`),
      managedPolicies:
        r.managedPolicies === undefined ? [] : arnList(r.managedPolicies, `${p}.managedPolicies`),
      inlinePolicies:
        r.inlinePolicies === undefined ? {} : policyMap(r.inlinePolicies, `${p}.inlinePolicies`),
      tags: r.tags === undefined ? {} : strMap(r.tags, `${p}.tags`),
      maxSessionDuration:
        r.maxSessionDuration === undefined
          ? 3600
          : num(r.maxSessionDuration, `${p}.maxSessionDuration`, 3600, 43200, true),
      permissionsBoundary:
        r.permissionsBoundary === undefined || r.permissionsBoundary === null
          ? null
          : str(r.permissionsBoundary, `${p}.permissionsBoundary`, ARN_RE, 'an ARN'),
    };
  });
  unique(
    roles.map((r) => r.name),
    `${path}.roles`,
    'role name',
  );

  const groupNames = new Set(groups.map((g) => g.name));
  const usedKeyIds = new Set<string>();
  const users: SimUser[] = (o.users === undefined ? [] : arr(o.users, `${path}.users`)).map((uv, i) =>
    validateUser(uv, `${path}.users[${i}]`, partition, id, now, ids, rnd, groupNames, usedKeyIds),
  );
  unique(
    users.map((u) => u.name),
    `${path}.users`,
    'user name',
  );

  const events = (o.events === undefined ? [] : arr(o.events, `${path}.events`)).map((ev, i) => {
    const p = `${path}.events[${i}]`;
    const e = obj(ev, p);
    str(e.eventName, `${p}.eventName`);
    str(e.eventSource, `${p}.eventSource`);
    time(e.eventTime, `${p}.eventTime`);
    return e;
  });
  return {
    id,
    alias: optStr(o.alias, `${path}.alias`) ?? null,
    regions,
    roles,
    groups,
    policies,
    users,
    events,
    ...loadDetection(o, path, id, regions, partition, now),
  };
}

function validateUser(
  v: unknown,
  path: string,
  partition: string,
  account: string,
  now: string,
  ids: IdMaker,
  rnd: () => number,
  groupNames: Set<string>,
  usedKeyIds: Set<string>,
): SimUser {
  const u = obj(v, path);
  noUnknown(u, path, [
    'name',
    'path',
    'id',
    'createdAt',
    'passwordLastUsed',
    'managedPolicies',
    'inlinePolicies',
    'groups',
    'tags',
    'loginProfile',
    'mfaDevices',
    'sshPublicKeys',
    'signingCertificates',
    'permissionsBoundary',
    'accessKeys',
    'serviceCredentials',
  ]);
  const name = str(u.name, `${path}.name`, USER_NAME_RE, 'a valid IAM user name ([\\w+=,.@-]{1,64})');
  const createdAt = optTime(u.createdAt, `${path}.createdAt`) ?? now;
  const groups =
    u.groups === undefined
      ? []
      : arr(u.groups, `${path}.groups`).map((g, i) => {
          const gn = str(g, `${path}.groups[${i}]`);
          if (!groupNames.has(gn))
            fail(`${path}.groups[${i}]`, `group ${JSON.stringify(gn)} is not in the account`);
          return gn;
        });
  let loginProfile: SimLoginProfile | null = null;
  if (u.loginProfile === true) loginProfile = { createdAt, passwordResetRequired: false };
  else if (isObj(u.loginProfile)) {
    const lp = u.loginProfile;
    const p = `${path}.loginProfile`;
    noUnknown(lp, p, ['createdAt', 'passwordLastUsed', 'passwordResetRequired']);
    loginProfile = {
      createdAt: optTime(lp.createdAt, `${p}.createdAt`) ?? createdAt,
      passwordResetRequired:
        lp.passwordResetRequired === undefined
          ? false
          : bool(lp.passwordResetRequired, `${p}.passwordResetRequired`),
    };
  } else if (u.loginProfile !== undefined && u.loginProfile !== false && u.loginProfile !== null) {
    fail(`${path}.loginProfile`, 'must be true, false or an object');
  }
  const accessKeys = (u.accessKeys === undefined ? [] : arr(u.accessKeys, `${path}.accessKeys`)).map(
    (kv, i) => {
      const p = `${path}.accessKeys[${i}]`;
      const k = obj(kv, p);
      noUnknown(k, p, [
        'id',
        'secret',
        'status',
        'createdAt',
        'lastUsedAt',
        'lastUsedService',
        'lastUsedRegion',
      ]);
      const kid =
        optStr(k.id, `${p}.id`, /^AKIA[A-Z0-9]{12,124}$/, 'an access key id (AKIA…)') ??
        makeAccessKeyId('AKIA', account, rnd);
      if (usedKeyIds.has(kid)) fail(`${p}.id`, `duplicate access key id ${kid}`);
      usedKeyIds.add(kid);
      const key: SimAccessKey = {
        id: kid,
        secret: optStr(k.secret, `${p}.secret`) ?? ids.secret(40),
        status: k.status === undefined ? 'Active' : oneOf(k.status, `${p}.status`, ['Active', 'Inactive']),
        createdAt: optTime(k.createdAt, `${p}.createdAt`) ?? createdAt,
        lastUsedAt: optTime(k.lastUsedAt, `${p}.lastUsedAt`) ?? null,
        lastUsedService: optStr(k.lastUsedService, `${p}.lastUsedService`) ?? null,
        lastUsedRegion: optStr(k.lastUsedRegion, `${p}.lastUsedRegion`) ?? null,
      };
      return key;
    },
  );
  if (accessKeys.length > 2) fail(`${path}.accessKeys`, 'an IAM user has at most 2 access keys');

  const perService = new Map<string, string[]>();
  const serviceCredentials = (
    u.serviceCredentials === undefined ? [] : arr(u.serviceCredentials, `${path}.serviceCredentials`)
  ).map((cv, i) => {
    const p = `${path}.serviceCredentials[${i}]`;
    const c = obj(cv, p);
    noUnknown(c, p, [
      'id',
      'service',
      'secret',
      'status',
      'createdAt',
      'expiresAt',
      'alias',
      'serviceUserName',
    ]);
    const service = str(
      c.service,
      `${p}.service`,
      /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/,
      'a service name',
    );
    const taken = perService.get(service) ?? [];
    if (taken.length >= 2) fail(p, `a user has at most 2 credentials for ${service}`);
    const alias = optStr(c.alias, `${p}.alias`) ?? sscAlias(name, account, taken);
    taken.push(alias);
    perService.set(service, taken);
    const cred: SimServiceCredential = {
      id: optStr(c.id, `${p}.id`, /^ACCA[A-Z0-9]{12,124}$/, 'a credential id (ACCA…)') ?? ids.next('ACCA'),
      service,
      secret: optStr(c.secret, `${p}.secret`) ?? ids.secret(40),
      status:
        c.status === undefined ? 'Active' : oneOf(c.status, `${p}.status`, ['Active', 'Inactive', 'Expired']),
      createdAt: optTime(c.createdAt, `${p}.createdAt`) ?? createdAt,
      expiresAt: optTime(c.expiresAt, `${p}.expiresAt`) ?? null,
      alias,
      serviceUserName:
        optStr(c.serviceUserName, `${p}.serviceUserName`) ??
        (SERVICE_USER_NAME_SERVICES.includes(service) ? alias : null),
    };
    return cred;
  });

  return {
    name,
    path: optStr(u.path, `${path}.path`, PATH_RE, 'a path such as / or /team/') ?? '/',
    id: optStr(u.id, `${path}.id`) ?? ids.next('AIDA'),
    createdAt,
    passwordLastUsed: optTime(u.passwordLastUsed, `${path}.passwordLastUsed`) ?? null,
    managedPolicies:
      u.managedPolicies === undefined ? [] : arnList(u.managedPolicies, `${path}.managedPolicies`),
    inlinePolicies:
      u.inlinePolicies === undefined ? {} : policyMap(u.inlinePolicies, `${path}.inlinePolicies`),
    groups,
    tags: u.tags === undefined ? {} : strMap(u.tags, `${path}.tags`),
    loginProfile,
    mfaDevices: countOrList(u.mfaDevices, `${path}.mfaDevices`, (m, p, i) => {
      noUnknown(m, p, ['serialNumber', 'enabledAt']);
      return {
        serialNumber:
          optStr(m.serialNumber, `${p}.serialNumber`) ?? `arn:${partition}:iam::${account}:mfa/${name}-${i}`,
        enabledAt: optTime(m.enabledAt, `${p}.enabledAt`) ?? createdAt,
      };
    }),
    sshPublicKeys: countOrList(u.sshPublicKeys, `${path}.sshPublicKeys`, (m, p) => {
      noUnknown(m, p, ['id', 'status', 'uploadedAt', 'fingerprint']);
      return {
        id: optStr(m.id, `${p}.id`) ?? ids.next('APKA'),
        status: m.status === undefined ? 'Active' : oneOf(m.status, `${p}.status`, ['Active', 'Inactive']),
        uploadedAt: optTime(m.uploadedAt, `${p}.uploadedAt`) ?? createdAt,
        fingerprint: optStr(m.fingerprint, `${p}.fingerprint`) ?? ids.next('', 32).toLowerCase(),
      };
    }),
    signingCertificates: countOrList(u.signingCertificates, `${path}.signingCertificates`, (m, p) => {
      noUnknown(m, p, ['id', 'status', 'uploadedAt']);
      return {
        id: optStr(m.id, `${p}.id`) ?? ids.next('', 32),
        status: m.status === undefined ? 'Active' : oneOf(m.status, `${p}.status`, ['Active', 'Inactive']),
        uploadedAt: optTime(m.uploadedAt, `${p}.uploadedAt`) ?? createdAt,
      };
    }),
    permissionsBoundary:
      u.permissionsBoundary === undefined || u.permissionsBoundary === null
        ? null
        : str(u.permissionsBoundary, `${path}.permissionsBoundary`, ARN_RE, 'an ARN'),
    accessKeys,
    serviceCredentials,
  };
}

/** `Expired` when past its expiry, else the stored status. */
export function sscStatus(c: SimServiceCredential, nowMs: number): 'Active' | 'Inactive' | 'Expired' {
  if (c.expiresAt !== null && Date.parse(c.expiresAt) <= nowMs) return 'Expired';
  return c.status;
}
