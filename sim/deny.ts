/**
 * The simulator's explicit-Deny check, backed by the project's policy evaluator (`src/policy`):
 * does any Deny statement in these policy documents apply to any of these actions on this resource
 * in this request context? The Bedrock runtime uses it to refuse a revoked key.
 *
 * A document the evaluator cannot read (an unknown operator, a malformed statement) counts as a
 * Deny: the simulator fails closed rather than let a key through a policy it did not understand.
 */
import {
  type PolicyDocument as EvaluatorDocument,
  isExplicitlyDenied,
  PolicyError,
  type RequestContext,
} from '../src/policy/evaluate';

export type PolicyDocument = Record<string, unknown>;
export type { RequestContext };

/**
 * A short description of what denies (`explicit deny` or `unreadable policy: …`) when some Deny in
 * `docs` applies to one of `actions` on `resource`; undefined when none does.
 */
export function matchingDeny(
  docs: (PolicyDocument | string)[],
  actions: string[],
  resource: string,
  context: RequestContext,
): string | undefined {
  for (const raw of docs) {
    let doc: EvaluatorDocument;
    try {
      doc = (typeof raw === 'string' ? JSON.parse(decodeURIComponent(raw)) : raw) as EvaluatorDocument;
    } catch {
      return 'unreadable policy: not JSON';
    }
    for (const action of actions) {
      try {
        if (isExplicitlyDenied([doc], { action, resource, context })) return 'explicit deny';
      } catch (e) {
        if (e instanceof PolicyError) return `unreadable policy: ${e.message}`;
        throw e;
      }
    }
  }
  return undefined;
}
