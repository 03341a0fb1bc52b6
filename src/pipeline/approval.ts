/**
 * Analyst approval: the Step Functions task token stays server-side, stored under a random id with
 * a TTL; analysts get a signed, expiring, single-use link (GET shows the request, POST decides) or
 * use the Security Hub custom actions "Approve revoke" / "Reject". Either way the decision records
 * who decided, when, why and through which channel, and resumes the workflow exactly once.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { escapeHtml } from '../util/html';
import { describeTarget, type Incident } from './incident';

export type Verdict = 'approve' | 'reject';

/** What the waiting workflow task receives (the task output). */
export interface ApprovalDecision {
  decision: Verdict;
  by: string;
  at: string;
  reason: string;
  via: 'approval-link' | 'securityhub-custom-action';
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
}

/** An IAM service-specific credential id (`ACCA…`, 20 to 128 word characters). */
const CREDENTIAL_ID = /^\w{16,128}$/;

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
  enrichment?: { inventory?: { credentials?: CredentialChoice[] } };
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
    }));
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
    '"Approve revoke" or "Reject".',
  ].join('\n');
  await deps.notify(
    `[bks] approve revocation? ${input.incident.ruleId} in ${input.incident.account}`,
    message,
  );
  return { approvalId: id, expiresAt };
}

export interface HttpRequest {
  method: string;
  query: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  sourceIp?: string;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ApprovalHttpDeps {
  store: ApprovalStore;
  resume: Resume;
  now: () => Date;
}

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
};

const esc = escapeHtml;

