/**
 * Dispatch: one key, one incident; later signals are recorded on it, never swallowed.
 *
 * An incident is per account and subject (`incidentSubject`: the IAM user a long-term key or access
 * key acts as, or a short-term key's signing key). The first signal — a rule match, a threshold
 * crossing or a GuardDuty finding about that subject — opens it and starts its workflow; every later
 * signal of ANY rule within the window (`BKS_DEDUPE_SECONDS`) is recorded on the incident (rule,
 * severity, event id, time, region) in the counter table, and:
 * - less or equally severe than the incident: recorded only (a busy key opens one incident, not a
 *   thousand workflows and approval requests);
 * - more severe while the incident's workflow still runs (e.g. waiting for approval): the incident
 *   is escalated once per level — the finding's severity and note are raised and the SOC is told
 *   (`EscalationEffects`);
 * - more severe after the workflow ended: the incident is handed to a new workflow, started with
 *   this signal (never held for the rest of the window).
 * The execution name comes from the event id (a redelivered event starts nothing new). Input that
 * does not normalize is never gated: the workflow itself sends it to the DLQ.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Severity, severityRank } from '../findings/severity';
import { incidentSubject } from './finding';
import { executionNameFor, type Incident, normalize } from './incident';

/** The incident an input belongs to (`<account>|<subject>`), or undefined if malformed. */
export function incidentKey(input: unknown): string | undefined {
  try {
    const incident = normalize(input);
    return `${incident.account}|${incidentSubject(incident)}`;
  } catch {
    return undefined;
  }
}

/** One signal as the incident records it (secret-free: incidents hold none). */
export interface Signal {
  ruleId: string;
  /** The rule's title, or the GuardDuty finding type. */
  title?: string;
  severity: Severity;
  eventId: string;
  time: string;
  region: string;
}

/** The signals of one rule on an incident, as the approval page lists them. */
export interface RuleSignals {
  ruleId: string;
  title?: string;
  severity: Severity;
  first: string;
  last: string;
  count: number;
  regions: string[];
}

export interface IncidentState {
  key: string;
  /** The execution that opened the incident (its id). */
  incident: string;
  /** The incident's current workflow. */
  execution: string;
  /** Every workflow the incident has had, the current one included. */
  executions: string[];
  /** The incident's severity: its first signal's, raised by escalations. */
  severity: Severity;
  openedAt: string;
  /** When the current workflow (`execution`) took the incident: its opening or its hand-over. */
  heldSince: string;
  /** End of the incident window, epoch ms. */
  untilMs: number;
  signals: RuleSignals[];
}

/** The incident records (DynamoDB on AWS and in bks-sim; memory in unit tests). */
export interface IncidentTable {
  /** Opens the incident of `key` with `name` as its workflow when none is open (none, or expired). */
  open(key: string, name: string, severity: Severity, untilMs: number, nowMs: number): Promise<boolean>;
  read(key: string): Promise<IncidentState | undefined>;
  /**
   * Records a signal on the open incident; false when this signal (rule + event id) was counted
   * before (a redelivery). Throws when no incident is open for `key`.
   */
  record(key: string, signal: Signal, nowMs: number, execution: string): Promise<boolean>;
  /** A signal's own record: the workflow it joined (`bks selftest` traces a rule through it). */
  signal(key: string, ruleId: string, eventId: string): Promise<{ execution?: string } | undefined>;
  /**
   * Raises the incident's severity while `execution` runs it. True for the signal `by` that raised
   * it, until its escalation is marked done (`escalated`): a retried delivery finishes the
   * escalation, a second signal of the same severity does not repeat it.
   */
  escalate(key: string, severity: Severity, execution: string, by: string): Promise<boolean>;
  escalated(key: string, by: string): Promise<void>;
  /** Hands the incident from the ended workflow `from` to a new one, `to`, if `from` still holds it. */
  handOver(
    key: string,
    from: string,
    to: string,
    severity: Severity,
    untilMs: number,
    nowMs: number,
  ): Promise<boolean>;
}

/** An execution's status; MISSING: Step Functions has none of that name (not started, or not yet). */
export type ExecutionStatus = 'RUNNING' | 'ENDED' | 'MISSING';

