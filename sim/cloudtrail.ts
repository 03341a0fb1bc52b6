/**
 * The simulated account's own CloudTrail: the record builder for every management event the sim
 * serves, and the per-account, per-region event history that LookupEvents reads.
 *
 * Records have the shape of CloudTrail log file records (eventVersion 1.11). Secrets never enter a
 * record: `scrubSecrets` removes them from request parameters and response elements, as CloudTrail
 * itself does.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type Caller, type CallRecorder, RawResponse, type SimContext } from './core';
import type { SimState } from './scenario';
import { publishCloudTrailRecord } from './services/events';

export type CloudTrailRecord = Record<string, unknown> & {
  eventTime: string;
  eventName: string;
  eventSource: string;
  awsRegion: string;
  eventID: string;
};

export interface RecordedCall {
  /** CloudTrail `userIdentity` (see `userIdentityOf`). */
  userIdentity: Record<string, unknown>;
  eventSource: string;
  eventName: string;
  region: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  readOnly?: boolean;
  additionalEventData?: Record<string, unknown>;
  /** CloudTrail `resources` (AssumeRole and a few others carry them; every data event does). */
  resources?: { ARN: string; accountId: string; type: string }[];
  /**
   * A data event (`eventCategory: "Data"`, `managementEvent: false`, `resources` after the
   * category, as the Bedrock user guide's bedrock-mantle example record shows it): LookupEvents
   * never returns it, and it reaches EventBridge only through a trail whose selectors select it.
   */
  data?: boolean;
  /** Account the event is delivered to. */
  recipientAccountId: string;
  sourceIp?: string;
  userAgent?: string;
  requestId?: string;
  eventId?: string;
  time?: Date;
  /** `errorCode`/`errorMessage` for a call AWS refused (e.g. a denied bearer call). */
  errorCode?: string;
  errorMessage?: string;
}

/** Keys whose values are secrets: dropped from every record, at any depth. */
const SECRET_KEY =
  /^(servicecredentialsecret|secretaccesskey|sessiontoken|password|newpassword|oldpassword|privatekey|servicepassword|secretstring|secretbinary)$/i;

/** A deep copy of `value` without any secret-bearing field. */
export function scrubSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (SECRET_KEY.test(k)) continue;
      out[k] = scrubSecrets(v);
    }
    return out as T;
  }
  return value;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date format IAM's CloudTrail `responseElements` use: `Nov 2, 2026, 9:14:06 AM` (UTC). */
export function cloudTrailDate(d: Date): string {
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}

/**
 * Converts an AWS API shape (PascalCase members, `Date` values) to CloudTrail's form (camelCase
 * members, IAM-style dates). `UserName` → `userName`, `SSHPublicKeyId` → `sSHPublicKeyId` as AWS
 * writes it.
 */
export function toCloudTrailShape(value: unknown): unknown {
  if (value instanceof Date) return cloudTrailDate(value);
  if (Array.isArray(value)) return value.map(toCloudTrailShape);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k.charAt(0).toLowerCase() + k.slice(1)] = toCloudTrailShape(v);
    }
    return out;
  }
  return value;
}

/** CloudTrail's `userIdentity` of a caller the server resolved. */
export function userIdentityOf(caller: Caller, partition: string): Record<string, unknown> {
  const id: Record<string, unknown> = {
    type: caller.type,
    principalId: caller.principalId,
    arn: caller.arn,
    accountId: caller.account,
  };
  if (caller.accessKeyId) id.accessKeyId = caller.accessKeyId;
  if (caller.type === 'IAMUser' && caller.userName) id.userName = caller.userName;
  if (caller.type === 'AssumedRole' && caller.role) {
    id.sessionContext = {
      sessionIssuer: {
        type: 'Role',
        principalId: caller.role.id,
        arn: caller.role.arn || `arn:${partition}:iam::${caller.account}:role/${caller.role.name}`,
        accountId: caller.account,
        userName: caller.role.name,
      },
      attributes: { creationDate: caller.role.issuedAt, mfaAuthenticated: 'false' },
    };
  }
  return id;
}

