/**
 * Amazon EventBridge (JSON 1.1, `AWSEvents.*`): rules, targets and event buses kept in the state
 * (`accounts[].eventBridge`, per region and bus), and the delivery of events as EventBridge does it.
 *
 * Every CloudTrail record the simulator writes becomes an "AWS API Call via CloudTrail" event on
 * the default bus of the record's region (IAM and other global services: the partition's home
 * region) of the record's account — but only when a trail logs it (see `trails.ts`: management
 * events per the trail's selectors, data events only where a trail selects them). The event goes to
 * every rule of that bus whose pattern matches and whose state lets it through:
 * - `DISABLED` rules get nothing;
 * - read-only management events reach only rules in state
 *   `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` (EventBridge user guide, "Receiving read-only
 *   management events from AWS services"; which events are read-only: `../read-only-events.ts`);
 *   `ENABLED` rules get everything else.
 * Matched events go to the rule's targets: SQS queues of the simulator get a message, event buses
 * (also of other accounts, when the bus policy allows the sender) route the event through their own
 * rules, and any other target (Lambda, Step Functions, …) is handed to the listeners registered with
 * `onDelivery` — the in-process hook a local pipeline uses to run its handlers. A Lambda target is
 * invoked asynchronously, as on AWS: Lambda accepts the event, and a listener that throws is a
 * function error that Lambda retries and then sends to the function's on-failure destination
 * (`./lambda.ts`); the rule's dead-letter queue gets only what EventBridge could not deliver. For
 * the other targets a listener that throws is a failed delivery: the event goes to the target's
 * dead-letter queue when it has one.
 * Every routed record is traced (`GET /_sim/deliveries`): which trails logged it, which rules
 * matched, what each target did, and which matching rules its state kept out.
 */
import { randomUUID } from 'node:crypto';
import { authorize, callerPrincipal, type PolicyDocument, ruleTargetPrincipal } from '../authz';
import { type ServiceModule, type SimContext, SimError, type SimRequest } from '../core';
import { matchesPattern, type PatternError, parsePattern } from '../eventpattern';
import { withheldFromEnabledRules } from '../read-only-events';
import { ScenarioError, type SimAccount } from '../scenario';
import { trailsLogging } from '../trails';
import { type AsyncInvocationTrace, invokeAsync } from './lambda';
import { enqueue } from './sqs';

export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
const RULE_STATES: readonly RuleState[] = [
  'ENABLED',
  'DISABLED',
  'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
];

/** A target as PutTargets takes it (`Id`, `Arn`, `RoleArn`, `Input`, `DeadLetterConfig`, …). */
export type SimTarget = Record<string, unknown> & { Id: string; Arn: string };

export interface SimRule {
  Name: string;
  Region: string;
  EventBusName: string;
  EventPattern?: string;
  ScheduleExpression?: string;
  State: RuleState;
  Description?: string;
  RoleArn?: string;
  ManagedBy?: string;
  CreatedBy: string;
  Targets: SimTarget[];
}

export interface SimBus {
  Name: string;
  Region: string;
  Description?: string;
  Policy?: string;
  DeadLetterConfig?: { Arn: string };
  CreationTime: string;
  LastModifiedTime: string;
}

export interface SimEventBridge {
  buses: SimBus[];
  rules: SimRule[];
}

/** An EventBridge event as rules match it and targets receive it. */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  [k: string]: unknown;
}

/** What a listener gets to know about the target an event is delivered to. */
export interface DeliveryTarget {
  /** The target as PutTargets stored it (`Id`, `Arn`, `RoleArn`, `Input`, `DeadLetterConfig`, …). */
  target: SimTarget;
  /** Account and region of the rule. */
  account: string;
  region: string;
  eventBusName: string;
  ruleName: string;
  ruleArn: string;
}

/**
 * The hook: called for every matched event whose target the simulator cannot run itself (anything
 * but SQS queues and event buses). `input` is what the target receives (the event, or the
 * target's `Input` / `InputPath` / `InputTransformer` applied to it); `event` the matched event.
 * Throwing (or rejecting) is a function error for a Lambda target (Lambda retries it, then its
 * on-failure destination gets the record: ./lambda.ts) and a failed delivery for any other target.
 */
export type DeliveryListener = (target: DeliveryTarget, input: unknown, event: EventBridgeEvent) => unknown;

export interface TargetOutcome {
  id: string;
  arn: string;
  outcome: 'queued' | 'forwarded' | 'invoked' | 'pending' | 'failed' | 'no-handler';
  error?: string;
  deadLetter?: 'queued' | 'dropped';
  /** A Lambda target: what Lambda did with the event after accepting it (attempts, destination). */
  lambda?: AsyncInvocationTrace;
}

export interface DeliveryTrace {
  at: string;
  eventId: string;
  /** CloudTrail `eventID` of the record (CloudTrail events only). */
  cloudTrailEventId?: string;
  eventName?: string;
  eventSource?: string;
  source: string;
  detailType: string;
  account: string;
  region: string;
  eventBusName: string;
  /** ARNs of the trails that logged the record (CloudTrail events only). */
  trails?: string[];
  rules: { ruleArn: string; state: RuleState; targets: TargetOutcome[] }[];
  /** Rules whose pattern matched but whose state kept the event out. */
  skipped: { ruleArn: string; state: RuleState; reason: string }[];
}