/**
 * How long a workflow that took an incident may take to exist. The dispatch that opens (or takes
 * over) an incident writes its record first and calls StartExecution next, and EventBridge delivers
 * each rule's copy of one event to its own invocation: a second rule's signal can read the record
 * before the first one's StartExecution has completed. Within this time a holder Step Functions does
 * not know yet is starting, not ended — taking the incident over would start a second workflow for
 * the same key. Later than this it never started (its start failed and its retries gave up): a more
 * severe signal takes the incident over. A failed start is retried by Lambda after a minute or more
 * (the retry holds the incident again), so a minute also covers the holder's own first attempt.
 */
export const HOLDER_START_GRACE_MS = 60_000;

/** What dispatch does beyond the table: Step Functions, Security Hub, SNS. */
export interface DispatchEffects {
  /** The status of an execution of the workflow, by name. */
  status(execution: string): Promise<ExecutionStatus>;
  /** Raises the running incident's finding to the signal's severity and tells the SOC, once. */
  escalate(e: { state: IncidentState; incident: Incident; signal: Signal }): Promise<void>;
}

export type DispatchReason = 'opened' | 'handed-over' | 'recorded' | 'escalated' | 'malformed' | 'ungated';

export interface DispatchDecision {
  name: string;
  start: boolean;
  reason: DispatchReason;
  key?: string;
  /** The incident's state as read when the signal joined it. */
  state?: IncidentState;
}

/**
 * The signal an incident records for a detection match: titled by the GuardDuty finding type for a
 * GuardDuty finding, else by its rule's title (carried in the rule target's input), if any.
 */
export function signalOf(incident: Incident, ruleTitle?: string): Signal {
  const title = incident.guardDuty?.findingType ?? ruleTitle;
  return {
    ruleId: incident.guardDuty?.matchedRule ?? incident.ruleId,
    ...(title ? { title } : {}),
    severity: incident.severity,
    eventId: incident.eventId,
    time: incident.eventTime,
    region: incident.region,
  };
}

function titleOf(input: unknown): string | undefined {
  const t = (input as { title?: unknown } | null)?.title;
  return typeof t === 'string' && t.length > 0 ? t.slice(0, 256) : undefined;
}

export async function decideDispatch(
  input: unknown,
  table: IncidentTable,
  effects: DispatchEffects,
  windowSeconds: number,
  nowMs: number = Date.now(),
): Promise<DispatchDecision> {
  const name = executionNameFor(input);
  let incident: Incident;
  try {
    incident = normalize(input);
  } catch {
    return { name, start: true, reason: 'malformed' };
  }
  if (windowSeconds <= 0) return { name, start: true, reason: 'ungated' };
  const key = `${incident.account}|${incidentSubject(incident)}`;
  const untilMs = nowMs + windowSeconds * 1000;
  const signal = signalOf(incident, titleOf(input));
  const opened = await table.open(key, name, incident.severity, untilMs, nowMs);
  const state = opened ? undefined : await table.read(key);
  if (!opened && !state) throw new Error(`the incident ${key} closed while this signal joined it: retry`);
  await table.record(key, signal, nowMs, opened ? name : (state as IncidentState).execution);
  // This very execution holds the incident: a redelivery after a failed start, or a hand-over.
  if (opened || state?.execution === name) return { name, start: true, reason: 'opened', key };
  const held = state as IncidentState;
  if (severityRank(signal.severity) <= severityRank(held.severity)) {
    return { name, start: false, reason: 'recorded', key, state: held };
  }
  const status = await effects.status(held.execution);
  const starting = status === 'MISSING' && nowMs - Date.parse(held.heldSince) < HOLDER_START_GRACE_MS;
  if (status === 'RUNNING' || starting) {
    const by = `${signal.ruleId}|${signal.eventId}`;
    if (!(await table.escalate(key, signal.severity, held.execution, by))) {
      return { name, start: false, reason: 'recorded', key, state: held };
    }
    await effects.escalate({ state: held, incident, signal });
    await table.escalated(key, by);
    return { name, start: false, reason: 'escalated', key, state: held };
  }
  const mine = await table.handOver(key, held.execution, name, signal.severity, untilMs, nowMs);
  return mine
    ? { name, start: true, reason: 'handed-over', key, state: held }
    : { name, start: false, reason: 'recorded', key, state: held };
}

