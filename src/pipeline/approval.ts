/**
 * Analyst approval: the Step Functions task token stays server-side, stored under a random id with
 * a TTL; analysts get a signed, expiring, single-use link to the approval page (./approval-http.ts:
 * they sign in at the organization's identity provider, read the request, decide) or use the
 * Security Hub custom actions "Approve revoke" / "Reject". Either way the decision records who
 * decided, when, why and through which channel, and resumes the workflow exactly once.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Severity } from '../findings/severity';
import { maskKeysDeep } from '../keys/mask';
import { SERVICES, type ServiceId } from '../services';
import type { Approver } from './approval-auth';
import type { RuleSignals } from './dispatch';
import type { EnrichmentSummary } from './finding-content';
import { describeTarget, type Incident } from './incident';

export type Verdict = 'approve' | 'reject';

/** What the waiting workflow task receives (the task output). */
export interface ApprovalDecision {
  decision: Verdict;
  /** Who decided: the approver's name (or subject) from the ID token; a custom action's note author. */
  by: string;
  /** Through the link: the identity the organization's identity provider verified. */
  approver?: Approver;
  at: string;
  reason: string;
  via: 'approval-link' | 'securityhub-custom-action';
  /** The approval request decided (the workflow's closing step reports back to it). */
  approvalId?: string;
  /** Custom actions: the finding note's `UpdatedBy`, as written (Security Hub does not verify it). */
  noteAuthor?: string;
  sourceIp?: string;
  /**
   * What an approval covers. Absent: the incident's own target (the credential the detection named,
   * or the user). `credentials`: exactly the credentials in `credentialIds`, each one of the choices
   * the request offered (CloudTrail does not say which of a user's keys made a call; the analyst who
   * holds the leaked key does know). `user`: every API key and access key of the incident's user.
   */
  scope?: 'credentials' | 'user';
  /** With `scope: 'credentials'`: IAM service-specific credential ids, never aliases or secrets. */
  credentialIds?: string[];
}

/** One credential of the incident's user the analyst may choose (secret-free, read at request time). */
export interface CredentialChoice {
  id: string;
  /** The alias IAM gives it (`<user>[+N]-at-<account>`), when IAM returned one. */
  alias?: string;
  serviceName: string;
  status: string;
  createdAt?: string;
  expiresAt?: string;
}

/** What the approval page shows besides the choices: secret-free facts from the incident and enrichment. */
export interface ApprovalContext {
  /** The enrichment's timeline summary, as the finding carries it. */
  timeline?: EnrichmentSummary['timeline'];
  /**
   * The signals of the incident, one row per rule: stored with the request (the detected signal),
   * replaced when the page renders by the incident's record (`approval-signals.ts`).
   */
  signals?: RuleSignals[];
  /** Why the page shows fewer signals than the incident may have (the record could not be read). */
  signalsUnknown?: string;
  /** The incident's severity now, when a later signal raised it above the detected one. */
  escalatedTo?: Severity;
  /** What enrichment could not read (those facts are UNKNOWN). */
  errors?: string[];
  /** The incident user as enrichment read it (absent: UNKNOWN); what the plan of each choice depends on. */
  user?: {
    /** Services whose console "phantom" user this is (by name, or by the managed policy the console attaches). */
    phantomOf: ServiceId[];
    activeAccessKeys?: number;
    consolePassword?: boolean;
  };
}

/** What the workflow did with a decision, as its closing step reported it (the finding note's text). */
export interface ApprovalResult {
  stage: string;
  /** The Security Hub finding's note, word for word. */
  note: string;
  actions: string[];
  verified: boolean;
  manualAction: boolean;
  at: string;
}

/** An IAM service-specific credential id (`ACCA…`, 20 to 128 word characters). */
export const CREDENTIAL_ID = /^\w{16,128}$/;