const NAME_RE = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_NAME_RE = /^[/.\-_A-Za-z0-9]{1,256}$/;
const MAX_TARGETS = 5;
const MAX_TRACE = 5000;
const MAX_HOPS = 3;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// Scenario form

/** Scenario form of a bus or rule, after the scenario's JSON Schema checked its shape. */
type Raw = Record<string, unknown>;

function loadBus(b: Raw, home: string, now: string): SimBus {
  const bus: SimBus = {
    Name: b.Name as string,
    Region: (b.Region as string | undefined) ?? home,
    CreationTime: (b.CreationTime as string | undefined) ?? now,
    LastModifiedTime: (b.LastModifiedTime as string | undefined) ?? now,
  };
  if (typeof b.Description === 'string') bus.Description = b.Description;
  if (b.Policy !== undefined) bus.Policy = typeof b.Policy === 'string' ? b.Policy : JSON.stringify(b.Policy);
  if (isObj(b.DeadLetterConfig)) bus.DeadLetterConfig = { Arn: b.DeadLetterConfig.Arn as string };
  return bus;
}

function loadRule(r: Raw, path: string, home: string, accountId: string): SimRule {
  const rule: SimRule = {
    Name: r.Name as string,
    Region: (r.Region as string | undefined) ?? home,
    EventBusName: (r.EventBusName as string | undefined) ?? 'default',
    State: (r.State as RuleState | undefined) ?? 'ENABLED',
    CreatedBy: (r.CreatedBy as string | undefined) ?? accountId,
    Targets: ((r.Targets as Raw[] | undefined) ?? []).map((t) => ({ ...t }) as SimTarget),
  };
  if (r.EventPattern !== undefined) {
    // What a schema cannot say: the pattern must be one EventBridge accepts.
    try {
      rule.EventPattern = JSON.stringify(parsePattern(r.EventPattern));
    } catch (e) {
      throw new ScenarioError(`${path}.EventPattern`, (e as Error).message);
    }
  }
  for (const k of ['ScheduleExpression', 'Description', 'RoleArn', 'ManagedBy'] as const) {
    if (typeof r[k] === 'string') rule[k] = r[k] as string;
  }
  return rule;
}

/**
 * `accounts[i].eventBridge` in the state's form (shape checked by the scenario's JSON Schema);
 * absent → only the default buses, no rules. Regions default to the account's first.
 */
export function loadEventBridge(
  v: unknown,
  path: string,
  accountId: string,
  regions: string[],
  now: string,
): SimEventBridge | undefined {
  if (!isObj(v)) return undefined;
  const home = regions[0] ?? 'us-east-1';
  return {
    buses: ((v.buses as Raw[] | undefined) ?? []).map((b) => loadBus(b, home, now)),
    rules: ((v.rules as Raw[] | undefined) ?? []).map((r, i) =>
      loadRule(r, `${path}.rules[${i}]`, home, accountId),
    ),
  };
}

function ebOf(account: SimAccount): SimEventBridge {
  const a = account as SimAccount & { eventBridge?: SimEventBridge };
  a.eventBridge ??= { buses: [], rules: [] };
  return a.eventBridge;
}

function busArn(ctx: SimContext, region: string, account: string, name: string): string {
  return `arn:${ctx.state.partition}:events:${region}:${account}:event-bus/${name}`;
}

function ruleArn(ctx: SimContext, account: string, rule: SimRule): string {
  const path = rule.EventBusName === 'default' ? rule.Name : `${rule.EventBusName}/${rule.Name}`;
  return `arn:${ctx.state.partition}:events:${rule.Region}:${account}:rule/${path}`;
}

/** A bus name or ARN → the name (ARNs of another account or region are refused, as AWS does). */
function busName(req: SimRequest, v: unknown): string {
  if (v === undefined || v === null || v === '') return 'default';
  if (typeof v !== 'string') throw new SimError('ValidationException', 'EventBusName must be a string', 400);
  const m = /^arn:[\w-]+:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(v);
  if (m) {
    if (m[1] !== req.region || m[2] !== req.caller.account) {
      throw new SimError('ResourceNotFoundException', `Event bus ${v} does not exist.`, 400);
    }
    return m[3]!;
  }
  if (!BUS_NAME_RE.test(v)) throw new SimError('ValidationException', `Invalid event bus name ${v}`, 400);
  return v;
}

function findBus(account: SimAccount, region: string, name: string): SimBus | undefined {
  return ebOf(account).buses.find((b) => b.Region === region && b.Name === name);
}

function busExists(account: SimAccount, region: string, name: string): boolean {
  return name === 'default' || findBus(account, region, name) !== undefined;
}

function requireBus(account: SimAccount, region: string, name: string): void {
  if (!busExists(account, region, name)) {
    throw new SimError('ResourceNotFoundException', `Event bus ${name} does not exist.`, 400);
  }
}

function findRule(account: SimAccount, region: string, bus: string, name: unknown): SimRule | undefined {
  return ebOf(account).rules.find((r) => r.Region === region && r.EventBusName === bus && r.Name === name);
}

function requireRule(account: SimAccount, region: string, bus: string, name: unknown): SimRule {
  const rule = findRule(account, region, bus, name);
  if (!rule)
    throw new SimError(
      'ResourceNotFoundException',
      `Rule ${String(name)} does not exist on EventBus ${bus}.`,
      400,
    );
  return rule;
}

