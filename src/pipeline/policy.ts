/**
 * The response policy: what the workflow does with an incident once its finding exists.
 * Allowlisted (break-glass) principals are only notified; a severity with auto-revoke enabled is
 * revoked at once; everything else waits for a SOC analyst. Auto-revoke is off unless configured.
 */
import type { CanaryRecord } from './canary';
import { describeTarget, type Incident, SEVERITIES, type Severity } from './incident';

export type TimeoutAction = 'notify-only' | 'contain';
export const TIMEOUT_ACTIONS: readonly TimeoutAction[] = ['notify-only', 'contain'];

export interface ResponsePolicy {
  /** Severities whose incidents are revoked without asking. Empty by default. */
  autoRevoke: Severity[];
  /**
   * Break-glass principals: IAM ARNs (`arn:…:user/x`, `arn:…:role/x`, a trailing `*` matches a
   * prefix) or plain IAM user names. Matched against the acting principal and the key's owner.
   */
  allowlist: string[];
  /** How long an analyst has to decide. */
  approvalTimeoutSeconds: number;
  /** What happens when nobody decides in time. */
  timeoutAction: TimeoutAction;
}

export const DEFAULT_POLICY: ResponsePolicy = {
  autoRevoke: [],
  allowlist: [],
  approvalTimeoutSeconds: 4 * 3600,
  timeoutAction: 'notify-only',
};

export interface Decision {
  /** `canary`: a recorded `bks selftest` canary, resolved by the workflow itself (src/pipeline/canary.ts). */
  action: 'notify' | 'revoke' | 'ask' | 'canary';
  reason: string;
  decidedBy: 'policy';
  timeoutAction: TimeoutAction;
  approvalTimeoutSeconds: number;
}

export class PolicyConfigError extends Error {
  override name = 'PolicyConfigError';
}

/** Parses the policy from its JSON form (an environment variable); names the bad field. */
export function parsePolicy(text: string | undefined): ResponsePolicy {
  if (text === undefined || text.trim() === '') return { ...DEFAULT_POLICY };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PolicyConfigError('response policy is not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyConfigError('response policy must be a JSON object');
  }
  const r = raw as Record<string, unknown>;
  const policy = { ...DEFAULT_POLICY };
  if (r['autoRevoke'] !== undefined) {
    const a = r['autoRevoke'];
    if (!Array.isArray(a) || !a.every((s) => (SEVERITIES as readonly unknown[]).includes(s))) {
      throw new PolicyConfigError(`policy.autoRevoke must be a list of ${SEVERITIES.join(', ')}`);
    }
    policy.autoRevoke = a as Severity[];
  }
  if (r['allowlist'] !== undefined) {
    const a = r['allowlist'];
    if (!Array.isArray(a) || !a.every((s) => typeof s === 'string' && s.length > 0)) {
      throw new PolicyConfigError('policy.allowlist must be a list of ARNs or user names');
    }
    policy.allowlist = a as string[];
  }
  if (r['approvalTimeoutSeconds'] !== undefined) {
    const t = r['approvalTimeoutSeconds'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 60 || t > 31_536_000) {
      throw new PolicyConfigError('policy.approvalTimeoutSeconds must be an integer from 60 to 31536000');
    }
    policy.approvalTimeoutSeconds = t;
  }
  if (r['timeoutAction'] !== undefined) {
    const t = r['timeoutAction'];
    if (!TIMEOUT_ACTIONS.includes(t as TimeoutAction)) {
      throw new PolicyConfigError(`policy.timeoutAction must be one of ${TIMEOUT_ACTIONS.join(', ')}`);
    }
    policy.timeoutAction = t as TimeoutAction;
  }
  return policy;
}

function matches(entry: string, candidate: string): boolean {
  if (entry.endsWith('*')) return candidate.startsWith(entry.slice(0, -1));
  return entry === candidate;
}

/** The identities an allowlist entry may name for this incident. */
function identitiesOf(incident: Incident): string[] {
  const ids = [incident.principal.arn];
  if (incident.principal.userName) ids.push(incident.principal.userName);
  const t = incident.target;
  if ('userName' in t) {
    ids.push(t.userName, `arn:${incident.partition}:iam::${incident.account}:user/${t.userName}`);
  }
  if (t.kind === 'short-term') ids.push(t.signerArn);
  // An assumed-role session is allowlisted through its role ARN (with or without the role's path).
  if (incident.principal.roleArn) ids.push(incident.principal.roleArn);
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(incident.principal.arn);
  if (m) ids.push(`arn:${m[1]}:iam::${m[2]}:role/${m[3]}`);
  return ids;
}

export function allowlistMatch(incident: Incident, allowlist: readonly string[]): string | undefined {
  const ids = identitiesOf(incident);
  return allowlist.find((entry) => ids.some((id) => matches(entry, id)));
}

export function decide(incident: Incident, policy: ResponsePolicy): Decision {
  const common = {
    decidedBy: 'policy' as const,
    timeoutAction: policy.timeoutAction,
    approvalTimeoutSeconds: policy.approvalTimeoutSeconds,
  };
  const allowed = allowlistMatch(incident, policy.allowlist);
  if (allowed) {
    return { ...common, action: 'notify', reason: `principal is allowlisted (break-glass entry ${allowed})` };
  }
  if (policy.autoRevoke.includes(incident.severity)) {
    return {
      ...common,
      action: 'revoke',
      reason: `auto-revoke is enabled for ${incident.severity} incidents: revoking ${describeTarget(incident.target)}`,
    };
  }
  return {
    ...common,
    action: 'ask',
    reason: `auto-revoke is not enabled for ${incident.severity}: asking a SOC analyst`,
  };
}

/** The decision for a recorded `bks selftest` canary: resolve the finding, page nobody, revoke nothing. */
export function canaryDecision(record: CanaryRecord, policy: ResponsePolicy): Decision {
  return {
    action: 'canary',
    reason: `bks selftest canary run ${record.runId} (recorded by ${record.createdBy} at ${record.createdAt})`,
    decidedBy: 'policy',
    timeoutAction: policy.timeoutAction,
    approvalTimeoutSeconds: policy.approvalTimeoutSeconds,
  };
}
