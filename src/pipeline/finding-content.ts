/**
 * What the pipeline says in Security Hub: the finding's title, description and remediation for an
 * incident (handed to the ASFF builder of `src/findings`), and the workflow status and note for
 * each way the response ends. Pure; never carries a secret (incidents hold none).
 */
import type { ApprovalDecision, CredentialChoice } from './approval';
import { describeTarget, type Incident, type KeyTarget } from './incident';
import type { Decision } from './policy';

/** What enrichment found, summarised; `unavailable` when it failed (fail closed: unknown, not clean). */
export interface EnrichmentSummary {
  status: 'complete' | 'partial' | 'unavailable';
  timeline?: {
    events: number;
    regions: string[];
    first?: string;
    last?: string;
    sourceIps: string[];
    userAgents?: string[];
    /** Bedrock runtime calls per region and model. */
    calls?: Array<{ region: string; model: string; count: number }>;
    truncated: boolean;
  };
  inventory?: {
    userExists?: boolean;
    activeServiceCredentials?: number;
    activeAccessKeys?: number;
    attachedPolicies?: string[];
    /** Whether the user has a console password (a login profile). */
    consolePassword?: boolean;
    /** The user's API keys (ids and aliases, never secrets): the analyst's choices at approval. */
    credentials?: CredentialChoice[];
  };
  errors: string[];
}

export interface FindingContent {
  title: string;
  description: string;
  remediation: string;
  types: string[];
  /** Secret-free facts for `ProductFields` (string → string, ≤ 50 entries). */
  productFields: Record<string, string>;
}

const MAX_TITLE = 256;
const MAX_DESCRIPTION = 1024;
const MAX_TEXT = 512;

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function remediationFor(t: KeyTarget, account: string): string {
  switch (t.kind) {
    case 'service-credential':
      return (
        `Deactivate the key (bks revoke-key, or IAM UpdateServiceSpecificCredential Status=Inactive` +
        `${t.credentialId ? ` for ${t.credentialId}` : ''} on user ${t.userName} in ${account}), review what it ` +
        'did (bks timeline), then delete the key and, for a console phantom user, the user (bks cleanup).'
      );
    case 'access-key':
      return (
        `Deactivate access key ${t.accessKeyId} of ${t.userName} in ${account} (IAM UpdateAccessKey ` +
        'Status=Inactive), review its use (bks timeline) and delete it: an access key on a Bedrock key user ' +
        'is a persistent credential independent of the API key.'
      );
    case 'short-term':
      return (
        `Short-term keys cannot be deactivated one by one: deny bedrock:CallWithBearerToken to ${t.signerArn} ` +
        'with an aws:TokenIssueTime condition (bks revoke-key), and rotate the signing credentials ' +
        `${t.accessKeyId}.`
      );
    case 'user':
      return (
        `Review IAM user ${t.userName} in ${account}: deactivate its Bedrock keys and access keys and ` +
        'remove it if it is an unused console phantom user (bks cleanup).'
      );
  }
}