function reqName(v: unknown, member: string): string {
  if (typeof v !== 'string' || !NAME_RE.test(v)) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${String(v)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      400,
    );
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Operations

function putRule(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const name = reqName(p.Name, 'name');
  const bus = busName(req, p.EventBusName);
  const account = ctx.account(req.caller.account);
  requireBus(account, req.region, bus);
  if (p.EventPattern === undefined && p.ScheduleExpression === undefined) {
    throw new SimError(
      'ValidationException',
      'Parameter(s) EventPattern or ScheduleExpression must be specified.',
      400,
    );
  }
  if (p.ScheduleExpression !== undefined && bus !== 'default') {
    throw new SimError(
      'ValidationException',
      'ScheduleExpression is supported only on the default event bus.',
      400,
    );
  }
  let pattern: string | undefined;
  if (p.EventPattern !== undefined) {
    if (typeof p.EventPattern !== 'string')
      throw new SimError('InvalidEventPatternException', 'Event pattern is not valid.', 400);
    try {
      pattern = JSON.stringify(parsePattern(p.EventPattern));
    } catch (e) {
      throw new SimError(
        'InvalidEventPatternException',
        `Event pattern is not valid. Reason: ${(e as PatternError).message}`,
        400,
      );
    }
    // EventBridge keeps the pattern as the caller wrote it.
    pattern = p.EventPattern;
  }
  const state = (p.State ?? 'ENABLED') as RuleState;
  if (!RULE_STATES.includes(state)) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${String(p.State)}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
      400,
    );
  }
  const existing = findRule(account, req.region, bus, name);
  if (existing?.ManagedBy) {
    throw new SimError(
      'ManagedRuleException',
      `Rule ${name} is managed by ${existing.ManagedBy} and cannot be changed.`,
      400,
    );
  }
  const rule: SimRule = existing ?? {
    Name: name,
    Region: req.region,
    EventBusName: bus,
    State: state,
    CreatedBy: req.caller.account,
    Targets: [],
  };
  rule.State = state;
  if (pattern !== undefined) rule.EventPattern = pattern;
  else delete rule.EventPattern;
  if (typeof p.ScheduleExpression === 'string') rule.ScheduleExpression = p.ScheduleExpression;
  else delete rule.ScheduleExpression;
  for (const k of ['Description', 'RoleArn'] as const) {
    if (typeof p[k] === 'string') rule[k] = p[k] as string;
    else delete rule[k];
  }
  if (!existing) ebOf(account).rules.push(rule);
  return { RuleArn: ruleArn(ctx, req.caller.account, rule) };
}

function putTargets(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const account = ctx.account(req.caller.account);
  const rule = requireRule(account, req.region, bus, reqName(p.Rule, 'rule'));
  if (!Array.isArray(p.Targets) || p.Targets.length === 0 || p.Targets.length > 10) {
    throw new SimError('ValidationException', 'Targets must list 1 to 10 targets.', 400);
  }
  const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
  for (const t of p.Targets as unknown[]) {
    if (!isObj(t) || typeof t.Id !== 'string' || !NAME_RE.test(t.Id)) {
      throw new SimError(
        'ValidationException',
        'Target Id must match [\\.\\-_A-Za-z0-9]+ (1-64 characters).',
        400,
      );
    }
    if (typeof t.Arn !== 'string' || !/^arn:[\w-]+:[\w-]+:/.test(t.Arn)) {
      throw new SimError(
        'ValidationException',
        `Parameter ${String(t.Arn)} is not valid. Reason: Provided Arn is not in correct format.`,
        400,
      );
    }
    if (t.Input !== undefined && t.InputPath !== undefined) {
      throw new SimError(
        'ValidationException',
        'Only one of Input, InputPath or InputTransformer may be set.',
        400,
      );
    }
    if (typeof t.Input === 'string') {
      try {
        JSON.parse(t.Input);
      } catch {
        throw new SimError('ValidationException', `Target ${t.Id}: Input is not valid JSON.`, 400);
      }
    }
    const dlq = (t.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
    if (dlq !== undefined && (typeof dlq !== 'string' || !/^arn:[\w-]+:sqs:/.test(dlq))) {
      throw new SimError(
        'ValidationException',
        `Target ${t.Id}: DeadLetterConfig.Arn must be an SQS queue ARN.`,
        400,
      );
    }
    const i = rule.Targets.findIndex((x) => x.Id === t.Id);
    if (i < 0 && rule.Targets.length >= MAX_TARGETS) {
      throw new SimError(
        'LimitExceededException',
        `The requested resource exceeds the maximum number allowed: ${MAX_TARGETS} targets per rule.`,
        400,
      );
    }
    const stored = { ...t } as SimTarget;
    if (i >= 0) rule.Targets[i] = stored;
    else rule.Targets.push(stored);
  }
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}

function removeTargets(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const rule = requireRule(ctx.account(req.caller.account), req.region, bus, reqName(p.Rule, 'rule'));
  if (!Array.isArray(p.Ids) || p.Ids.length === 0)
    throw new SimError('ValidationException', 'Ids must list 1 to 100 target ids.', 400);
  rule.Targets = rule.Targets.filter((t) => !(p.Ids as unknown[]).includes(t.Id));
  return { FailedEntryCount: 0, FailedEntries: [] };
}

function deleteRule(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const account = ctx.account(req.caller.account);
  const rule = findRule(account, req.region, bus, reqName(p.Name, 'name'));
  if (!rule) return {};
  if (rule.Targets.length > 0)
    throw new SimError('ValidationException', "Rule can't be deleted since it has targets.", 400);
  const rules = ebOf(account).rules;
  rules.splice(rules.indexOf(rule), 1);
  return {};
}

function setState(enable: boolean) {
  return (ctx: SimContext, req: SimRequest): unknown => {
    const p = req.params;
    const bus = busName(req, p.EventBusName);
    const rule = requireRule(ctx.account(req.caller.account), req.region, bus, reqName(p.Name, 'name'));
    if (!enable) rule.State = 'DISABLED';
    // EnableRule on a rule that is already enabled (in either enabled state) leaves its state.
    else if (rule.State === 'DISABLED') rule.State = 'ENABLED';
    return {};
  };
}

function describe(ctx: SimContext, account: string, r: SimRule, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { Name: r.Name, Arn: ruleArn(ctx, account, r) };
  if (r.EventPattern !== undefined) out.EventPattern = r.EventPattern;
  if (r.ScheduleExpression !== undefined) out.ScheduleExpression = r.ScheduleExpression;
  out.State = r.State;
  if (r.Description !== undefined) out.Description = r.Description;
  if (r.RoleArn !== undefined) out.RoleArn = r.RoleArn;
  if (r.ManagedBy !== undefined) out.ManagedBy = r.ManagedBy;
  out.EventBusName = r.EventBusName;
  if (full) out.CreatedBy = r.CreatedBy;
  return out;
}

function limitOf(v: unknown): number {
  if (v === undefined) return 100;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100) {
    throw new SimError('ValidationException', 'Limit must be between 1 and 100.', 400);
  }
  return v;
}