export interface ApprovalRecord {
  id: string;
  taskToken: string;
  incidentId: string;
  findingId: string;
  title: string;
  summary: string;
  createdAt: string;
  /** Epoch seconds after which the link is refused. */
  expiresAt: number;
  status: 'PENDING' | 'DECIDED';
  decision?: ApprovalDecision;
  /** The incident's user, when the incident names one. */
  userName?: string;
  /**
   * The user's credentials as enrichment read them, offered as choices; undefined when they could
   * not be read (then no credential can be chosen by id).
   */
  credentials?: CredentialChoice[];
  /** The incident (secret-free: ids, ARNs, names). */
  incident?: Incident;
  context?: ApprovalContext;
  /** Set by the workflow's closing step once it acted on the decision. */
  result?: ApprovalResult;
}

/**
 * What opening an approval for an incident found. One incident gets one request: the first run
 * stores it (`created`, notify the SOC); the same run retried stores its new task token on it
 * (`resumed`, notify again: the first attempt may have failed before notifying); any other run of
 * the same incident is a `duplicate` and ends without asking (see `requestApproval`).
 */
export interface OpenedApproval {
  status: 'created' | 'resumed' | 'duplicate';
  /** The incident's approval id (this run's new one when `created`). */
  id: string;
  expiresAt: number;
}

/** Storage of pending approvals (DynamoDB in AWS, see `DynamoApprovalStore`). */
export interface ApprovalStore {
  /**
   * Stores the request unless one exists for its incident (atomically: concurrent runs of one
   * incident get exactly one `created`). `execution` identifies the run, so that a retry of the
   * run that made the request (with a new task token) is told apart from another run.
   */
  open(record: ApprovalRecord, execution?: string): Promise<OpenedApproval>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  /** Atomically PENDING → DECIDED; the record as claimed, or undefined if missing or already decided. */
  claim(id: string, decision: ApprovalDecision): Promise<ApprovalRecord | undefined>;
  /** Undo a claim whose resume failed transiently, so the analyst can try again. */
  release(id: string): Promise<void>;
  /** The pending approval id of a Security Hub finding, if any. */
  approvalIdForFinding(findingId: string): Promise<string | undefined>;
  /** The link-signing key: created once, kept in the (encrypted) store, never in config or logs. */
  signingKey(): Promise<Buffer>;
  /** Keeps what the workflow did with the decision, for the page shown after it. */
  recordResult(id: string, result: ApprovalResult): Promise<void>;
}

/** Resumes the waiting task (SendTaskSuccess). Throws `TaskGone` when it no longer waits. */
export type Resume = (taskToken: string, output: ApprovalDecision) => Promise<void>;

export class TaskGoneError extends Error {
  override name = 'TaskGone';
}

export function newApprovalId(): string {
  return randomBytes(32).toString('base64url');
}

function mac(key: Buffer, id: string, exp: number): string {
  return createHmac('sha256', key).update(`bks-approval.v1.${id}.${exp}`).digest('base64url');
}

export function signedLink(baseUrl: string, key: Buffer, id: string, exp: number): string {
  const url = new URL(baseUrl);
  url.searchParams.set('id', id);
  url.searchParams.set('exp', String(exp));
  url.searchParams.set('sig', mac(key, id, exp));
  return url.toString();
}

