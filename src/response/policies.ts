/**
 * The two policies revoke puts on identities, with fixed names so that a second run finds and
 * updates the first run's policy instead of piling up timestamped copies.
 */
import type { KeyBearingService } from '../services';

/** Inline user policy denying the key's service namespaces (`revoke-key --all-keys`). */
export const DENY_POLICY_NAME = 'bks-revoke-deny';
/** Inline policy denying every session issued before a cut-off (short-term keys). */
export const SESSION_POLICY_NAME = 'bks-revoke-sessions';

interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** `bedrock:*`, `bedrock-mantle:*`, … for the given services, sorted and unique. */
export function namespaceActions(services: readonly KeyBearingService[]): string[] {
  return [...new Set(services.flatMap((s) => s.actionNamespaces.map((ns) => `${ns}:*`)))].sort();
}

export function denyNamespacesPolicy(actions: readonly string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'BksRevokeApiKeys', Effect: 'Deny', Action: [...actions].sort(), Resource: '*' }],
  });
}

/** The Deny actions of a policy document written by `denyNamespacesPolicy` (empty if unreadable). */
export function deniedActions(document: string | undefined): string[] {
  if (!document) return [];
  try {
    const doc = JSON.parse(document) as { Statement?: Statement | Statement[] };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    return statements
      .filter(
        (s) =>
          s.Effect === 'Deny' &&
          (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))),
      )
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []));
  } catch {
    return [];
  }
}

export function denySessionsBeforePolicy(cutoffIso: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'BksRevokeSessionsBefore',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoffIso } },
      },
    ],
  });
}

/** The cut-off of a policy written by `denySessionsBeforePolicy`, or undefined if it is not one. */
export function sessionCutoff(document: string | undefined): string | undefined {
  if (!document) return undefined;
  try {
    const doc = JSON.parse(document) as { Statement?: Statement | Statement[] };
    const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
    for (const s of statements) {
      const action = Array.isArray(s.Action) ? s.Action : [s.Action];
      if (s.Effect !== 'Deny' || !action.includes('*')) continue;
      const cond = s.Condition?.DateLessThan ?? {};
      for (const [k, v] of Object.entries(cond)) {
        if (k.toLowerCase() === 'aws:tokenissuetime' && typeof v === 'string') return v;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}