function page<T>(items: T[], token: unknown, limit: number): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined && token !== null) {
    const n = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString('utf8')) : Number.NaN;
    if (!Number.isInteger(n) || n < 0)
      throw new SimError('ValidationException', 'The NextToken provided is invalid.', 400);
    start = n;
  }
  const slice = items.slice(start, start + limit);
  return start + limit < items.length
    ? { items: slice, next: Buffer.from(String(start + limit)).toString('base64') }
    : { items: slice };
}

function listRules(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const account = ctx.account(req.caller.account);
  requireBus(account, req.region, bus);
  const prefix = typeof p.NamePrefix === 'string' ? p.NamePrefix : '';
  const rules = ebOf(account)
    .rules.filter((r) => r.Region === req.region && r.EventBusName === bus && r.Name.startsWith(prefix))
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  const { items, next } = page(rules, p.NextToken, limitOf(p.Limit));
  return {
    Rules: items.map((r) => describe(ctx, req.caller.account, r, false)),
    ...(next ? { NextToken: next } : {}),
  };
}

function describeRule(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const account = ctx.account(req.caller.account);
  const rule = findRule(account, req.region, bus, reqName(p.Name, 'name'));
  if (!rule)
    throw new SimError(
      'ResourceNotFoundException',
      `Rule ${String(p.Name)} does not exist on EventBus ${bus}.`,
      400,
    );
  return describe(ctx, req.caller.account, rule, true);
}

function listTargetsByRule(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const bus = busName(req, p.EventBusName);
  const rule = requireRule(ctx.account(req.caller.account), req.region, bus, reqName(p.Rule, 'rule'));
  const { items, next } = page(rule.Targets, p.NextToken, limitOf(p.Limit));
  return { Targets: items, ...(next ? { NextToken: next } : {}) };
}

function busView(
  ctx: SimContext,
  account: string,
  region: string,
  name: string,
  bus?: SimBus,
): Record<string, unknown> {
  const out: Record<string, unknown> = { Name: name, Arn: busArn(ctx, region, account, name) };
  if (bus?.Description) out.Description = bus.Description;
  if (bus?.DeadLetterConfig) out.DeadLetterConfig = bus.DeadLetterConfig;
  if (bus?.Policy) out.Policy = bus.Policy;
  if (bus) {
    out.CreationTime = new Date(bus.CreationTime);
    out.LastModifiedTime = new Date(bus.LastModifiedTime);
  }
  return out;
}