export function verifySignature(key: Buffer, id: string, exp: number, sig: string): boolean {
  const want = Buffer.from(mac(key, id, exp));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface RequestApprovalInput {
  taskToken: string;
  /** The workflow execution (`$$.Execution.Id`): a retried request of the same run is not a duplicate. */
  execution?: string;
  incident: Incident;
  finding: { id: string; title?: string };
  /** The workflow's enrichment: the user's credentials become the analyst's choices. */
  enrichment?: {
    inventory?: {
      credentials?: CredentialChoice[];
      attachedPolicies?: string[];
      activeAccessKeys?: number;
      consolePassword?: boolean;
    };
    timeline?: {
      events?: number;
      regions?: string[];
      first?: string;
      last?: string;
      sourceIps?: string[];
      userAgents?: string[];
      calls?: Array<{ region: string; model: string; count: number }>;
      truncated?: boolean;
    };
    errors?: string[];
  };
}

/** The credentials an analyst may choose from: only a list enrichment actually read. */
function choicesOf(input: RequestApprovalInput): CredentialChoice[] | undefined {
  const list = input.enrichment?.inventory?.credentials;
  if (!Array.isArray(list)) return undefined;
  return list
    .filter((c) => c && typeof c.id === 'string' && CREDENTIAL_ID.test(c.id))
    .map((c) => ({
      id: c.id,
      ...(typeof c.alias === 'string' ? { alias: c.alias } : {}),
      serviceName: String(c.serviceName),
      status: String(c.status),
      ...(typeof c.createdAt === 'string' ? { createdAt: c.createdAt } : {}),
      ...(typeof c.expiresAt === 'string' ? { expiresAt: c.expiresAt } : {}),
    }));
}

/** What the page shows of the enrichment: counts, regions, IPs, user agents, models (no secret). */
function contextOf(input: RequestApprovalInput): ApprovalContext {
  const e = input.enrichment;
  const tl = e?.timeline;
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 50) : [];
  return {
    ...(tl
      ? {
          timeline: {
            events: Number(tl.events) || 0,
            regions: strings(tl.regions),
            ...(typeof tl.first === 'string' ? { first: tl.first } : {}),
            ...(typeof tl.last === 'string' ? { last: tl.last } : {}),
            sourceIps: strings(tl.sourceIps),
            userAgents: maskKeysDeep(strings(tl.userAgents)),
            calls: (Array.isArray(tl.calls) ? tl.calls : []).slice(0, 50).map((c) => ({
              region: String(c.region),
              model: String(c.model),
              count: Number(c.count) || 0,
            })),
            truncated: tl.truncated === true,
          },
        }
      : {}),
    signals: [
      {
        ruleId: input.incident.guardDuty?.matchedRule ?? input.incident.ruleId,
        ...(input.incident.guardDuty ? { title: input.incident.guardDuty.findingType } : {}),
        severity: input.incident.severity,
        first: input.incident.eventTime,
        last: input.incident.eventTime,
        count: 1,
        regions: [input.incident.region],
      },
    ],
    ...(e?.errors?.length ? { errors: strings(e.errors) } : {}),
    ...userOf(input),
  };
}

/** What enrichment read of the incident user that decides the plan: phantom or not, access keys, password. */
function userOf(input: RequestApprovalInput): Pick<ApprovalContext, 'user'> {
  const t = input.incident.target;
  const inv = input.enrichment?.inventory;
  if (!('userName' in t) || !inv || !Array.isArray(inv.credentials)) return {};
  const policies = Array.isArray(inv.attachedPolicies) ? inv.attachedPolicies : [];
  return {
    user: {
      // As the revocation judges it (src/response/revoke.ts phantomServices).
      phantomOf: SERVICES.filter(
        (s) => t.userName.startsWith(s.phantomUserPrefix) || policies.includes(s.managedPolicyName),
      ).map((s) => s.id),
      ...(typeof inv.activeAccessKeys === 'number' ? { activeAccessKeys: inv.activeAccessKeys } : {}),
      ...(typeof inv.consolePassword === 'boolean' ? { consolePassword: inv.consolePassword } : {}),
    },
  };
}

export interface RequestApprovalDeps {
  store: ApprovalStore;
  baseUrl: string;
  now: () => Date;
  /** Link validity; capped by the approval timeout. */
  linkTtlSeconds: number;
  notify: (subject: string, message: string) => Promise<void>;
  /**
   * Ends a duplicate run's waiting task at once (SendTaskSuccess with `output`): the workflow
   * routes `duplicateOf` to its `Duplicate` end state.
   */
  endDuplicate: (taskToken: string, output: DuplicateOutcome) => Promise<void>;
  newId?: () => string;
}

/** What a duplicate run's approval step returns: the request it joined, never a decision. */
export interface DuplicateOutcome {
  duplicateOf: string;
  incidentId: string;
  at: string;
}

export function incidentSummary(incident: Incident): string {
  const lines = [
    `Rule: ${incident.ruleId} (${incident.severity})`,
    `Event: ${incident.eventName} from ${incident.eventSource} at ${incident.eventTime} (${incident.eventId})`,
    `Account: ${incident.account}, region ${incident.region}`,
    `Actor: ${incident.principal.arn}${incident.sourceIp ? ` from ${incident.sourceIp}` : ''}`,
    `Target: ${describeTarget(incident.target)}`,
  ];
  if (incident.threshold) {
    lines.push(`Threshold: ${incident.threshold.count} events in ${incident.threshold.windowSeconds} s`);
  }
  return lines.join('\n');
}