function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A full CloudTrail record for one call, without any secret. */
export function buildRecord(call: RecordedCall): CloudTrailRecord {
  const time = call.time ?? new Date();
  const record: Record<string, unknown> = {
    eventVersion: '1.11',
    userIdentity: call.userIdentity,
    eventTime: isoSeconds(time),
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: call.region,
    sourceIPAddress: call.sourceIp ?? '127.0.0.1',
    userAgent: call.userAgent ?? 'unknown',
  };
  if (call.errorCode) {
    record.errorCode = call.errorCode;
    if (call.errorMessage) record.errorMessage = call.errorMessage;
  }
  record.requestParameters = call.requestParameters ? scrubSecrets(call.requestParameters) : null;
  record.responseElements = call.responseElements ? scrubSecrets(call.responseElements) : null;
  if (call.additionalEventData) record.additionalEventData = scrubSecrets(call.additionalEventData);
  record.requestID = call.requestId ?? randomUUID();
  record.eventID = call.eventId ?? randomUUID();
  record.readOnly = call.readOnly ?? false;
  if (call.resources && !call.data) record.resources = call.resources;
  record.eventType = 'AwsApiCall';
  record.managementEvent = !call.data;
  record.recipientAccountId = call.recipientAccountId;
  record.eventCategory = call.data ? 'Data' : 'Management';
  if (call.resources && call.data) record.resources = call.resources;
  return record as CloudTrailRecord;
}

/**
 * Whether a record is a data event (`managementEvent: false` or `eventCategory: "Data"`).
 * "The CloudTrail Event history feature supports only management events" (CloudTrail user guide,
 * "Logging management events"), and LookupEvents "looks up management events or CloudTrail
 * Insights events" (CloudTrail API Reference): a data event exists only where a trail or an event
 * data store selects it.
 */
export function isDataEvent(record: Record<string, unknown>): boolean {
  return record.managementEvent === false || record.eventCategory === 'Data';
}

// ---------------------------------------------------------------------------------------------
// The event history

/** What LookupEvents returns for one event, derived once when the event is stored. */
interface Entry {
  time: number;
  seq: number;
  record: CloudTrailRecord;
  json?: string;
  eventId: string;
  eventName: string;
  eventSource: string;
  readOnly: string;
  username?: string;
  accessKeyId?: string;
  resources: { ResourceType: string; ResourceName: string }[];
}

export type LookupAttributeKey =
  | 'EventId'
  | 'EventName'
  | 'ReadOnly'
  | 'Username'
  | 'ResourceType'
  | 'ResourceName'
  | 'EventSource'
  | 'AccessKeyId';

export const LOOKUP_ATTRIBUTE_KEYS: readonly LookupAttributeKey[] = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
];

function attributeValues(e: Entry, key: LookupAttributeKey): string[] {
  switch (key) {
    case 'EventId':
      return [e.eventId];
    case 'EventName':
      return [e.eventName];
    case 'ReadOnly':
      return [e.readOnly];
    case 'Username':
      return e.username ? [e.username] : [];
    case 'EventSource':
      return [e.eventSource];
    case 'AccessKeyId':
      return e.accessKeyId ? [e.accessKeyId] : [];
    case 'ResourceType':
      return [...new Set(e.resources.map((r) => r.ResourceType))];
    case 'ResourceName':
      return [...new Set(e.resources.map((r) => r.ResourceName))];
  }
}

/** The `Username` LookupEvents shows: the IAM user, the role session name, or `root`. */
function lookupUsername(identity: Record<string, unknown> | undefined): string | undefined {
  if (!identity) return undefined;
  const type = identity.type;
  if (type === 'IAMUser' && typeof identity.userName === 'string') return identity.userName;
  if (type === 'Root') return 'root';
  if (type === 'AssumedRole' && typeof identity.arn === 'string') {
    const parts = identity.arn.split('/');
    return parts[parts.length - 1];
  }
  return typeof identity.userName === 'string' ? identity.userName : undefined;
}

/** Request/response members that name a resource, and the CloudFormation type LookupEvents shows. */
const RESOURCE_MEMBERS: [string, string][] = [
  ['userName', 'AWS::IAM::User'],
  ['roleName', 'AWS::IAM::Role'],
  ['groupName', 'AWS::IAM::Group'],
  ['policyArn', 'AWS::IAM::Policy'],
  ['accessKeyId', 'AWS::IAM::AccessKey'],
  ['roleArn', 'AWS::IAM::Role'],
  ['modelId', 'AWS::Bedrock::Model'],
];