function createEventBus(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  if (typeof p.Name !== 'string' || !/^[.\-_A-Za-z0-9]{1,256}$/.test(p.Name)) {
    throw new SimError(
      'ValidationException',
      'Event bus name must match [\\.\\-_A-Za-z0-9]+ (1-256 characters).',
      400,
    );
  }
  if (p.Name === 'default')
    throw new SimError('ValidationException', 'The event bus name default is reserved.', 400);
  const account = ctx.account(req.caller.account);
  if (findBus(account, req.region, p.Name)) {
    throw new SimError('ResourceAlreadyExistsException', `Event bus ${p.Name} already exists.`, 400);
  }
  const now = ctx.now().toISOString();
  const bus: SimBus = { Name: p.Name, Region: req.region, CreationTime: now, LastModifiedTime: now };
  if (typeof p.Description === 'string') bus.Description = p.Description;
  const dlq = (p.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn;
  if (typeof dlq === 'string') bus.DeadLetterConfig = { Arn: dlq };
  ebOf(account).buses.push(bus);
  const out: Record<string, unknown> = { EventBusArn: busArn(ctx, req.region, req.caller.account, p.Name) };
  if (bus.Description) out.Description = bus.Description;
  if (bus.DeadLetterConfig) out.DeadLetterConfig = bus.DeadLetterConfig;
  return out;
}

function describeEventBus(ctx: SimContext, req: SimRequest): unknown {
  const name = busName(req, req.params.Name);
  const account = ctx.account(req.caller.account);
  requireBus(account, req.region, name);
  return busView(ctx, req.caller.account, req.region, name, findBus(account, req.region, name));
}

function listEventBuses(ctx: SimContext, req: SimRequest): unknown {
  const account = ctx.account(req.caller.account);
  const prefix = typeof req.params.NamePrefix === 'string' ? req.params.NamePrefix : '';
  const custom = ebOf(account).buses.filter((b) => b.Region === req.region);
  const names = ['default', ...custom.map((b) => b.Name).filter((n) => n !== 'default')].filter((n) =>
    n.startsWith(prefix),
  );
  const { items, next } = page(names.sort(), req.params.NextToken, limitOf(req.params.Limit));
  return {
    EventBuses: items.map((n) =>
      busView(ctx, req.caller.account, req.region, n, findBus(account, req.region, n)),
    ),
    ...(next ? { NextToken: next } : {}),
  };
}

function deleteEventBus(ctx: SimContext, req: SimRequest): unknown {
  const name = busName(req, req.params.Name);
  if (name === 'default') throw new SimError('ValidationException', 'Cannot delete event bus default.', 400);
  const eb = ebOf(ctx.account(req.caller.account));
  eb.buses = eb.buses.filter((b) => !(b.Region === req.region && b.Name === name));
  eb.rules = eb.rules.filter((r) => !(r.Region === req.region && r.EventBusName === name));
  return {};
}

/** The bus's state entry, created for the default bus (which is not listed until it has a policy). */
function busEntry(ctx: SimContext, account: SimAccount, region: string, name: string): SimBus {
  let bus = findBus(account, region, name);
  if (!bus) {
    requireBus(account, region, name);
    const now = ctx.now().toISOString();
    bus = { Name: name, Region: region, CreationTime: now, LastModifiedTime: now };
    ebOf(account).buses.push(bus);
  }
  return bus;
}

function putPermission(ctx: SimContext, req: SimRequest): unknown {
  const p = req.params;
  const account = ctx.account(req.caller.account);
  const name = busName(req, p.EventBusName);
  const bus = busEntry(ctx, account, req.region, name);
  if (typeof p.Policy === 'string') {
    try {
      JSON.parse(p.Policy);
    } catch {
      throw new SimError('ValidationException', 'Policy is not valid JSON.', 400);
    }
    bus.Policy = p.Policy;
  } else {
    if (typeof p.StatementId !== 'string' || typeof p.Principal !== 'string') {
      throw new SimError(
        'ValidationException',
        'StatementId and Principal are required without Policy.',
        400,
      );
    }
    const doc = bus.Policy
      ? (JSON.parse(bus.Policy) as { Version?: string; Statement: unknown[] })
      : { Version: '2012-10-17', Statement: [] };
    const statement: Record<string, unknown> = {
      Sid: p.StatementId,
      Effect: 'Allow',
      Principal: p.Principal === '*' ? '*' : { AWS: `arn:${ctx.state.partition}:iam::${p.Principal}:root` },
      Action: p.Action ?? 'events:PutEvents',
      Resource: busArn(ctx, req.region, req.caller.account, name),
    };
    const c = p.Condition as { Type?: string; Key?: string; Value?: string } | undefined;
    if (c?.Key && c.Value) statement.Condition = { [c.Type ?? 'StringEquals']: { [c.Key]: c.Value } };
    doc.Statement = [
      ...doc.Statement.filter((s) => (s as { Sid?: string }).Sid !== p.StatementId),
      statement,
    ];
    bus.Policy = JSON.stringify(doc);
  }
  bus.LastModifiedTime = ctx.now().toISOString();
  return {};
}

/** The bus an entry names: a name in the caller's account and region, or a bus ARN (any account). */
function entryBus(
  ctx: SimContext,
  req: SimRequest,
  v: unknown,
): { account: SimAccount; bus: string; arn: string } {
  const m =
    typeof v === 'string' ? /^arn:[\w-]+:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(v) : null;
  const accountId = m ? m[2]! : req.caller.account;
  const bus = m ? m[3]! : busName(req, v);
  const account = ctx.state.accounts.find((a) => a.id === accountId);
  if ((m && m[1] !== req.region) || !account || !busExists(account, req.region, bus))
    throw new SimError('ResourceNotFoundException', `Event bus ${String(v ?? bus)} does not exist.`, 400);
  return {
    account,
    bus,
    arn: `arn:${ctx.state.partition}:events:${req.region}:${accountId}:event-bus/${bus}`,
  };
}

/**
 * PutEvents is authorized per entry, as EventBridge does: the caller's identity policies and the
 * bus's resource policy together (same account: either may allow; another account: the bus policy
 * must; a Deny in either refuses), with `events:source` and `events:detail-type` of the entry in
 * the request context — so a bus policy's "Deny bks.detect except the stateful function" holds
 * here as on AWS. A refused entry refuses the whole call (AccessDeniedException).
 */
async function putEvents(ctx: SimContext, req: SimRequest): Promise<unknown> {
  const entries = req.params.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
    throw new SimError('ValidationException', 'Entries must list 1 to 10 entries.', 400);
  }
  const principal = callerPrincipal(ctx, req.caller);
  const out: Record<string, string>[] = [];
  const accepted: Array<{ event: EventBridgeEvent; account: string; bus: string; index: number }> = [];
  let failed = 0;
  for (const e of entries as Record<string, unknown>[]) {
    const fail = (code: string, message: string) => {
      failed++;
      out.push({ ErrorCode: code, ErrorMessage: message });
    };
    if (typeof e.Source !== 'string' || typeof e.DetailType !== 'string' || typeof e.Detail !== 'string') {
      fail('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
      continue;
    }
    if (e.Source.startsWith('aws.')) {
      fail('NotAuthorizedForSourceException', `Not authorized for the source ${e.Source}.`);
      continue;
    }
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail);
    } catch {
      fail('MalformedDetail', 'Detail is malformed.');
      continue;
    }
    if (!isObj(detail)) {
      fail('MalformedDetail', 'Detail is malformed.');
      continue;
    }
    let target: { account: SimAccount; bus: string; arn: string };
    try {
      target = entryBus(ctx, req, e.EventBusName);
    } catch (err) {
      fail('ResourceNotFoundException', (err as Error).message);
      continue;
    }
    const policy = findBus(target.account, req.region, target.bus)?.Policy;
    const decision = await authorize(ctx, {
      principal,
      action: 'events:PutEvents',
      resource: target.arn,
      resourceAccount: target.account.id,
      region: req.region,
      time: req.time,
      sourceIp: req.sourceIp,
      context: { 'events:source': e.Source, 'events:detail-type': e.DetailType },
      ...(policy ? { resourcePolicy: JSON.parse(policy) as PolicyDocument } : {}),
    });
    if (!decision.allowed) {
      throw new SimError(
        'AccessDeniedException',
        `User: ${req.caller.arn} is not authorized to perform: events:PutEvents on resource: ${target.arn} ${decision.why}`,
        400,
      );
    }
    const time = typeof e.Time === 'number' ? new Date(e.Time * 1000) : ctx.now();
    const event: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': e.DetailType,
      source: e.Source,
      account: req.caller.account,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: req.region,
      resources: Array.isArray(e.Resources) ? (e.Resources as string[]) : [],
      detail,
    };
    accepted.push({ event, account: target.account.id, bus: target.bus, index: out.length });
    out.push({ EventId: event.id });
  }
  // Routed only once every entry is authorized (a refused entry refuses the whole call).
  for (const a of accepted) route(ctx, { account: a.account, region: req.region, bus: a.bus }, a.event, 0);
  return { FailedEntryCount: failed, Entries: out };
}

