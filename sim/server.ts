/**
 * The `bks-sim` HTTP server: one port for every simulated AWS service, routed by the SigV4
 * credential scope (or `Authorization: Bearer` for the Bedrock runtime), plus the control API
 * under `/_sim/`. Contract: docs/simulator.md.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize, callerPrincipal, loadEngine } from './authz';
import {
  type Caller,
  homeRegion,
  RawResponse,
  type ServiceModule,
  type SimContext,
  SimError,
  type SimIndex,
  type SimRequest,
  type SimSession,
} from './core';
import { iamTarget, NEVER_DENIED } from './iam-actions';
import { OIDC_PREFIX, OidcProvider } from './oidc';
import { prng } from './prng';
import {
  DEFAULT_ERROR_MESSAGE,
  ERROR_STATUS,
  parseForm,
  renderJsonError,
  renderJsonResult,
  renderQueryError,
  renderQueryResult,
  renderRestXmlError,
  type WireResponse,
} from './protocols';
import {
  IdMaker,
  loadScenario,
  ScenarioError,
  type SimAccessKey,
  type SimAccount,
  type SimState,
  type SimUser,
  validateFaults,
  validateRateLimits,
} from './scenario';
import { type DeliveryListener, deliveriesSettled, onDelivery } from './services/events';
import { reportBuildMs } from './services/iam';
import { moduleByService, RECORDERS } from './services/index';

export interface SimStats {
  total: number;
  calls: Record<string, number>;
  throttled: Record<string, number>;
  faulted: Record<string, number>;
  errors: Record<string, number>;
}

export interface StartOptions {
  /** A scenario object, or the path of a scenario JSON file. */
  scenario: unknown;
  port?: number;
  host?: string;
  /**
   * The clock of the simulator's own waits, in milliseconds: rate budgets (scenario `rateLimits`)
   * refill and a credential report is built on it (SimContext.waitMs). In-process callers only: a
   * test that tells bks's waits the time passes the same clock here, so both sides count the same
   * time without sleeping (test/helpers/virtual-time.ts). @default performance.now
   */
  waitClock?: () => number;
}

export interface SimHandle {
  url: string;
  host: string;
  port: number;
  state: SimState;
  ctx: SimContext;
  stats(): SimStats;
  resetStats(): void;
  /** Moves the sim clock forward. */
  advanceClock(seconds: number): void;
  /**
   * EventBridge deliveries to targets the simulator cannot run itself (Lambda, Step Functions, …):
   * see `DeliveryListener` in services/events.ts. Returns the function that removes the listener.
   */
  onDelivery(listener: DeliveryListener): () => void;
  /** Resolves once every delivery listener started so far has finished. */
  deliveriesSettled(): Promise<void>;
  /**
   * Serves every request whose path starts with `prefix` (e.g. `/_pipeline/`) with `handler`,
   * before the control API and the AWS services: how a composition (the local pipeline) adds its
   * own endpoints on the simulator's port. Returns the function that removes the mount.
   */
  mount(prefix: string, handler: MountHandler): () => void;
  close(): Promise<void>;
}

/** A request to a mounted endpoint, and its answer. */
export interface MountRequest {
  method: string;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  sourceIp: string;
}
export interface MountResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}
export type MountHandler = (req: MountRequest) => Promise<MountResponse>;