/**
 * Stores the token under a fresh random id and sends the analyst a signed link (never the token).
 * One incident, one request: when another run of the same incident already asked (duplicate
 * deliveries, a replayed event, simultaneous starts), this run asks nobody and ends at once as a
 * duplicate of that request; the one decision is carried out by the run that asked.
 */
export async function requestApproval(
  input: RequestApprovalInput,
  deps: RequestApprovalDeps,
): Promise<{ approvalId: string; expiresAt: number; duplicate?: true }> {
  if (!input.taskToken) throw new Error('requestApproval: missing task token');
  const now = deps.now();
  const title = input.finding.title ?? `Bedrock key incident ${input.incident.ruleId}`;
  const summary = incidentSummary(input.incident);
  const choices = choicesOf(input);
  const opened = await deps.store.open(
    {
      id: (deps.newId ?? newApprovalId)(),
      taskToken: input.taskToken,
      incidentId: input.incident.incidentId,
      findingId: input.finding.id,
      title,
      summary,
      createdAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + deps.linkTtlSeconds,
      status: 'PENDING',
      ...('userName' in input.incident.target ? { userName: input.incident.target.userName } : {}),
      ...(choices ? { credentials: choices } : {}),
      incident: maskKeysDeep(input.incident),
      context: contextOf(input),
    },
    input.execution,
  );
  const { id, expiresAt } = opened;
  if (opened.status === 'duplicate') {
    await deps.endDuplicate(input.taskToken, {
      duplicateOf: id,
      incidentId: input.incident.incidentId,
      at: now.toISOString(),
    });
    return { approvalId: id, expiresAt, duplicate: true };
  }
  const link = signedLink(deps.baseUrl, await deps.store.signingKey(), id, expiresAt);
  const message = [
    `Approval needed: revoke ${describeTarget(input.incident.target)}?`,
    '',
    summary,
    '',
    `Security Hub finding: ${input.finding.id}`,
    `Decide (single use, expires ${new Date(expiresAt * 1000).toISOString()}): ${link}`,
    'Or, in Security Hub, select the finding, add a note with your reason, and choose the custom action',
    '"Approve revoke" or "Reject" (it acts on the detected target; the console does not reveal who clicked,',
    'so the decision is recorded without a verified approver).',
  ].join('\n');
  await deps.notify(
    `[bks] approve revocation? ${input.incident.ruleId} in ${input.incident.account}`,
    message,
  );
  return { approvalId: id, expiresAt };
}

/** The EventBridge event Security Hub emits when an analyst picks a custom action. */
export interface CustomActionEvent {
  id?: string;
  account?: string;
  time?: string;
  resources?: string[];
  detail?: {
    actionName?: string;
    findings?: Array<{ Id?: string; Note?: { Text?: string; UpdatedBy?: string } }>;
  };
}

export interface CustomActionDeps {
  store: ApprovalStore;
  resume: Resume;
  now: () => Date;
  approveActionArn: string;
  rejectActionArn: string;
}

export interface CustomActionResult {
  findingId: string;
  outcome: 'resumed' | 'no-pending-approval' | 'already-decided' | 'task-gone';
}

/** Who a custom action's decision is recorded as: the console does not say. */
export const CONSOLE_USER =
  'an unidentified Security Hub console user (the custom action event does not say who clicked)';

/**
 * Resumes the waiting workflow of each selected finding. The event does not say which console
 * user clicked, so the decision says exactly that: `by` names no one, the finding note's author
 * field is kept as `noteAuthor` (free text anyone updating the finding can set, not an identity),
 * the note's text is the reason, and the event id goes to the audit trail. The approval page is
 * the way to decide with a verified identity.
 */