// ---------------------------------------------------------------------------------------------
// Delivery

interface Hub {
  listeners: Set<DeliveryListener>;
  trace: DeliveryTrace[];
  pending: Set<Promise<void>>;
}

function hub(ctx: SimContext): Hub {
  let h = ctx.scratch.get('events:hub') as Hub | undefined;
  if (!h) {
    h = { listeners: new Set(), trace: [], pending: new Set() };
    ctx.scratch.set('events:hub', h);
  }
  return h;
}

/** Registers a delivery listener (see `DeliveryListener`); returns the function that removes it. */
export function onDelivery(ctx: SimContext, listener: DeliveryListener): () => void {
  hub(ctx).listeners.add(listener);
  return () => {
    hub(ctx).listeners.delete(listener);
  };
}

/** Resolves once every listener invocation started so far (and any they caused) has finished. */
export async function deliveriesSettled(ctx: SimContext): Promise<void> {
  const h = hub(ctx);
  while (h.pending.size > 0) await Promise.allSettled([...h.pending]);
}

/** The delivery trace, oldest first (the last 5,000 routed events). */
export function deliveryTrace(ctx: SimContext): DeliveryTrace[] {
  return hub(ctx).trace;
}

/** The `source` of a CloudTrail event: `iam.amazonaws.com` → `aws.iam`. */
export function cloudTrailSource(eventSource: string): string {
  return `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`;
}

/**
 * Routes one CloudTrail record the simulator wrote, as EventBridge would: nothing unless a trail
 * logs it, then to the default bus of the record's region in the recipient account.
 */
export function publishCloudTrailRecord(
  ctx: SimContext,
  accountId: string,
  record: Record<string, unknown>,
): void {
  const trails = trailsLogging(ctx.state, accountId, record);
  const region = String(record.awsRegion ?? 'us-east-1');
  const event: EventBridgeEvent = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: cloudTrailSource(String(record.eventSource ?? '')),
    account: accountId,
    time: String(record.eventTime),
    region,
    resources: [],
    detail: record,
  };
  const entry: DeliveryTrace = {
    at: ctx.now().toISOString(),
    eventId: event.id,
    cloudTrailEventId: String(record.eventID ?? ''),
    eventName: String(record.eventName ?? ''),
    eventSource: String(record.eventSource ?? ''),
    source: event.source,
    detailType: event['detail-type'],
    account: accountId,
    region,
    eventBusName: 'default',
    trails: trails.map((t) => t.trail.TrailARN),
    rules: [],
    skipped: [],
  };
  pushTrace(ctx, entry);
  if (trails.length === 0) return;
  matchRules(ctx, { account: accountId, region, bus: 'default' }, event, 0, entry);
}

