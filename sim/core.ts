/**
 * What every service module of `bks-sim` works with: the request as the server parsed it, the
 * caller's identity, the error type that renders as an AWS error, and the simulator context (the
 * state, the clock, the indexes). Service modules register in `services/index.ts`.
 */
import type { IdMaker, SimAccount, SimState } from './scenario';

/** Who made a call, as CloudTrail's `userIdentity` and STS GetCallerIdentity see it. */
export interface Caller {
  type: 'IAMUser' | 'AssumedRole' | 'Root';
  /** Access key id from the SigV4 scope (or the signing key of a short-term bearer key). */
  accessKeyId: string;
  account: string;
  arn: string;
  /** `AIDA…` for users, `AROA…:<session>` for assumed roles. */
  principalId: string;
  /** IAM user name (IAMUser). */
  userName?: string;
  /** Assumed role: the role and session. */
  role?: { name: string; arn: string; id: string; sessionName: string; issuedAt: string };
}

/** A parsed request as the service modules see it. */
export interface SimRequest {
  /** Scope service (`iam`, `sts`, `cloudtrail`, `organizations`, `securityhub`, `states`, `bedrock`). */
  service: string;
  /** Operation name (`ListUsers`, `LookupEvents`, `InvokeModel`, …). */
  action: string;
  region: string;
  /**
   * The operation's input: for query protocols the flat form fields (`Filter.member.1`), for JSON
   * protocols the parsed body, for REST the body merged with the path parameters.
   */
  params: Record<string, unknown>;
  caller: Caller;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  requestId: string;
  sourceIp: string;
  userAgent: string;
  /** Sim clock time of the call. */
  time: Date;
  /** Bearer token when the call was authenticated with `Authorization: Bearer …`. */
  bearer?: string;
  /** Path parameters for REST routes. */
  pathParams: Record<string, string>;
  /**
   * Set by a handler to shape the CloudTrail record of this call (e.g. `responseElements` without
   * secrets, `additionalEventData`, a different `userIdentity` for bearer calls).
   */
  trail?: TrailHints;
}

export interface TrailHints {
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  additionalEventData?: Record<string, unknown>;
  userIdentity?: Record<string, unknown>;
  /** Account whose history gets the record; default the caller's. */
  recipientAccountId?: string;
  /** Skip recording this call. */
  skip?: boolean;
}

/** An error answered in the service's protocol (`Code`/`__type`, message, HTTP status). */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** A handler may return this to answer with exact bytes (REST services). */
export class RawResponse {
  constructor(
    readonly status: number,
    readonly body: string | Buffer,
    readonly headers: Record<string, string> = {},
  ) {}
}

export type ActionHandler = (ctx: SimContext, req: SimRequest) => unknown | Promise<unknown>;

export interface ServiceModule {
  /** SigV4 scope service name (`iam`, `bedrock`, …). */
  service: string;
  protocol: 'query' | 'json' | 'rest-json' | 'rest-xml';
  /** Query protocol: XML namespace of responses. */
  xmlNamespace?: string;
  /** JSON protocols: `1.0` or `1.1`. */
  jsonVersion?: '1.0' | '1.1';
  /** JSON protocols: `X-Amz-Target` prefix (`CloudTrail_20131101`). */
  targetPrefix?: string;
  /** Error code answered when calls exceed a rate limit (`Throttling`, `ThrottlingException`). */
  throttlingCode: string;
  /**
   * A global service (IAM, Organizations): one endpoint per partition, so rate limits and faults
   * count it in the partition's home region whatever region the client signed for.
   */
  global?: boolean;
  /** CloudTrail `eventSource` (`iam.amazonaws.com`). */
  eventSource: string;
  actions: Record<string, ActionHandler>;
  /** REST: the operation and path parameters of a method + path, or undefined. */
  route?: (
    method: string,
    path: string,
    /** The query string: S3 names some operations by a subresource (`PUT /bucket?versioning`). */
    query: URLSearchParams,
  ) => { action: string; pathParams: Record<string, string> } | undefined;
  /**
   * Whether AWS logs the action as a management event, and whether it is read-only. Undefined:
   * not recorded.
   */
  management?: (action: string) => { readOnly: boolean } | undefined;
  /**
   * Extra control-API routes the module serves, keyed `"<METHOD> /_sim/<path>"`; the handler gets
   * the parsed JSON body and returns the JSON answer (throw `SimError` for a 400).
   */
  control?: Record<string, (ctx: SimContext, input: Record<string, unknown>) => unknown>;
}