export async function handleCustomAction(
  event: CustomActionEvent,
  deps: CustomActionDeps,
): Promise<CustomActionResult[]> {
  const arn = event.resources?.[0];
  const verdict: Verdict | undefined =
    arn === deps.approveActionArn ? 'approve' : arn === deps.rejectActionArn ? 'reject' : undefined;
  if (!verdict) return [];
  const results: CustomActionResult[] = [];
  for (const f of event.detail?.findings ?? []) {
    if (!f.Id) continue;
    const approvalId = await deps.store.approvalIdForFinding(f.Id);
    if (!approvalId) {
      results.push({ findingId: f.Id, outcome: 'no-pending-approval' });
      continue;
    }
    const outcome: ApprovalDecision = {
      decision: verdict,
      by: `${CONSOLE_USER} in account ${event.account ?? 'UNKNOWN'}`,
      at: event.time ?? deps.now().toISOString(),
      reason:
        f.Note?.Text ||
        `Security Hub custom action "${event.detail?.actionName ?? verdict}" (event ${event.id ?? 'unknown'})`,
      via: 'securityhub-custom-action',
      approvalId,
      ...(f.Note?.UpdatedBy ? { noteAuthor: f.Note.UpdatedBy } : {}),
    };
    const claimed = await deps.store.claim(approvalId, outcome);
    if (!claimed) {
      results.push({ findingId: f.Id, outcome: 'already-decided' });
      continue;
    }
    try {
      await deps.resume(claimed.taskToken, outcome);
      results.push({ findingId: f.Id, outcome: 'resumed' });
    } catch (err) {
      if (!(err instanceof TaskGoneError)) {
        await deps.store.release(approvalId);
        throw err;
      }
      results.push({ findingId: f.Id, outcome: 'task-gone' });
    }
  }
  return results;
}

/** An in-memory `ApprovalStore` with the same semantics as the DynamoDB one (tests, local runs). */
export class MemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, ApprovalRecord>();
  /** incident id → the request made for it, and the run that made it. */
  private readonly incidents = new Map<string, { id: string; taskToken: string; execution?: string }>();
  private key = randomBytes(32);
  async open(record: ApprovalRecord, execution?: string): Promise<OpenedApproval> {
    const held = this.incidents.get(record.incidentId);
    if (!held) {
      this.incidents.set(record.incidentId, {
        id: record.id,
        taskToken: record.taskToken,
        ...(execution ? { execution } : {}),
      });
      this.records.set(record.id, structuredClone(record));
      return { status: 'created', id: record.id, expiresAt: record.expiresAt };
    }
    const existing = this.records.get(held.id);
    const sameRun = held.taskToken === record.taskToken || (!!execution && held.execution === execution);
    if (!sameRun || existing?.status === 'DECIDED') {
      return { status: 'duplicate', id: held.id, expiresAt: existing?.expiresAt ?? record.expiresAt };
    }
    held.taskToken = record.taskToken;
    if (existing) existing.taskToken = record.taskToken;
    else this.records.set(held.id, structuredClone({ ...record, id: held.id }));
    return { status: 'resumed', id: held.id, expiresAt: existing?.expiresAt ?? record.expiresAt };
  }
  async get(id: string): Promise<ApprovalRecord | undefined> {
    const r = this.records.get(id);
    return r ? structuredClone(r) : undefined;
  }
  async claim(id: string, decision: ApprovalDecision): Promise<ApprovalRecord | undefined> {
    const r = this.records.get(id);
    if (r?.status !== 'PENDING') return undefined;
    r.status = 'DECIDED';
    r.decision = decision;
    return structuredClone(r);
  }
  async release(id: string): Promise<void> {
    const r = this.records.get(id);
    if (r) {
      r.status = 'PENDING';
      delete r.decision;
    }
  }
  async approvalIdForFinding(findingId: string): Promise<string | undefined> {
    let latest: string | undefined;
    for (const r of this.records.values()) if (r.findingId === findingId) latest = r.id;
    return latest;
  }
  async signingKey(): Promise<Buffer> {
    return this.key;
  }
  async recordResult(id: string, result: ApprovalResult): Promise<void> {
    const r = this.records.get(id);
    if (r) r.result = structuredClone(result);
  }
}