/**
 * An event an AWS service publishes itself (a GuardDuty finding, …) on the default bus of the
 * event's account and region, delivered through that bus's rules as `PutEvents` would, but without
 * its `aws.*` source refusal (a service may use its own source).
 */
export function publishServiceEvent(ctx: SimContext, event: EventBridgeEvent): void {
  route(ctx, { account: event.account, region: event.region, bus: 'default' }, event, 0);
}

function pushTrace(ctx: SimContext, entry: DeliveryTrace): void {
  const trace = hub(ctx).trace;
  trace.push(entry);
  if (trace.length > MAX_TRACE) trace.splice(0, trace.length - MAX_TRACE);
}

interface BusRef {
  account: string;
  region: string;
  bus: string;
}

function route(ctx: SimContext, where: BusRef, event: EventBridgeEvent, hops: number): void {
  const entry: DeliveryTrace = {
    at: ctx.now().toISOString(),
    eventId: event.id,
    source: event.source,
    detailType: event['detail-type'],
    account: where.account,
    region: where.region,
    eventBusName: where.bus,
    rules: [],
    skipped: [],
  };
  if (event['detail-type'] === 'AWS API Call via CloudTrail') {
    entry.cloudTrailEventId = String(event.detail.eventID ?? '');
    entry.eventName = String(event.detail.eventName ?? '');
    entry.eventSource = String(event.detail.eventSource ?? '');
  }
  pushTrace(ctx, entry);
  matchRules(ctx, where, event, hops, entry);
}

/**
 * Rules' patterns as matched: each stored text (checked and normalized by PutRule) is parsed once
 * per process, not once per event and rule. A text that fails to parse is not kept (it fails again).
 */
const parsedPatterns = new Map<string, Record<string, unknown>>();

function storedPattern(text: string): Record<string, unknown> {
  let pattern = parsedPatterns.get(text);
  if (!pattern) {
    pattern = parsePattern(text);
    if (parsedPatterns.size >= 1000) parsedPatterns.clear();
    parsedPatterns.set(text, pattern);
  }
  return pattern;
}