/** How long a signal's own record (and its redelivery guard) is kept: past EventBridge's 24 h of retries. */
const SIGNAL_TTL_MS = 26 * 3600 * 1000;

/** A signal's claim not counted after this long was left by a stopped function: its retry counts it. */
const STALE_CLAIM_MS = 30_000;

const isConditionFailure = (err: unknown) =>
  err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException';

/** A rule id as part of an attribute name (`n_<rule>`): rule ids are `[A-Za-z0-9._-]`. */
const attr = (prefix: string, ruleId: string) => `${prefix}_${ruleId}`;
const s = (v: AttributeValue | undefined) => (v && 'S' in v ? v.S : undefined);

/**
 * The incident records on the counter table. `open#<account>|<subject>` holds the incident: its
 * current workflow (`execution`), all its workflows, its severity (`rank` for conditions), the
 * window (`ttl`) and, per rule that fired, the count, first and last time, severity, title and
 * regions; `sig#<key>#<rule>#<event id>` is each signal's own record (with the workflow it joined)
 * and its redelivery guard.
 */
export class DynamoIncidentTable implements IncidentTable {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private pk(key: string) {
    return { pk: { S: `open#${key}` } };
  }

  async open(key: string, name: string, severity: Severity, untilMs: number, nowMs: number) {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...this.pk(key),
            execution: { S: name },
            incident: { S: name },
            executions: { SS: [name] },
            severity: { S: severity },
            rank: { N: String(severityRank(severity)) },
            openedAt: { S: new Date(nowMs).toISOString() },
            heldSince: { S: new Date(nowMs).toISOString() },
            ttl: { N: String(Math.ceil(untilMs / 1000)) },
          },
          // Free, or expired: a new incident (its record replaces the old one).
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowMs / 1000)) } },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async read(key: string): Promise<IncidentState | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.pk(key), ConsistentRead: true }),
    );
    return out.Item ? stateOf(key, out.Item) : undefined;
  }

  async signal(key: string, ruleId: string, eventId: string) {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: `sig#${key}#${ruleId}#${eventId}` } },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const execution = s(out.Item['execution']);
    return execution ? { execution } : {};
  }

  async record(key: string, signal: Signal, nowMs: number, execution: string): Promise<boolean> {
    const sigKey = { pk: { S: `sig#${key}#${signal.ruleId}#${signal.eventId}` } };
    try {
      // The signal's own record and claim: a concurrent or later redelivery finds it. A claim whose
      // count never landed (the function stopped in between) is taken over by the retry once stale
      // (Lambda retries an async invocation after a minute or more): a signal is never lost.
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...sigKey,
            ruleId: { S: signal.ruleId },
            severity: { S: signal.severity },
            eventId: { S: signal.eventId },
            time: { S: signal.time },
            region: { S: signal.region },
            ...(signal.title ? { title: { S: signal.title } } : {}),
            execution: { S: execution },
            counted: { BOOL: false },
            claimedAt: { N: String(Math.floor(nowMs / 1000)) },
            ttl: { N: String(Math.ceil((nowMs + SIGNAL_TTL_MS) / 1000)) },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (counted = :false AND claimedAt < :stale)',
          ExpressionAttributeValues: {
            ':false': { BOOL: false },
            ':stale': { N: String(Math.floor((nowMs - STALE_CLAIM_MS) / 1000)) },
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
    const r = signal.ruleId;
    const names = {
      '#rules': 'rules',
      '#n': attr('n', r),
      '#first': attr('first', r),
      '#last': attr('last', r),
      '#sev': attr('sev', r),
      '#title': attr('title', r),
      '#regions': attr('regions', r),
    };
    let old: Record<string, AttributeValue> | undefined;
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.pk(key),
          UpdateExpression:
            'ADD #rules :rule, #n :one, #regions :region SET #first = if_not_exists(#first, :t), #last = :t, #sev = :sev' +
            (signal.title ? ', #title = :title' : ''),
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: signal.title
            ? names
            : Object.fromEntries(Object.entries(names).filter(([k]) => k !== '#title')),
          ExpressionAttributeValues: {
            ':rule': { SS: [r] },
            ':one': { N: '1' },
            ':region': { SS: [signal.region] },
            ':t': { S: signal.time },
            ':sev': { S: signal.severity },
            ...(signal.title ? { ':title': { S: signal.title } } : {}),
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      old = out.Attributes;
    } catch (err) {
      if (isConditionFailure(err)) throw new Error(`no incident is open for ${key}: the signal is retried`);
      throw err;
    }
    // Deliveries arrive out of order now and then: keep the earliest first and the latest last.
    const oldFirst = s(old?.[names['#first']]);
    const oldLast = s(old?.[names['#last']]);
    if (oldFirst && oldFirst > signal.time) await this.setIf(key, names['#first'], signal.time, '>');
    if (oldLast && oldLast > signal.time) await this.setIf(key, names['#last'], oldLast, '<');
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: sigKey,
        UpdateExpression: 'SET counted = :true',
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      }),
    );
    return true;
  }

  /** Sets a time attribute to `value` if it is now `cmp` than it (a concurrent writer may have moved it). */
  private async setIf(key: string, name: string, value: string, cmp: '<' | '>') {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.pk(key),
          UpdateExpression: 'SET #a = :v',
          ConditionExpression: `#a ${cmp} :v`,
          ExpressionAttributeNames: { '#a': name },
          ExpressionAttributeValues: { ':v': { S: value } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /**
   * Gives up an incident `name` opened but could not start (StartExecution failed): deleted only
   * while `name` opened and holds it, so the Lambda retry, or the next signal, opens it again.
   */
  async abandon(key: string, name: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.pk(key),
          ConditionExpression: 'execution = :name AND incident = :name',
          ExpressionAttributeValues: { ':name': { S: name } },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  async escalate(key: string, severity: Severity, execution: string, by: string) {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.pk(key),
          UpdateExpression: 'SET severity = :sev, #rank = :rank, escalatedBy = :by',
          ConditionExpression:
            'execution = :exec AND (#rank < :rank OR (escalatedBy = :by AND (attribute_not_exists(escalationDone) OR escalationDone <> :by)))',
          ExpressionAttributeNames: { '#rank': 'rank' },
          ExpressionAttributeValues: {
            ':sev': { S: severity },
            ':rank': { N: String(severityRank(severity)) },
            ':exec': { S: execution },
            ':by': { S: by },
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async escalated(key: string, by: string) {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.pk(key),
        UpdateExpression: 'SET escalationDone = :by',
        ExpressionAttributeValues: { ':by': { S: by } },
      }),
    );
  }

  async handOver(key: string, from: string, to: string, severity: Severity, untilMs: number, nowMs: number) {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.pk(key),
          UpdateExpression:
            'SET execution = :to, severity = :sev, #rank = :rank, #ttl = :ttl, heldSince = :since ADD executions :tos',
          ConditionExpression: 'execution = :from',
          ExpressionAttributeNames: { '#rank': 'rank', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':to': { S: to },
            ':tos': { SS: [to] },
            ':from': { S: from },
            ':sev': { S: severity },
            ':rank': { N: String(severityRank(severity)) },
            ':ttl': { N: String(Math.ceil(untilMs / 1000)) },
            ':since': { S: new Date(nowMs).toISOString() },
          },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}

/** An incident item → its state (unknown severities read as INFORMATIONAL, never dropped). */
function stateOf(key: string, item: Record<string, AttributeValue>): IncidentState {
  const sev = (v: string | undefined): Severity =>
    (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const).find((x) => x === v) ?? 'INFORMATIONAL';
  const rules = item['rules'] && 'SS' in item['rules'] ? (item['rules'].SS ?? []) : [];
  const signals = rules.map((ruleId): RuleSignals => {
    const title = s(item[attr('title', ruleId)]);
    const regions = item[attr('regions', ruleId)];
    return {
      ruleId,
      ...(title ? { title } : {}),
      severity: sev(s(item[attr('sev', ruleId)])),
      first: s(item[attr('first', ruleId)]) ?? '',
      last: s(item[attr('last', ruleId)]) ?? '',
      count: Number((item[attr('n', ruleId)] as { N?: string } | undefined)?.N ?? 0),
      regions: regions && 'SS' in regions ? [...(regions.SS ?? [])].sort() : [],
    };
  });
  signals.sort((a, b) => a.first.localeCompare(b.first) || a.ruleId.localeCompare(b.ruleId));
  const execution = s(item['execution']) ?? '';
  const executions = item['executions'] && 'SS' in item['executions'] ? (item['executions'].SS ?? []) : [];
  return {
    key,
    incident: s(item['incident']) ?? execution,
    execution,
    executions: executions.length ? executions : [execution],
    severity: sev(s(item['severity'])),
    openedAt: s(item['openedAt']) ?? '',
    // Records written before heldSince existed: their holder took the incident when it opened.
    heldSince: s(item['heldSince']) ?? s(item['openedAt']) ?? '',
    untilMs: Number((item['ttl'] as { N?: string } | undefined)?.N ?? 0) * 1000,
    signals,
  };
}

/** In-memory table with the same semantics (unit tests). */
export class MemoryIncidentTable implements IncidentTable {
  readonly incidents = new Map<
    string,
    IncidentState & { escalatedBy?: string; escalationDone?: string; counted: Set<string> }
  >();

  async open(key: string, name: string, severity: Severity, untilMs: number, nowMs: number) {
    const h = this.incidents.get(key);
    if (h && h.untilMs >= nowMs) return false;
    this.incidents.set(key, {
      key,
      incident: name,
      execution: name,
      executions: [name],
      severity,
      openedAt: new Date(nowMs).toISOString(),
      heldSince: new Date(nowMs).toISOString(),
      untilMs,
      signals: [],
      counted: new Set(),
    });
    return true;
  }

  async read(key: string) {
    const h = this.incidents.get(key);
    if (!h) return undefined;
    const { escalatedBy: _b, escalationDone: _d, counted: _c, ...state } = structuredClone(h);
    state.signals.sort((a, b) => a.first.localeCompare(b.first) || a.ruleId.localeCompare(b.ruleId));
    return state;
  }

  /** Each signal's own record: the workflow it joined, by `<key>#<rule>#<event id>`. */
  readonly signals = new Map<string, string>();

  async signal(key: string, ruleId: string, eventId: string) {
    const execution = this.signals.get(`${key}#${ruleId}#${eventId}`);
    return execution ? { execution } : undefined;
  }

  async record(key: string, signal: Signal, _nowMs: number, execution: string) {
    const h = this.incidents.get(key);
    if (!h) throw new Error(`no incident is open for ${key}: the signal is retried`);
    const id = `${signal.ruleId}#${signal.eventId}`;
    if (h.counted.has(id)) return false;
    h.counted.add(id);
    this.signals.set(`${key}#${id}`, execution);
    let r = h.signals.find((x) => x.ruleId === signal.ruleId);
    if (!r) {
      r = {
        ruleId: signal.ruleId,
        severity: signal.severity,
        first: signal.time,
        last: signal.time,
        count: 0,
        regions: [],
      };
      h.signals.push(r);
    }
    r.count++;
    r.severity = signal.severity;
    if (signal.title) r.title = signal.title;
    if (signal.time < r.first) r.first = signal.time;
    if (signal.time > r.last) r.last = signal.time;
    if (!r.regions.includes(signal.region)) r.regions = [...r.regions, signal.region].sort();
    return true;
  }

  async escalate(key: string, severity: Severity, execution: string, by: string) {
    const h = this.incidents.get(key);
    if (!h || h.execution !== execution) return false;
    const raise = severityRank(h.severity) < severityRank(severity);
    if (!raise && !(h.escalatedBy === by && h.escalationDone !== by)) return false;
    h.severity = severity;
    h.escalatedBy = by;
    return true;
  }

  async escalated(key: string, by: string) {
    const h = this.incidents.get(key);
    if (h) h.escalationDone = by;
  }

  async handOver(key: string, from: string, to: string, severity: Severity, untilMs: number, nowMs: number) {
    const h = this.incidents.get(key);
    if (!h || h.execution !== from) return false;
    const heldSince = new Date(nowMs).toISOString();
    Object.assign(h, { execution: to, severity, untilMs, heldSince, executions: [...h.executions, to] });
    return true;
  }
}