/** Loads a scenario file (JSON); throws ScenarioError / a one-line Error on bad input. */
export function readScenarioFile(file: string): SimState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read scenario ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`scenario ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return loadScenario(parsed);
}

class Index implements SimIndex {
  version = 0;
  private users = new Map<string, Map<string, SimUser>>();
  /** Per account; null when a removal shifted positions (rebuilt on next use, that account only). */
  private positions = new Map<string, Map<string, number> | null>();
  private keys = new Map<string, { account: SimAccount; user: SimUser; key: SimAccessKey }>();
  private retired = new Set<string>();
  private built = -1;

  constructor(private readonly state: SimState) {}

  retiredKey(id: string): boolean {
    return this.retired.has(id);
  }

  invalidate(): void {
    this.version++;
  }

  private build(): void {
    if (this.built === this.version) return;
    this.users.clear();
    this.positions.clear();
    this.keys.clear();
    for (const account of this.state.accounts) {
      const byName = new Map<string, SimUser>();
      for (const u of account.users) {
        byName.set(u.name.toLowerCase(), u);
        for (const key of u.accessKeys) this.keys.set(key.id, { account, user: u, key });
      }
      this.users.set(account.id, byName);
      this.positions.set(account.id, null);
    }
    this.built = this.version;
  }

  userAdded(account: string, user: SimUser): void {
    this.build();
    const acct = this.state.accounts.find((a) => a.id === account);
    let byName = this.users.get(account);
    if (!byName) {
      byName = new Map();
      this.users.set(account, byName);
    }
    byName.set(user.name.toLowerCase(), user);
    const pos = this.positions.get(account);
    if (pos && acct) pos.set(user.name.toLowerCase(), acct.users.indexOf(user));
    else this.positions.set(account, null);
    if (acct) for (const key of user.accessKeys) this.keys.set(key.id, { account: acct, user, key });
  }

  userRemoved(account: string, user: SimUser): void {
    this.build();
    this.users.get(account)?.delete(user.name.toLowerCase());
    this.positions.set(account, null);
    for (const key of user.accessKeys) {
      this.keys.delete(key.id);
      this.retired.add(key.id);
    }
  }

  keyAdded(account: SimAccount, user: SimUser, key: SimAccessKey): void {
    this.build();
    this.keys.set(key.id, { account, user, key });
  }

  keyRemoved(id: string): void {
    this.build();
    this.keys.delete(id);
    this.retired.add(id);
  }

  user(account: string, name: string): SimUser | undefined {
    this.build();
    return this.users.get(account)?.get(name.toLowerCase());
  }

  userPosition(account: string, name: string): number {
    this.build();
    let pos = this.positions.get(account);
    if (!pos) {
      pos = new Map();
      const acct = this.state.accounts.find((a) => a.id === account);
      if (acct) for (let i = 0; i < acct.users.length; i++) pos.set(acct.users[i]!.name.toLowerCase(), i);
      this.positions.set(account, pos);
    }
    return pos.get(name.toLowerCase()) ?? -1;
  }

  accessKey(id: string) {
    this.build();
    return this.keys.get(id);
  }
}

export function createContext(
  state: SimState,
  waitClock: () => number = () => performance.now(),
): SimContext {
  const startSim = Date.parse(state.now);
  const startWall = Date.now();
  let offset = 0;
  const index = new Index(state);
  const ctx: SimContext & { advance(ms: number): void } = {
    state,
    now: () => new Date(startSim + (Date.now() - startWall) + offset),
    nowMs: () => startSim + (Date.now() - startWall) + offset,
    nowIso: () =>
      new Date(startSim + (Date.now() - startWall) + offset).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    // Moving the clock on (POST /_sim/clock) counts as waiting here too.
    waitMs: () => waitClock() + offset,
    ids: new IdMaker(`run:${state.seed ?? randomUUID()}`),
    account(id: string): SimAccount {
      let a = state.accounts.find((x) => x.id === id);
      if (!a) {
        a = {
          id,
          alias: null,
          regions: ['us-east-1'],
          roles: [],
          groups: [],
          policies: [],
          users: [],
          events: [],
        };
        state.accounts.push(a);
        index.invalidate();
      }
      return a;
    },
    index,
    sessions: new Map<string, SimSession>(),
    scratch: new Map<string, unknown>(),
    advance(ms: number) {
      offset += ms;
    },
  };
  return ctx;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** The Bedrock runtime authorizes its own calls: it knows the model ARN and a bearer key's signer. */
const SELF_AUTHORIZED = new Set([
  'bedrock:InvokeModel',
  'bedrock:Converse',
  'bedrock:InvokeModelWithResponseStream',
  'bedrock:ConverseStream',
  // Per entry, with the bus's resource policy (sim/services/events.ts).
  'events:PutEvents',
  // With the role's trust policy (sim/services/sts.ts).
  'sts:AssumeRole',
]);

const SCOPE_RE = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;
/** SigV4a scopes carry no region (`KEY/DATE/SERVICE/aws4_request`); the region set is a header. */
const SCOPE_4A_RE = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/aws4_request/;

/** The latest time the simulated clock may show (AWS timestamps are four-digit years). */
const MAX_SIM_TIME_MS = Date.parse('9999-12-31T23:59:59Z');

/** What the request handlers of one simulator share: its state, clock, services and counters. */
interface SimRuntime {
  state: SimState;
  ctx: SimContext & { advance(ms: number): void };
  modules: ReturnType<typeof moduleByService>;
  controlRoutes: Map<string, (ctx: SimContext, input: Record<string, unknown>) => unknown>;
  stats: SimStats;
  buckets: Map<string, Bucket>;
  rng: () => number;
  faultHits: Map<number, number>;
  principals: Map<string, SimState['principals'][number]>;
  mounts: Array<{ prefix: string; handler: MountHandler }>;
  /** The test OpenID Connect provider at `/_sim/oidc` (set once the port is known). */
  oidc?: OidcProvider;
}

/** Starts the simulator in-process. */
export async function startSim(opts: StartOptions): Promise<SimHandle> {
  const state =
    typeof opts.scenario === 'string'
      ? readScenarioFile(opts.scenario)
      : loadScenario(structuredClone(opts.scenario));
  // Without its IAM engine the simulator could judge no call: refuse to start (one line).
  await loadEngine();
  reportBuildMs(); // a bad BKS_SIM_CREDENTIAL_REPORT_MS refuses to start, not at the first report
  const ctx = createContext(state, opts.waitClock) as SimContext & { advance(ms: number): void };
  const modules = moduleByService();
  const controlRoutes = new Map<string, (ctx: SimContext, input: Record<string, unknown>) => unknown>();
  for (const m of modules.values())
    for (const [route, fn] of Object.entries(m.control ?? {})) controlRoutes.set(route, fn);
  const stats: SimStats = { total: 0, calls: {}, throttled: {}, faulted: {}, errors: {} };
  const buckets = new Map<string, Bucket>();
  const rng = state.seed === null ? Math.random : prng(state.seed);
  const faultHits = new Map<number, number>();
  const principals = new Map(state.principals.map((p) => [p.accessKeyId, p]));
  const mounts: Array<{ prefix: string; handler: MountHandler }> = [];
  const rt: SimRuntime = {
    state,
    ctx,
    modules,
    controlRoutes,
    stats,
    buckets,
    rng,
    faultHits,
    principals,
    mounts,
  };
  const server: Server = createServer((req, res) => {
    onRequest(rt, req, res).catch((e) => {
      process.stderr.write(`bks-sim: ${(e as Error).stack ?? String(e)}\n`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  rt.oidc = new OidcProvider(`http://${urlHost}:${port}`);
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    state,
    ctx,
    stats: () => structuredClone(stats),
    resetStats: () => resetStats(rt),
    advanceClock: (seconds: number) => ctx.advance(seconds * 1000),
    onDelivery: (listener: DeliveryListener) => onDelivery(ctx, listener),
    deliveriesSettled: () => deliveriesSettled(ctx),
    mount: (prefix: string, handler: MountHandler) => {
      const entry = { prefix, handler };
      mounts.push(entry);
      return () => {
        const i = mounts.indexOf(entry);
        if (i >= 0) mounts.splice(i, 1);
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function admin(rt: SimRuntime): Caller {
  const account = rt.state.accounts[0]!.id;
  return {
    type: 'IAMUser',
    accessKeyId: '',
    account,
    arn: `arn:${rt.state.partition}:iam::${account}:user/sim-admin`,
    principalId: 'AIDASIMADMIN00000000',
    userName: 'sim-admin',
  };
}

function resolveCaller(rt: SimRuntime, accessKeyId: string, service: string, region: string): Caller {
  const session = rt.ctx.sessions.get(accessKeyId);
  if (session) {
    if (Date.parse(session.expiresAt) <= rt.ctx.nowMs()) {
      throw new SimError('ExpiredToken', 'The security token included in the request is expired', 400);
    }
    return {
      type: 'AssumedRole',
      accessKeyId,
      account: session.account,
      arn: `arn:${rt.state.partition}:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
      principalId: `${session.roleId}:${session.sessionName}`,
      role: {
        name: session.roleName,
        arn: session.roleArn,
        id: session.roleId,
        sessionName: session.sessionName,
        issuedAt: session.issuedAt,
      },
    };
  }
  const p = rt.principals.get(accessKeyId);
  if (p) return callerFromArn(rt, accessKeyId, p.account, p.arn);
  const owned = rt.ctx.index.accessKey(accessKeyId);
  if (owned) {
    if (owned.key.status !== 'Active') {
      throw new SimError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    }
    owned.key.lastUsedAt = rt.ctx.nowIso();
    owned.key.lastUsedService = service;
    owned.key.lastUsedRegion = region;
    return {
      type: 'IAMUser',
      accessKeyId,
      account: owned.account.id,
      arn: `arn:${rt.state.partition}:iam::${owned.account.id}:user${owned.user.path}${owned.user.name}`,
      principalId: owned.user.id,
      userName: owned.user.name,
    };
  }
  if (rt.state.principals.length === 0 && !rt.ctx.index.retiredKey(accessKeyId))
    return { ...admin(rt), accessKeyId };
  throw new SimError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
}

function callerFromArn(rt: SimRuntime, accessKeyId: string, account: string, arn: string): Caller {
  const resource = arn.split(':').slice(5).join(':');
  const pid = `AIDA${hashId(arn)}`;
  if (resource.startsWith('assumed-role/')) {
    const [, roleName = '', sessionName = ''] = resource.split('/');
    const roleId = `AROA${hashId(`role:${account}:${roleName}`)}`;
    return {
      type: 'AssumedRole',
      accessKeyId,
      account,
      arn,
      principalId: `${roleId}:${sessionName}`,
      role: {
        name: roleName,
        arn: `arn:${rt.state.partition}:iam::${account}:role/${roleName}`,
        id: roleId,
        sessionName,
        issuedAt: rt.state.now,
      },
    };
  }
  if (resource === 'root') return { type: 'Root', accessKeyId, account, arn, principalId: account };
  const userName = resource.split('/').pop() ?? '';
  const user = rt.ctx.index.user(account, userName);
  return { type: 'IAMUser', accessKeyId, account, arn, principalId: user?.id ?? pid, userName };
}

function rateLimited(
  rt: SimRuntime,
  service: string,
  action: string,
  account: string,
  region: string,
): boolean {
  const limits = rt.state.rateLimits;
  let key = `${service}:${action}`;
  let rate = limits[key];
  if (rate === undefined) {
    key = `${service}:*`;
    rate = limits[key];
  }
  if (rate === undefined) {
    key = '*';
    rate = limits[key];
  }
  if (rate === undefined) return false;
  const bucketKey = `${key}|${account}|${region}`;
  const now = rt.ctx.waitMs();
  const capacity = Math.max(1, rate);
  let b = rt.buckets.get(bucketKey);
  if (!b) {
    b = { tokens: capacity, last: now };
    rt.buckets.set(bucketKey, b);
  }
  b.tokens = Math.min(capacity, b.tokens + ((now - b.last) / 1000) * rate);
  b.last = now;
  if (b.tokens < 1) return true;
  b.tokens -= 1;
  return false;
}

function injectedFault(
  rt: SimRuntime,
  req: SimRequest,
  account: string,
  region: string,
): SimError | undefined {
  const full = `${req.service}:${req.action}`;
  for (let i = 0; i < rt.state.faults.length; i++) {
    const f = rt.state.faults[i]!;
    if (f.action !== '*' && f.action !== full && f.action !== `${req.service}:*`) continue;
    if (f.account !== undefined && f.account !== account) continue;
    if (f.region !== undefined && f.region !== region) continue;
    if (f.where) {
      let ok = true;
      for (const [k, v] of Object.entries(f.where)) {
        const actual = req.params[k];
        if (actual === undefined || String(actual) !== String(v)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
    }
    if (f.count !== undefined && (rt.faultHits.get(i) ?? 0) >= f.count) continue;
    if (f.probability < 1 && rt.rng() >= f.probability) continue;
    rt.faultHits.set(i, (rt.faultHits.get(i) ?? 0) + 1);
    return new SimError(
      f.error,
      f.message ?? DEFAULT_ERROR_MESSAGE[f.error] ?? `Injected fault: ${f.error}`,
      f.status ?? ERROR_STATUS[f.error] ?? 400,
    );
  }
  return undefined;
}

/**
 * AWS's policy evaluation for a SigV4 call (sim/authz.ts): the caller's identity policies,
 * boundary and the SCPs of its account. The Bedrock runtime authorizes its own calls (it knows
 * the model ARN and the bearer key's signer).
 */
async function denied(rt: SimRuntime, module: ServiceModule, req: SimRequest): Promise<SimError | undefined> {
  if (req.bearer !== undefined || SELF_AUTHORIZED.has(`${req.service}:${req.action}`)) return undefined;
  const target = iamTarget(rt.ctx, req);
  if (NEVER_DENIED.has(target.action)) return undefined;
  const principal = callerPrincipal(rt.ctx, req.caller);
  for (const resource of target.resources) {
    const decision = await authorize(rt.ctx, {
      principal,
      action: target.action,
      resource,
      region: req.region,
      time: req.time,
      sourceIp: req.sourceIp,
      context: target.context,
    });
    if (decision.allowed) continue;
    const message = `User: ${req.caller.arn} is not authorized to perform: ${target.action} on resource: ${resource} ${decision.why}`;
    if (module.protocol === 'query') return new SimError('AccessDenied', message, 403);
    if (module.protocol === 'rest-xml') return new SimError('AccessDenied', message, 403);
    if (module.protocol === 'rest-json') return new SimError('AccessDeniedException', message, 403);
    return new SimError('AccessDeniedException', message, 400);
  }
  return undefined;
}

function render(module: ServiceModule, req: SimRequest, output: unknown, error?: SimError): WireResponse {
  if (error) {
    if (module.protocol === 'query') return renderQueryError(error, module.xmlNamespace!, req.requestId);
    if (module.protocol === 'rest-xml') return renderRestXmlError(error, req.requestId);
    return renderJsonError(error, req.requestId, module.protocol === 'json' ? module.jsonVersion! : 'rest');
  }
  if (output instanceof RawResponse) {
    return {
      status: output.status,
      headers: { 'x-amzn-requestid': req.requestId, ...output.headers },
      body: output.body,
    };
  }
  if (module.protocol === 'query') {
    return renderQueryResult(req.action, module.xmlNamespace!, output, req.requestId);
  }
  return renderJsonResult(output, req.requestId, module.protocol === 'json' ? module.jsonVersion! : 'rest');
}

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Who signed a call and for which service and region, read from its `Authorization` header. */
interface CredentialScope {
  service: string;
  region: string;
  /** The SigV4 access key id ('' for a bearer call). */
  accessKeyId: string;
  /** The key of an `Authorization: Bearer` call (the Bedrock runtime). */
  bearer?: string;
}

/**
 * The credential scope of a call: a bearer key (Bedrock runtime, us-east-1 unless the service
 * says otherwise), a SigV4 scope (header or presigned `X-Amz-Credential`), or a SigV4a scope
 * whose region is the first of `X-Amz-Region-Set`. Undefined when the call carries none.
 */
function credentialScope(
  rt: SimRuntime,
  httpReq: IncomingMessage,
  url: URL,
  auth: string,
): CredentialScope | undefined {
  if (/^Bearer\s/i.test(auth)) {
    return {
      service: 'bedrock',
      region: 'us-east-1',
      accessKeyId: '',
      bearer: auth.replace(/^Bearer\s+/i, '').trim(),
    };
  }
  const m =
    SCOPE_RE.exec(auth) ?? SCOPE_RE.exec(`Credential=${url.searchParams.get('X-Amz-Credential') ?? ''}`);
  if (m) return { accessKeyId: m[1]!, region: m[3]!, service: m[4]! };
  const m4a = SCOPE_4A_RE.exec(auth);
  if (!m4a) return undefined;
  const set = String(httpReq.headers['x-amz-region-set'] ?? '');
  return {
    accessKeyId: m4a[1]!,
    service: m4a[3]!,
    region: set && set !== '*' ? set.split(',')[0]!.trim() : homeRegion(rt.state.partition),
  };
}

/** The operation a call names and its input, read the way its service's protocol carries them. */
interface Operation {
  action: string | undefined;
  params: Record<string, unknown>;
  pathParams: Record<string, string>;
  /** The API version of a query-protocol call (for its "unknown operation" message). */
  version: string;
}

/** Reads the operation of a call; a SimError when the body of a JSON-protocol call is not JSON. */
function readOperation(
  module: ServiceModule,
  httpReq: IncomingMessage,
  url: URL,
  body: string,
): Operation | SimError {
  if (module.protocol === 'query') {
    const params = parseForm(url.search.slice(1));
    if ((httpReq.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) parseForm(body, params);
    const action = typeof params.Action === 'string' ? params.Action : undefined;
    const version = typeof params.Version === 'string' ? params.Version : '';
    delete params.Action;
    delete params.Version;
    return { action, params, pathParams: {}, version };
  }
  if (module.protocol === 'json') {
    const target = String(httpReq.headers['x-amz-target'] ?? '');
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    // AWS accepts the short prefix too: botocore sends `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`,
    // the JS SDK v3 `CloudTrail_20131101` (sim-services).
    const named = dot > 0 && (prefix === module.targetPrefix || module.targetPrefix?.endsWith(`.${prefix}`));
    try {
      const params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      return { action: named ? target.slice(dot + 1) : undefined, params, pathParams: {}, version: '' };
    } catch {
      return new SimError('SerializationException', 'Request body is not valid JSON');
    }
  }
  const r = module.route?.(httpReq.method ?? 'GET', url.pathname, url.searchParams);
  const pathParams = r?.pathParams ?? {};
  let params: Record<string, unknown> = {};
  if (body && module.protocol === 'rest-json' && (httpReq.headers['content-type'] ?? '').includes('json')) {
    try {
      params = JSON.parse(body) as Record<string, unknown>;
    } catch {
      params = {};
    }
  }
  return { action: r?.action, params: { ...params, ...pathParams }, pathParams, version: '' };
}

/** The error a service answers for an operation it does not have, in its protocol's words. */
function unknownOperation(module: ServiceModule, op: Operation, method: string, path: string): SimError {
  if (module.protocol === 'query') {
    return new SimError(
      'InvalidAction',
      `Could not find operation ${op.action ?? ''} for version ${op.version}`.trim(),
      400,
    );
  }
  if (module.protocol === 'json') {
    return new SimError('UnknownOperationException', `Unknown operation ${op.action ?? ''}`, 400);
  }
  return new SimError('UnknownOperationException', `No route for ${method} ${path}`, 404);
}

/**
 * Sets the caller of a SigV4 call (a bearer call is judged by its service); a SimError when the
 * key is unknown, inactive or expired, worded as the service's protocol words it.
 */
function authenticate(
  rt: SimRuntime,
  module: ServiceModule,
  req: SimRequest,
  scope: CredentialScope,
): SimError | undefined {
  if (scope.bearer !== undefined) return undefined;
  try {
    req.caller = resolveCaller(rt, scope.accessKeyId, scope.service, scope.region);
    return undefined;
  } catch (e) {
    const err = e as SimError;
    // JSON services word the same refusals differently, as AWS does.
    if (module.protocol !== 'query' && err.code === 'InvalidClientTokenId') {
      return new SimError('UnrecognizedClientException', err.message, 400);
    }
    if (module.protocol !== 'query' && err.code === 'ExpiredToken') {
      return new SimError('ExpiredTokenException', err.message, 400);
    }
    return err;
  }
}

/** The outcome of an authenticated call: its output, or the error AWS would answer. */
interface Outcome {
  output?: unknown;
  error?: SimError;
}

/** The region whose rate budget and faults a call counts against (a global service's home region). */
function budgetRegion(rt: SimRuntime, module: ServiceModule, req: SimRequest): string {
  return module.global ? homeRegion(rt.state.partition) : req.region;
}

/** After the scenario's latency: the throttling error when the call is over its rate limit. */
async function throttled(
  rt: SimRuntime,
  module: ServiceModule,
  req: SimRequest,
): Promise<SimError | undefined> {
  if (rt.state.latencyMs > 0) await new Promise((r) => setTimeout(r, rt.state.latencyMs));
  if (!rateLimited(rt, req.service, req.action, req.caller.account, budgetRegion(rt, module, req)))
    return undefined;
  count(rt.stats.throttled, `${req.service}:${req.action}`);
  return new SimError(module.throttlingCode, 'Rate exceeded', 400);
}

/**
 * Runs an authenticated call within its rate limit as AWS would: the IAM decision, an injected
 * fault, then the operation itself (an unexpected exception becomes the service's internal failure).
 */
async function perform(
  rt: SimRuntime,
  module: ServiceModule,
  handler: ServiceModule['actions'][string],
  req: SimRequest,
): Promise<Outcome> {
  const key = `${req.service}:${req.action}`;
  const refused = await denied(rt, module, req);
  if (refused) return { error: refused };
  const fault = injectedFault(rt, req, req.caller.account, budgetRegion(rt, module, req));
  if (fault) {
    count(rt.stats.faulted, key);
    return { error: fault };
  }
  try {
    return { output: await handler(rt.ctx, req) };
  } catch (e) {
    if (e instanceof SimError) return { error: e };
    process.stderr.write(`bks-sim: ${key} failed: ${(e as Error).stack ?? String(e)}\n`);
    return {
      error: new SimError(
        module.protocol === 'query' ? 'ServiceFailure' : 'InternalFailure',
        'The request processing has failed because of an unknown error, exception or failure.',
        500,
      ),
    };
  }
}

/** Hands a management call (answered or refused) to every recorder (CloudTrail, EventBridge, …). */
function recordManagementEvent(
  rt: SimRuntime,
  module: ServiceModule,
  req: SimRequest,
  outcome: Outcome,
): void {
  if (!module.management?.(req.action) || req.trail?.skip) return;
  for (const record of RECORDERS) {
    try {
      record(
        rt.ctx,
        outcome.error ? { module, req, error: outcome.error } : { module, req, output: outcome.output },
      );
    } catch (e) {
      process.stderr.write(
        `bks-sim: recording ${req.service}:${req.action} failed: ${(e as Error).stack ?? String(e)}\n`,
      );
    }
  }
}

/**
 * Answers one AWS API call: finds its service from the credential scope, reads the operation the
 * way the service's protocol carries it, authenticates the caller, applies its rate limit, performs
 * it (IAM, faults, the operation), records it and renders the answer in the service's protocol.
 */
async function handleAws(
  rt: SimRuntime,
  httpReq: IncomingMessage,
  body: string,
  url: URL,
  auth: string,
  requestId: string,
): Promise<WireResponse> {
  const scope = credentialScope(rt, httpReq, url, auth);
  if (!scope) {
    return plainError(
      403,
      'MissingAuthenticationToken',
      'Request is missing Authentication Token',
      requestId,
    );
  }
  const module = rt.modules.get(scope.service);
  if (!module) {
    return plainError(400, 'UnknownService', `bks-sim does not simulate ${scope.service}`, requestId);
  }
  const op = readOperation(module, httpReq, url, body);
  if (op instanceof SimError) return renderJsonError(op, requestId, module.jsonVersion!);
  const handler = op.action === undefined ? undefined : module.actions[op.action];
  const req: SimRequest = {
    service: scope.service,
    action: op.action ?? '',
    region: scope.region,
    params: op.params,
    caller: admin(rt),
    method: httpReq.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: httpReq.headers,
    rawBody: body,
    requestId,
    sourceIp: httpReq.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    userAgent: String(httpReq.headers['user-agent'] ?? ''),
    time: rt.ctx.now(),
    pathParams: op.pathParams,
  };
  if (scope.bearer !== undefined) req.bearer = scope.bearer;
  if (!handler) return render(module, req, undefined, unknownOperation(module, op, req.method, url.pathname));
  const key = `${scope.service}:${req.action}`;
  rt.stats.total++;
  count(rt.stats.calls, key);
  const unauthenticated = authenticate(rt, module, req, scope);
  if (unauthenticated) {
    count(rt.stats.errors, key);
    return render(module, req, undefined, unauthenticated);
  }
  // A throttled call counts as throttled (not as an error) and is not recorded.
  const throttle = await throttled(rt, module, req);
  if (throttle) return render(module, req, undefined, throttle);
  const outcome = await perform(rt, module, handler, req);
  if (outcome.error) count(rt.stats.errors, key);
  recordManagementEvent(rt, module, req, outcome);
  return render(module, req, outcome.output, outcome.error);
}

function plainError(status: number, code: string, message: string, requestId: string): WireResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': code,
    },
    body: JSON.stringify({ __type: code, message }),
  };
}

function json(status: number, value: unknown): WireResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function control(rt: SimRuntime, method: string, path: string, body: string): WireResponse {
  let input: Record<string, unknown> = {};
  if (method === 'POST' || method === 'PUT') {
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return json(400, { error: 'body is not valid JSON' });
    }
  }
  try {
    const extra = rt.controlRoutes.get(`${method} ${path}`);
    if (extra) {
      try {
        return json(200, extra(rt.ctx, input));
      } catch (e) {
        if (e instanceof SimError) return json(e.status, { error: e.message });
        throw e;
      }
    }
    switch (`${method} ${path}`) {
      case 'GET /_sim/health':
        return json(200, { ok: true });
      case 'GET /_sim/stats':
        return json(200, rt.stats);
      case 'POST /_sim/stats/reset':
        resetStats(rt);
        return json(200, { ok: true });
      case 'GET /_sim/state':
        return json(200, rt.state);
      case 'GET /_sim/findings':
        return json(200, { findings: rt.state.findings });
      case 'GET /_sim/task-tokens':
        return json(200, { calls: rt.state.taskTokens });
      case 'POST /_sim/events': {
        const account = input.account;
        if (typeof account !== 'string' || !/^\d{12}$/.test(account)) {
          return json(400, { error: 'account: must be a 12-digit account id' });
        }
        if (!Array.isArray(input.events)) return json(400, { error: 'events: must be an array' });
        const events = input.events as Record<string, unknown>[];
        events.forEach((e, i) => {
          if (typeof e !== 'object' || e === null || typeof e.eventName !== 'string') {
            throw new ScenarioError(`events[${i}].eventName`, 'must be a string');
          }
          if (typeof e.eventTime !== 'string' || Number.isNaN(Date.parse(e.eventTime))) {
            throw new ScenarioError(`events[${i}].eventTime`, 'must be an ISO 8601 date-time');
          }
        });
        rt.ctx.account(account).events.push(...events);
        return json(200, { ok: true, appended: events.length });
      }
      case 'PUT /_sim/faults': {
        if (input.faults !== undefined) {
          rt.state.faults = validateFaults(input.faults, 'faults');
          rt.faultHits.clear();
        }
        if (input.rateLimits !== undefined) {
          rt.state.rateLimits = validateRateLimits(input.rateLimits, 'rateLimits');
          rt.buckets.clear();
        }
        if (input.latencyMs !== undefined) {
          const l = input.latencyMs;
          if (typeof l !== 'number' || l < 0 || l > 60_000)
            return json(400, { error: 'latencyMs: 0..60000' });
          rt.state.latencyMs = l;
        }
        if (input.seed !== undefined) {
          if (typeof input.seed !== 'number') return json(400, { error: 'seed: must be a number' });
          rt.state.seed = input.seed;
          rt.rng = prng(input.seed);
        }
        return json(200, {
          faults: rt.state.faults,
          rateLimits: rt.state.rateLimits,
          latencyMs: rt.state.latencyMs,
        });
      }
      case 'POST /_sim/clock': {
        const s = input.advanceSeconds;
        if (typeof s !== 'number' || !Number.isFinite(s) || s < 0)
          return json(400, { error: 'advanceSeconds: must be a finite number >= 0' });
        // AWS timestamps end with the year 9999: a clock moved past it is not a clock AWS could have.
        if (rt.ctx.now().getTime() + s * 1000 > MAX_SIM_TIME_MS)
          return json(400, {
            error: `advanceSeconds: ${s} moves the clock past 9999-12-31T23:59:59Z (at most ${Math.floor((MAX_SIM_TIME_MS - rt.ctx.now().getTime()) / 1000)})`,
          });
        rt.ctx.advance(s * 1000);
        return json(200, { now: rt.ctx.now().toISOString() });
      }
      case 'GET /_sim/clock':
        return json(200, { now: rt.ctx.now().toISOString() });
      default:
        return json(404, { error: `no control route ${method} ${path}` });
    }
  } catch (e) {
    if (e instanceof ScenarioError) return json(400, { error: e.message });
    throw e;
  }
}

function resetStats(rt: SimRuntime): void {
  rt.stats.total = 0;
  rt.stats.calls = {};
  rt.stats.throttled = {};
  rt.stats.faulted = {};
  rt.stats.errors = {};
}

async function onRequest(rt: SimRuntime, httpReq: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of httpReq) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const url = new URL(httpReq.url ?? '/', 'http://sim');
  const requestId = randomUUID();
  const mount = rt.mounts.find((m) => url.pathname.startsWith(m.prefix));
  if (mount) {
    let answer: MountResponse;
    try {
      answer = await mount.handler({
        method: httpReq.method ?? 'GET',
        url: new URL(httpReq.url ?? '/', `http://${httpReq.headers.host ?? 'sim'}`),
        headers: httpReq.headers,
        body,
        sourceIp: httpReq.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      });
    } catch (e) {
      process.stderr.write(`bks-sim: ${(e as Error).stack ?? String(e)}\n`);
      answer = { status: 500, headers: { 'content-type': 'text/plain' }, body: 'internal error' };
    }
    const payload = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body ?? '', 'utf8');
    res.writeHead(answer.status, { ...answer.headers, 'content-length': String(payload.length) });
    res.end(payload);
    return;
  }
  let out: WireResponse;
  try {
    if (rt.oidc && url.pathname.startsWith(`${OIDC_PREFIX}/`))
      out = rt.oidc.handle(httpReq.method ?? 'GET', url, httpReq.headers, body);
    else if (url.pathname.startsWith('/_sim/'))
      out = control(rt, httpReq.method ?? 'GET', url.pathname, body);
    else
      out = await handleAws(rt, httpReq, body, url, String(httpReq.headers.authorization ?? ''), requestId);
  } catch (e) {
    process.stderr.write(`bks-sim: ${(e as Error).stack ?? String(e)}\n`);
    out = plainError(500, 'InternalFailure', 'internal error in bks-sim', requestId);
  }
  const payload = typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
  res.writeHead(out.status, { ...out.headers, 'content-length': String(payload.length) });
  res.end(payload);
}

function hashId(s: string): string {
  let h = 2166136261;
  let out = '';
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  for (let round = 0; out.length < 17; round++) {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i) + round;
      h = Math.imul(h, 16777619) >>> 0;
    }
    out += alphabet[h % 32];
  }
  return out;
}