function matchRules(
  ctx: SimContext,
  where: BusRef,
  event: EventBridgeEvent,
  hops: number,
  entry: DeliveryTrace,
): void {
  const account = ctx.state.accounts.find((a) => a.id === where.account);
  if (!account) return;
  const readOnly = withheldFromEnabledRules(event['detail-type'], event.detail);
  for (const rule of ebOf(account).rules) {
    if (rule.Region !== where.region || rule.EventBusName !== where.bus || rule.EventPattern === undefined)
      continue;
    let matched: boolean;
    try {
      matched = matchesPattern(storedPattern(rule.EventPattern), event);
    } catch {
      matched = false;
    }
    if (!matched) continue;
    const arn = ruleArn(ctx, where.account, rule);
    if (rule.State === 'DISABLED') {
      entry.skipped.push({ ruleArn: arn, state: rule.State, reason: 'rule is disabled' });
      continue;
    }
    if (readOnly && rule.State !== 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') {
      entry.skipped.push({
        ruleArn: arn,
        state: rule.State,
        reason:
          'read-only management events reach only rules in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      });
      continue;
    }
    const outcomes: TargetOutcome[] = [];
    entry.rules.push({ ruleArn: arn, state: rule.State, targets: outcomes });
    for (const target of rule.Targets) {
      outcomes.push(
        deliver(
          ctx,
          {
            target,
            account: where.account,
            region: where.region,
            eventBusName: where.bus,
            ruleName: rule.Name,
            ruleArn: arn,
          },
          event,
          hops,
        ),
      );
    }
  }
}

function jsonPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  const parts = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  let cur: unknown = value;
  for (const p of parts) {
    if (!isObj(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** What the target receives: the event, or Input / InputPath / InputTransformer applied to it. */
export function targetInput(target: SimTarget, event: EventBridgeEvent): unknown {
  if (typeof target.Input === 'string') return JSON.parse(target.Input);
  if (typeof target.InputPath === 'string') return jsonPath(event, target.InputPath);
  const tr = target.InputTransformer as
    | { InputPathsMap?: Record<string, string>; InputTemplate?: string }
    | undefined;
  if (tr && typeof tr.InputTemplate === 'string') {
    const values: Record<string, unknown> = {};
    for (const [k, p] of Object.entries(tr.InputPathsMap ?? {})) values[k] = jsonPath(event, p);
    // Inside quotes a value is inserted as text; elsewhere as JSON.
    const text = tr.InputTemplate.replace(/"<([\w.-]+)>"/g, (_m, k: string) =>
      JSON.stringify(typeof values[k] === 'string' ? values[k] : JSON.stringify(values[k] ?? null)),
    ).replace(/<([\w.-]+)>/g, (_m, k: string) =>
      k === 'aws.events.event.json' ? JSON.stringify(event) : JSON.stringify(values[k] ?? null),
    );
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return event;
}

function deliver(ctx: SimContext, dt: DeliveryTarget, event: EventBridgeEvent, hops: number): TargetOutcome {
  const { target } = dt;
  const outcome: TargetOutcome = { id: target.Id, arn: target.Arn, outcome: 'pending' };
  const failWith = (error: string) => {
    outcome.outcome = 'failed';
    outcome.error = error;
    const dlq = (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn;
    if (dlq) {
      const ok = enqueue(ctx, dlq, JSON.stringify(event), {
        RULE_ARN: { DataType: 'String', StringValue: dt.ruleArn },
        TARGET_ARN: { DataType: 'String', StringValue: target.Arn },
        ERROR_MESSAGE: { DataType: 'String', StringValue: error },
      });
      outcome.deadLetter = ok ? 'queued' : 'dropped';
    }
  };
  let input: unknown;
  try {
    input = targetInput(target, event);
  } catch (e) {
    failWith(`input transformation failed: ${(e as Error).message}`);
    return outcome;
  }
  const service = target.Arn.split(':')[2];
  if (service === 'sqs') {
    if (enqueue(ctx, target.Arn, typeof input === 'string' ? input : JSON.stringify(input)))
      outcome.outcome = 'queued';
    else failWith(`SQS queue ${target.Arn} does not exist`);
    return outcome;
  }
  if (service === 'events') {
    const m = /^arn:[\w-]+:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/.exec(target.Arn);
    const account = m ? ctx.state.accounts.find((a) => a.id === m[2]) : undefined;
    if (!m || !account || !busExists(account, m[1]!, m[3]!)) {
      failWith(`event bus ${target.Arn} does not exist`);
      return outcome;
    }
    if (hops >= MAX_HOPS) {
      failWith('too many event bus hops');
      return outcome;
    }
    // The delivery is a PutEvents on the target bus by the target's role (or the rule's account),
    // judged by the IAM engine with the bus's resource policy (sim/authz.ts), the rule as its
    // aws:SourceArn.
    const policy = findBus(account, m[1]!, m[3]!)?.Policy;
    const principal = ruleTargetPrincipal(ctx, dt.account, target.RoleArn as string | undefined, event.time);
    if (!principal) {
      failWith(`the target's role ${String(target.RoleArn)} does not exist in account ${dt.account}`);
      return outcome;
    }
    track(
      hub(ctx),
      authorize(ctx, {
        principal,
        action: 'events:PutEvents',
        resource: target.Arn,
        resourceAccount: m[2]!,
        region: dt.region,
        time: ctx.now(),
        // The rule is the source of the delivery (aws:SourceArn, aws:SourceAccount).
        context: {
          'events:source': event.source,
          'events:detail-type': event['detail-type'],
          'aws:SourceArn': dt.ruleArn,
          'aws:SourceAccount': dt.account,
        },
        ...(policy ? { resourcePolicy: JSON.parse(policy) as PolicyDocument } : {}),
      }).then((decision) => {
        if (!decision.allowed) {
          failWith(`${principal.arn} may not put events on ${target.Arn}: ${decision.why}`);
          return;
        }
        outcome.outcome = 'forwarded';
        route(ctx, { account: m[2]!, region: m[1]!, bus: m[3]! }, event, hops + 1);
      }),
    );
    return outcome;
  }
  const h = hub(ctx);
  if (h.listeners.size === 0) {
    outcome.outcome = 'no-handler';
    return outcome;
  }
  const runListeners = async () => {
    for (const l of [...h.listeners]) await l(dt, input, event);
  };
  if (service === 'lambda') {
    // EventBridge invokes Lambda asynchronously: Lambda accepts the event (the delivery succeeded,
    // the rule's DLQ is out of it) and its own retries and destinations take over (./lambda.ts).
    const accepted = invokeAsync(ctx, target.Arn, input, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await runListeners();
    });
    outcome.outcome = 'invoked';
    outcome.lambda = accepted.trace;
    track(h, accepted.done);
    return outcome;
  }
  const run = new Promise<void>((resolve) => setImmediate(resolve))
    .then(async () => {
      await runListeners();
      outcome.outcome = 'invoked';
    })
    .catch((e: unknown) => failWith(e instanceof Error ? e.message : String(e)));
  track(h, run);
  return outcome;
}

function track(h: Hub, run: Promise<void>): void {
  const tracked = run.finally(() => h.pending.delete(tracked));
  h.pending.add(tracked);
}

const READ = /^(List|Describe|Test)/;

export const events: ServiceModule = {
  service: 'events',
  protocol: 'json',
  jsonVersion: '1.1',
  targetPrefix: 'AWSEvents',
  throttlingCode: 'ThrottlingException',
  eventSource: 'events.amazonaws.com',
  actions: {
    PutRule: putRule,
    PutTargets: putTargets,
    RemoveTargets: removeTargets,
    DeleteRule: deleteRule,
    EnableRule: setState(true),
    DisableRule: setState(false),
    ListRules: listRules,
    DescribeRule: describeRule,
    ListTargetsByRule: listTargetsByRule,
    CreateEventBus: createEventBus,
    DescribeEventBus: describeEventBus,
    ListEventBuses: listEventBuses,
    DeleteEventBus: deleteEventBus,
    PutPermission: putPermission,
    PutEvents: putEvents,
  },
  // PutEvents is not a management event; reads are not recorded (as for the other services).
  management: (action) => (action === 'PutEvents' || READ.test(action) ? undefined : { readOnly: false }),
  control: {
    'GET /_sim/deliveries': (ctx) => ({ deliveries: deliveryTrace(ctx) }),
    'POST /_sim/deliveries/reset': (ctx) => {
      hub(ctx).trace.length = 0;
      return { ok: true };
    },
  },
};