/** A served call, handed to every recorder after the answer is computed. */
export interface ServedCall {
  module: ServiceModule;
  req: SimRequest;
  output?: unknown;
  error?: SimError;
}

export type CallRecorder = (ctx: SimContext, call: ServedCall) => void;

/** An STS session the sim issued (AssumeRole). */
export interface SimSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  account: string;
  roleName: string;
  roleArn: string;
  roleId: string;
  sessionName: string;
  issuedAt: string;
  expiresAt: string;
  /** Who assumed the role. */
  sourceArn: string;
}

export interface SimContext {
  state: SimState;
  /** Sim clock: scenario `now` advancing in real time. */
  now(): Date;
  nowMs(): number;
  /** ISO 8601 without milliseconds, as IAM prints. */
  nowIso(): string;
  /**
   * The clock of the simulator's own waits, in milliseconds (monotonic, any origin): rate budgets
   * refill and a credential report is built on it. `performance.now` unless the in-process caller
   * passed `StartOptions.waitClock` (a test on virtual time: test/helpers/virtual-time.ts), plus
   * whatever the sim clock was moved on by (`POST /_sim/clock` is as waiting would be).
   */
  waitMs(): number;
  /** Deterministic ids and secrets. */
  ids: IdMaker;
  /** The account's state, created empty when an identity names an account the scenario lacks. */
  account(id: string): SimAccount;
  /** Indexes over the state; call `invalidate()` after any structural change. */
  index: SimIndex;
  /** Sessions issued by AssumeRole, by access key id. */
  sessions: Map<string, SimSession>;
  /** Per-module scratch space (e.g. the credential report of each account). */
  scratch: Map<string, unknown>;
}

/** Fast lookups over the state (rebuilt lazily after `invalidate`). */
export interface SimIndex {
  /** Bumped on every change; caches key on it. */
  version: number;
  invalidate(): void;
  /** IAM user by lower-cased name in an account. */
  user(account: string, name: string): import('./scenario').SimUser | undefined;
  /** Position of a user in its account's `users` array. */
  userPosition(account: string, name: string): number;
  /** Incremental updates (cheaper than `invalidate()` on large states). */
  userAdded(account: string, user: import('./scenario').SimUser): void;
  userRemoved(account: string, user: import('./scenario').SimUser): void;
  keyAdded(
    account: SimAccount,
    user: import('./scenario').SimUser,
    key: import('./scenario').SimAccessKey,
  ): void;
  keyRemoved(id: string): void;
  /** True for an access key id that belonged to an IAM user and was deleted (it must stop working). */
  retiredKey(id: string): boolean;
  /** The owner of an IAM access key id, anywhere. */
  accessKey(
    id: string,
  ):
    | { account: SimAccount; user: import('./scenario').SimUser; key: import('./scenario').SimAccessKey }
    | undefined;
}

/** `arn:<partition>:…` */
export function arn(
  ctx: SimContext,
  service: string,
  region: string,
  account: string,
  resource: string,
): string {
  return `arn:${ctx.state.partition}:${service}:${region}:${account}:${resource}`;
}

/** Home region of a partition (where IAM and other global services live). */
export function homeRegion(partition: string): string {
  return partition === 'aws-us-gov' ? 'us-gov-west-1' : partition === 'aws-cn' ? 'cn-north-1' : 'us-east-1';
}

/** IAM timestamps: ISO 8601 with seconds (`2026-01-02T03:04:05Z`). */
export function isoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