export function findingContent(incident: Incident, enrichment?: EnrichmentSummary): FindingContent {
  const target = describeTarget(incident.target);
  const title = clip(`${incident.ruleId}: ${incident.eventName} on ${target}`, MAX_TITLE);
  const parts = [
    `${incident.eventName} (${incident.eventSource}) by ${incident.principal.arn} at ${incident.eventTime}` +
      ` in ${incident.region}${incident.sourceIp ? ` from ${incident.sourceIp}` : ''}.`,
    `Target: ${target}.`,
  ];
  if (incident.threshold) {
    parts.push(
      `${incident.threshold.count} matching events within ${incident.threshold.windowSeconds} s` +
        `${incident.threshold.regions ? ` across ${incident.threshold.regions.join(', ')}` : ''}.`,
    );
  }
  if (incident.guardDuty) {
    parts.push(
      `GuardDuty finding ${incident.guardDuty.findingType} (${incident.guardDuty.findingId}), matched by ` +
        `${incident.guardDuty.matchedRule}${incident.guardDuty.matchedRule !== incident.ruleId ? `, correlated with ${incident.ruleId} on the same key` : ''}.`,
    );
  }
  if (!enrichment || enrichment.status === 'unavailable') {
    parts.push('Enrichment unavailable: timeline and inventory are UNKNOWN (not clean).');
  } else {
    const tl = enrichment.timeline;
    if (tl) {
      parts.push(
        `Timeline: ${tl.events}${tl.truncated ? '+' : ''} events in ${tl.regions.join(', ') || 'no region'}` +
          `${tl.first ? ` from ${tl.first}` : ''}${tl.last ? ` to ${tl.last}` : ''}` +
          `${tl.sourceIps.length ? `; source IPs ${tl.sourceIps.slice(0, 5).join(', ')}` : ''}.`,
      );
    }
    const inv = enrichment.inventory;
    if (inv) {
      parts.push(
        `Inventory: user ${inv.userExists === false ? 'absent' : inv.userExists ? 'present' : 'UNKNOWN'}` +
          `${inv.activeServiceCredentials !== undefined ? `, ${inv.activeServiceCredentials} active API keys` : ''}` +
          `${inv.activeAccessKeys !== undefined ? `, ${inv.activeAccessKeys} active access keys` : ''}.`,
      );
    }
    if (enrichment.status === 'partial') parts.push(`Partial enrichment: ${enrichment.errors.join('; ')}.`);
  }
  const productFields: Record<string, string> = {
    'bks/RuleId': incident.ruleId,
    'bks/IncidentId': incident.incidentId,
    'bks/EventId': incident.eventId,
    'bks/TargetKind': incident.target.kind,
  };
  if (incident.guardDuty) {
    productFields['bks/GuardDutyFindingId'] = incident.guardDuty.findingId;
    productFields['bks/GuardDutyFindingType'] = incident.guardDuty.findingType;
  }
  const t = incident.target;
  if ('userName' in t) productFields['bks/UserName'] = t.userName;
  if (t.kind === 'service-credential' && t.credentialId) productFields['bks/CredentialId'] = t.credentialId;
  if ('accessKeyId' in t) productFields['bks/AccessKeyId'] = t.accessKeyId;
  return {
    title,
    description: clip(parts.join(' '), MAX_DESCRIPTION),
    remediation: clip(remediationFor(incident.target, incident.account), MAX_TEXT),
    types: [`Unusual Behaviors/User/${incident.ruleId}`],
    productFields,
  };
}

/** How the response ended; set by the workflow's Pass states. */
export type Stage =
  | 'canary'
  | 'allowlisted'
  | 'rejected'
  | 'timeout-notified'
  | 'contained'
  | 'revoked'
  | 'revoke-failed'
  | 'approval-failed';
export const STAGES: readonly Stage[] = [
  'canary',
  'allowlisted',
  'rejected',
  'timeout-notified',
  'contained',
  'revoked',
  'revoke-failed',
  'approval-failed',
];

export interface RevocationSummary {
  mode: 'revoke' | 'contain';
  actions: string[];
  verified: boolean;
  at: string;
  /** Where each revocation's record was stored (`s3://…`): what `bks restore` undoes it from. */
  records?: string[];
}

/** The workflow state the closing step sees. */
export interface ClosingState {
  incident: Incident;
  decision: Decision;
  outcome: { stage: Stage };
  approval?: ApprovalDecision;
  revocation?: RevocationSummary;
  revocationError?: { Error?: string; Cause?: string };
  approvalError?: { Error?: string; Cause?: string };
}

export interface FindingUpdate {
  workflowStatus: 'NEW' | 'NOTIFIED' | 'RESOLVED' | 'SUPPRESSED';
  note: string;
  subject: string;
  message: string;
}

function who(state: ClosingState): string {
  const a = state.approval;
  return a
    ? // The verified identity last: a note clipped to fit loses it before the who, when and why.
      `${a.decision === 'approve' ? 'approved' : 'rejected'} by ${a.by} at ${a.at} via ${a.via}: ${a.reason}${
        a.approver ? ` (signed in as ${a.approver.sub} at ${a.approver.issuer})` : ''
      }`
    : `by policy: ${state.decision.reason}`;
}

/** One line of an error for a note: the error name and the first line of its cause, no stack. */
export function errorLine(e: { Error?: string; Cause?: string } | undefined): string {
  if (!e) return 'unknown error';
  let cause = e.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) cause = parsed.errorMessage;
  } catch {
    // not JSON: keep the text
  }
  return `${e.Error ?? 'Error'}: ${cause.split('\n')[0] ?? ''}`.trim();
}