function deriveResources(record: CloudTrailRecord): { ResourceType: string; ResourceName: string }[] {
  const out: { ResourceType: string; ResourceName: string }[] = [];
  const seen = new Set<string>();
  const add = (type: string, name: unknown) => {
    if (typeof name !== 'string' || name === '') return;
    const k = `${type}\u0000${name}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ ResourceType: type, ResourceName: name });
  };
  const scan = (obj: unknown, depth: number) => {
    if (!obj || typeof obj !== 'object' || depth > 2) return;
    for (const [member, type] of RESOURCE_MEMBERS) add(type, (obj as Record<string, unknown>)[member]);
    for (const v of Object.values(obj as Record<string, unknown>)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) scan(v, depth + 1);
    }
  };
  scan(record.requestParameters, 0);
  scan(record.responseElements, 0);
  const resources = record.resources;
  if (Array.isArray(resources)) {
    for (const r of resources as Record<string, unknown>[]) add(String(r.type ?? ''), r.ARN);
  }
  return out;
}

function toEntry(record: CloudTrailRecord, seq: number): Entry {
  const identity = record.userIdentity as Record<string, unknown> | undefined;
  const time = Date.parse(record.eventTime);
  return {
    time: Number.isNaN(time) ? 0 : time,
    seq,
    record,
    eventId: String(record.eventID),
    eventName: String(record.eventName),
    eventSource: String(record.eventSource),
    readOnly: String(record.readOnly === true || record.readOnly === 'true'),
    username: lookupUsername(identity),
    accessKeyId: typeof identity?.accessKeyId === 'string' ? identity.accessKeyId : undefined,
    resources: deriveResources(record),
  };
}

/** Oldest first: earlier time first, then earlier insertion first. */
function olderFirst(a: Entry, b: Entry): number {
  return a.time - b.time || a.seq - b.seq;
}

/**
 * One region's history: entries oldest first (so recording a new event is an append), with a
 * posting list per lookup attribute value, kept in the same order and updated as events arrive.
 * An event older than the newest one (a seeded or back-dated record) marks the lists for one sort
 * and one rebuild at the next lookup.
 */
class RegionHistory {
  entries: Entry[] = [];
  private sorted = true;
  private index = new Map<string, Entry[]>();
  private indexed = false;

  add(entry: Entry): void {
    const last = this.entries[this.entries.length - 1];
    this.entries.push(entry);
    if (last && olderFirst(last, entry) > 0) {
      this.sorted = false;
      this.indexed = false;
    } else if (this.indexed) {
      this.post(entry);
    }
  }

  private post(e: Entry): void {
    for (const key of LOOKUP_ATTRIBUTE_KEYS) {
      for (const v of attributeValues(e, key)) {
        const k = `${key}\u0000${v}`;
        let list = this.index.get(k);
        if (!list) {
          list = [];
          this.index.set(k, list);
        }
        list.push(e);
      }
    }
  }

  /** Entries matching one attribute (or all), oldest first. */
  select(attribute?: { key: LookupAttributeKey; value: string }): Entry[] {
    if (!this.sorted) {
      this.entries.sort(olderFirst);
      this.sorted = true;
    }
    if (!attribute) return this.entries;
    if (!this.indexed) {
      this.index.clear();
      for (const e of this.entries) this.post(e);
      this.indexed = true;
    }
    return this.index.get(`${attribute.key}\u0000${attribute.value}`) ?? [];
  }
}

export interface LookupQuery {
  attribute?: { key: LookupAttributeKey; value: string };
  /** Epoch milliseconds, inclusive. */
  start?: number;
  /** Epoch milliseconds, inclusive. */
  end?: number;
  maxResults: number;
  /** Position after which to continue (from a NextToken). */
  after?: { time: number; seq: number };
}

export interface LookupEvent {
  EventId: string;
  EventName: string;
  ReadOnly: string;
  AccessKeyId?: string;
  EventTime: number;
  EventSource: string;
  Username?: string;
  Resources: { ResourceType: string; ResourceName: string }[];
  CloudTrailEvent: string;
}

export interface LookupPage {
  events: LookupEvent[];
  /** Position of the last event returned when more remain. */
  next?: { time: number; seq: number };
}

/** Number of entries of an oldest-first list at or before `time`. */
function countAtOrBefore(list: Entry[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as Entry).time <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of an oldest-first list strictly before the position (time, seq). */
function countBefore(list: Entry[], pos: { time: number; seq: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid] as Entry;
    if (e.time < pos.time || (e.time === pos.time && e.seq < pos.seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The per-account, per-region event history of the simulated organization, indexed over the
 * state's `accounts[].events` arrays (the state stays the source of truth, so `/_sim/state` shows
 * every event): `sync` indexes what was appended since the last call, and rebuilds an account's
 * index when its array was replaced. Data events in those arrays (calls that happened) are never
 * indexed: CloudTrail's event history has management events only (`isDataEvent`).
 */
export class EventStore {
  private accounts = new Map<
    string,
    { source: unknown[]; count: number; regions: Map<string, RegionHistory> }
  >();
  private seq = 0;

  /** Indexes events appended to the state since the last sync. Cheap when nothing changed. */
  sync(state: SimState): void {
    for (const account of state.accounts) {
      let tracked = this.accounts.get(account.id);
      if (!tracked || tracked.source !== account.events || tracked.count > account.events.length) {
        tracked = { source: account.events, count: 0, regions: new Map() };
        this.accounts.set(account.id, tracked);
      }
      const events = account.events;
      for (; tracked.count < events.length; tracked.count++) {
        const record = events[tracked.count] as CloudTrailRecord;
        if (isDataEvent(record)) continue;
        const region = String(record.awsRegion ?? 'us-east-1');
        let history = tracked.regions.get(region);
        if (!history) {
          history = new RegionHistory();
          tracked.regions.set(region, history);
        }
        history.add(toEntry(record, this.seq++));
      }
    }
  }

  /** Number of indexed events (management events: data events are never indexed). */
  get size(): number {
    let n = 0;
    for (const t of this.accounts.values()) for (const h of t.regions.values()) n += h.entries.length;
    return n;
  }

  /** Regions that hold events for an account. */
  regions(accountId: string): string[] {
    return [...(this.accounts.get(accountId)?.regions.keys() ?? [])];
  }

  /** One page of LookupEvents, newest first. Call `sync` first. */
  lookup(accountId: string, region: string, query: LookupQuery): LookupPage {
    const history = this.accounts.get(accountId)?.regions.get(region);
    if (!history) return { events: [] };
    const list = history.select(query.attribute);
    // Walk backwards (newest first) from the newest entry the query and the token allow.
    let i = (query.after ? countBefore(list, query.after) : list.length) - 1;
    if (query.end !== undefined) i = Math.min(i, countAtOrBefore(list, query.end) - 1);
    const events: LookupEvent[] = [];
    let last: Entry | undefined;
    for (; i >= 0 && events.length < query.maxResults; i--) {
      const e = list[i] as Entry;
      if (query.start !== undefined && e.time < query.start) break;
      events.push(toLookupEvent(e));
      last = e;
    }
    const more =
      last !== undefined && i >= 0 && (query.start === undefined || (list[i] as Entry).time >= query.start);
    return more && last ? { events, next: { time: last.time, seq: last.seq } } : { events };
  }
}

function toLookupEvent(e: Entry): LookupEvent {
  e.json ??= JSON.stringify(e.record);
  const out: LookupEvent = {
    EventId: e.eventId,
    EventName: e.eventName,
    ReadOnly: e.readOnly,
    EventTime: e.time / 1000,
    EventSource: e.eventSource,
    Resources: e.resources,
    CloudTrailEvent: e.json,
  };
  if (e.accessKeyId) out.AccessKeyId = e.accessKeyId;
  if (e.username) out.Username = e.username;
  return out;
}

/** A stable digest of a query's parameters, carried in its NextToken. */
export function queryDigest(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------
// The recorder: every served management call becomes a record in the account's history

/** IAM's (and other global services') home region per partition. */
export const HOME_REGION: Record<string, string> = {
  aws: 'us-east-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-cn': 'cn-north-1',
};

/** Services AWS logs in the partition's home region whatever region the client named. */
const GLOBAL_SERVICES = new Set(['iam', 'organizations']);

/** Throttled calls are not worth a record of their own here. */
const THROTTLING = /^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded)$/;

const NUMERIC_MEMBER = /(Days|Seconds|MaxItems|MaxResults|Duration)$/;

/** Query-protocol form fields (`UserName`, `Tags.member.1.Key`) as CloudTrail request parameters. */
export function requestParametersOf(params: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'Action' || k === 'Version') continue;
    const name = k.charAt(0).toLowerCase() + k.slice(1);
    out[name] =
      typeof v === 'string' && NUMERIC_MEMBER.test(k) && /^\d{1,9}$/.test(v)
        ? Number(v)
        : toCloudTrailShape(v);
  }
  const scrubbed = scrubSecrets(out);
  return Object.keys(scrubbed).length === 0 ? null : scrubbed;
}

/** IAM prints dates in `responseElements` as `Nov 2, 2026, 9:14:06 AM`. */
function ctDates(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => ctDates(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = ctDates(v, k);
    return out;
  }
  if (typeof value === 'string' && /date$/i.test(key) && /^\d{4}-\d\d-\d\dT/.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return cloudTrailDate(new Date(t));
  }
  return value;
}

/** A handler's output as CloudTrail `responseElements`: null when there is nothing to show. */
export function responseElementsOf(output: unknown): Record<string, unknown> | null {
  // Raw answers (a model's output, a stream) never reach the trail.
  if (!output || typeof output !== 'object' || Array.isArray(output) || output instanceof RawResponse)
    return null;
  const shaped = ctDates(scrubSecrets(toCloudTrailShape(output))) as Record<string, unknown>;
  delete shaped.responseMetadata;
  return Object.keys(shaped).length === 0 ? null : shaped;
}

/** Appends one record to an account's history (the state's `events`). */
export function appendRecord(ctx: SimContext, accountId: string, record: CloudTrailRecord): void {
  ctx.account(accountId).events.push(record);
}

/**
 * The `errorCode` CloudTrail shows for a refused call: IAM (query protocol) codes carry the
 * `Exception` suffix there (`NoSuchEntity` → `NoSuchEntityException`), except `AccessDenied`;
 * JSON and REST services log their `__type` as is.
 */
export function cloudTrailErrorCode(protocol: string, code: string): string {
  if (protocol !== 'query' || code === 'AccessDenied' || code.endsWith('Exception')) return code;
  return `${code}Exception`;
}

/**
 * The CallRecorder the server runs after each call: appends a full record to the recipient
 * account's `events` for each call its module's `management(action)` calls a management event,
 * failed calls included (with `errorCode`), throttled ones not. `req.trail` hints override the
 * defaults (docs/simulator.md, "The account keeps its own CloudTrail").
 */
export const cloudTrailRecorder: CallRecorder = (ctx, call) => {
  const { module, req, output, error } = call;
  const trail = req.trail;
  if (trail?.skip) return;
  const management = module.management?.(req.action);
  if (!management) return;
  if (error && THROTTLING.test(error.code)) return;
  const partition = ctx.state.partition;
  const region = GLOBAL_SERVICES.has(module.service) ? (HOME_REGION[partition] ?? 'us-east-1') : req.region;
  const recipient = trail?.recipientAccountId ?? req.caller.account;
  const record = buildRecord({
    userIdentity: trail?.userIdentity ?? userIdentityOf(req.caller, partition),
    eventSource: module.eventSource,
    eventName: req.action,
    region,
    requestParameters:
      trail?.requestParameters !== undefined ? trail.requestParameters : requestParametersOf(req.params),
    responseElements: error
      ? null
      : trail?.responseElements !== undefined
        ? trail.responseElements && (ctDates(trail.responseElements) as Record<string, unknown>)
        : responseElementsOf(output),
    readOnly: management.readOnly,
    additionalEventData: trail?.additionalEventData,
    recipientAccountId: recipient,
    sourceIp: req.sourceIp,
    userAgent: req.userAgent,
    requestId: req.requestId,
    time: req.time,
    errorCode: error ? cloudTrailErrorCode(module.protocol, error.code) : undefined,
    errorMessage: error?.message,
  });
  appendRecord(ctx, recipient, record);
  // As on AWS, the record reaches EventBridge only where a trail logs it (services/events.ts).
  publishCloudTrailRecord(ctx, recipient, record);
};