function page(
  statusCode: number,
  title: string,
  inner: string,
  extra: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, ...extra },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${inner}</body></html>`,
  };
}

/** The credential ids a decision names: repeated `credential` form fields, or a JSON string array. */
function credentialField(req: HttpRequest): string[] {
  const body = req.body ?? '';
  if ((req.contentType ?? '').includes('application/json')) {
    try {
      const v = (JSON.parse(body) as Record<string, unknown>)['credential'];
      const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
      return list.map((x) => (typeof x === 'string' ? x.trim() : '\u0000'));
    } catch {
      return [];
    }
  }
  return new URLSearchParams(body).getAll('credential').map((x) => x.trim());
}

/**
 * What an approval covers, checked against the choices the request offered: a credential that is not
 * one of the incident user's credentials is refused before anything is recorded.
 */
function approvalScope(
  record: ApprovalRecord,
  scope: string,
  ids: string[],
): { scope?: 'credentials' | 'user'; credentialIds?: string[] } | { refused: string } {
  const named = ids.filter((x) => x !== '');
  if (scope === '' && named.length === 0) return {};
  if (scope === 'user') {
    if (named.length > 0) return { refused: 'scope user covers every key: name no credential with it.' };
    if (!record.userName) return { refused: 'this incident names no IAM user: scope user does not apply.' };
    return { scope: 'user' };
  }
  if (scope !== '' && scope !== 'credentials') return { refused: 'scope must be credentials or user.' };
  if (named.length === 0) return { refused: 'scope credentials needs at least one credential id.' };
  const known = new Set((record.credentials ?? []).map((c) => c.id));
  for (const id of named) {
    if (!CREDENTIAL_ID.test(id) || !known.has(id)) {
      return {
        refused: record.credentials
          ? `a chosen credential is not a credential of ${record.userName ?? 'the incident user'}: nothing was recorded.`
          : 'the credentials of the incident user could not be read when the request was made: approve the whole user or the incident target, or reject.',
      };
    }
  }
  return { scope: 'credentials', credentialIds: [...new Set(named)] };
}

function choiceForm(record: ApprovalRecord): string {
  const radio = (value: string, label: string, checked = false) =>
    `<label><input type="radio" name="credential" value="${esc(value)}"${checked ? ' checked' : ''}> ${label}</label><br>`;
  const creds = (record.credentials ?? [])
    .map((c) =>
      radio(
        c.id,
        `only ${esc(c.id)}${c.alias ? ` (${esc(c.alias)})` : ''}, ${esc(c.status)}${c.createdAt ? `, created ${esc(c.createdAt)}` : ''}`,
      ),
    )
    .join('');
  return `<fieldset><legend>What to revoke</legend>${radio('', 'the incident target (as detected)', true)}${creds}</fieldset>`;
}

function parseBody(req: HttpRequest): Record<string, string> {
  const body = req.body ?? '';
  if ((req.contentType ?? '').includes('application/json')) {
    try {
      const o = JSON.parse(body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string')) as Record<
        string,
        string
      >;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** The approval endpoint: every refusal names its reason and changes nothing. */
export async function handleApprovalHttp(req: HttpRequest, deps: ApprovalHttpDeps): Promise<HttpResponse> {
  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    return page(405, 'Method not allowed', '<p>Use GET to view and POST to decide.</p>', {
      allow: 'GET, POST',
    });
  }
  const { id, exp, sig } = req.query;
  const expN = Number(exp);
  if (!id || !sig || !exp || !Number.isInteger(expN))
    return page(400, 'Bad link', '<p>The link is incomplete.</p>');
  const key = await deps.store.signingKey();
  if (!verifySignature(key, id, expN, sig))
    return page(403, 'Invalid link', '<p>The link signature is invalid.</p>');
  const nowS = Math.floor(deps.now().getTime() / 1000);
  if (expN <= nowS) return page(410, 'Link expired', '<p>This approval link has expired.</p>');
  const record = await deps.store.get(id);
  if (!record || record.expiresAt <= nowS)
    return page(410, 'Link expired', '<p>This request no longer exists.</p>');
  if (record.status !== 'PENDING') {
    return page(409, 'Already decided', '<p>A decision was already recorded for this request.</p>');
  }
  if (method === 'GET') {
    return page(
      200,
      record.title,
      `<pre>${esc(record.summary)}</pre><p>Finding: ${esc(record.findingId)}</p>` +
        '<form method="post"><label>Your name <input name="by" required maxlength="128"></label><br>' +
        '<label>Reason <input name="reason" required maxlength="1000"></label><br>' +
        choiceForm(record) +
        '<button name="decision" value="approve">Approve revoke</button> ' +
        '<button name="decision" value="reject">Reject</button></form>',
    );
  }
  const form = parseBody(req);
  const decision = form['decision'];
  const by = (form['by'] ?? '').trim();
  const reason = (form['reason'] ?? '').trim();
  if (decision !== 'approve' && decision !== 'reject') {
    return page(400, 'Bad request', '<p>decision must be approve or reject.</p>');
  }
  if (!by || by.length > 128)
    return page(400, 'Bad request', '<p>Say who you are (1 to 128 characters).</p>');
  if (!reason || reason.length > 1000)
    return page(400, 'Bad request', '<p>Give a reason (1 to 1000 characters).</p>');
  if ('key' in form)
    return page(400, 'Bad request', '<p>Name credentials by id (credential), not by key alias.</p>');
  const covered =
    decision === 'approve' ? approvalScope(record, (form['scope'] ?? '').trim(), credentialField(req)) : {};
  if ('refused' in covered) return page(400, 'Bad request', `<p>${esc(covered.refused)}</p>`);
  const outcome: ApprovalDecision = {
    decision,
    by,
    at: deps.now().toISOString(),
    reason,
    via: 'approval-link',
    ...(req.sourceIp ? { sourceIp: req.sourceIp } : {}),
    ...covered,
  };
  const claimed = await deps.store.claim(id, outcome);
  if (!claimed)
    return page(409, 'Already decided', '<p>A decision was already recorded for this request.</p>');
  try {
    await deps.resume(claimed.taskToken, outcome);
  } catch (err) {
    if (err instanceof TaskGoneError) {
      return page(410, 'No longer waiting', '<p>The workflow stopped waiting (timed out or ended).</p>');
    }
    await deps.store.release(id);
    return page(503, 'Try again', '<p>The decision could not be delivered; nothing was recorded.</p>');
  }
  return page(200, 'Decision recorded', `<p>${esc(decision)} recorded for ${esc(record.findingId)}.</p>`);
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

/**
 * Resumes the waiting workflow of each selected finding. The event does not say which console
 * user clicked: the decision records the finding note's author (analysts add the reason as a note
 * first) and otherwise the account, and the custom action's event id for the audit trail.
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
      by: f.Note?.UpdatedBy || `Security Hub user in account ${event.account ?? 'unknown'}`,
      at: event.time ?? deps.now().toISOString(),
      reason:
        f.Note?.Text ||
        `Security Hub custom action "${event.detail?.actionName ?? verdict}" (event ${event.id ?? 'unknown'})`,
      via: 'securityhub-custom-action',
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
}