/** How to undo a revocation whose record is stored (one record; several: by finding id). */
function undoHint(state: ClosingState): string {
  const records = state.revocation?.records ?? [];
  if (records.length === 0) return '';
  return records.length === 1
    ? ` Undo: bks restore ${records[0]}`
    : ' Undo: bks restore --finding <this finding id> (one record per key)';
}

/** The note with the undo hint kept whole: the note is shortened first when it would not fit. */
function withUndo(note: string, state: ClosingState): string {
  const undo = undoHint(state);
  return undo ? `${clip(note, MAX_TEXT - undo.length)}${undo}` : note;
}

/**
 * What the revocation covered: the incident's target, unless the analyst chose otherwise on the
 * approval page (other keys of the user, or all of them) — the note must name what was acted on.
 */
function coveredTarget(state: ClosingState): string {
  const t = state.incident.target;
  const a = state.approval;
  const user = 'userName' in t ? t.userName : undefined;
  if (a?.decision !== 'approve' || !user) return describeTarget(t);
  if (a.scope === 'user') return `every key of IAM user ${user}`;
  const ids = a.scope === 'credentials' ? (a.credentialIds ?? []) : [];
  if (ids.length === 0) return describeTarget(t);
  if (t.kind === 'service-credential' && ids.length === 1 && ids[0] === t.credentialId)
    return describeTarget(t);
  const detected = t.kind === 'service-credential' && t.credentialId ? t.credentialId : undefined;
  return (
    `API key${ids.length === 1 ? '' : 's'} ${ids.join(', ')} of IAM user ${user} (the analyst's choice` +
    `${detected ? `; the detected key ${detected} ${ids.includes(detected) ? 'is among them' : 'is not'}` : ''})`
  );
}

export function closingUpdate(state: ClosingState): FindingUpdate {
  const target = coveredTarget(state);
  const actions = state.revocation?.actions.length ? ` (${state.revocation.actions.join('; ')})` : '';
  let workflowStatus: FindingUpdate['workflowStatus'];
  let note: string;
  switch (state.outcome.stage) {
    case 'canary':
      workflowStatus = 'RESOLVED';
      note = `Resolved by the pipeline: ${state.decision.reason}. Nobody was paged and nothing was revoked.`;
      break;
    case 'allowlisted':
      workflowStatus = 'NOTIFIED';
      note = `Notified only: ${state.decision.reason}.`;
      break;
    case 'rejected':
      workflowStatus = 'SUPPRESSED';
      note = `Revocation rejected: ${who(state)}.`;
      break;
    case 'timeout-notified':
      workflowStatus = 'NOTIFIED';
      note =
        `No decision within ${state.decision.approvalTimeoutSeconds} s; no action taken (timeout action ` +
        'notify-only). Review and revoke manually if needed.';
      break;
    case 'contained':
      workflowStatus = 'NOTIFIED';
      note =
        `No decision within ${state.decision.approvalTimeoutSeconds} s; contained (reversible) ${target}` +
        `${actions}${state.revocation?.verified ? ', verified' : ''}. Review, then restore or revoke.`;
      note = withUndo(note, state);
      break;
    case 'revoked':
      workflowStatus = 'RESOLVED';
      note = withUndo(
        `Revoked ${target}${actions}${state.revocation?.verified ? ', verified' : ''}; ${who(state)}.`,
        state,
      );
      break;
    case 'revoke-failed':
      workflowStatus = 'NOTIFIED';
      note = `MANUAL ACTION REQUIRED: revoking ${target} failed after retries (${errorLine(state.revocationError)}); ${who(state)}.`;
      break;
    case 'approval-failed':
      workflowStatus = 'NOTIFIED';
      note = `MANUAL ACTION REQUIRED: the approval request could not be sent (${errorLine(state.approvalError)}); nothing was revoked.`;
      break;
  }
  const subject = clip(
    `[bks] ${state.outcome.stage}: ${state.incident.ruleId} in ${state.incident.account}`,
    100,
  );
  return {
    workflowStatus,
    note: clip(note, MAX_TEXT),
    subject,
    message: `${note}\n\nIncident ${state.incident.incidentId}`,
  };
}
