/** Workflow step 6: revoke (or contain) the incident's key with src/response, then verify. */
import type { Incident } from '../src/pipeline/incident';
import { type ApprovedScope, RevokeError, revokeIncident } from '../src/pipeline/respond';
import { responderAws } from './lib/aws';
import { begin, logger } from './lib/runtime';

/** The approval's scope as the workflow carries it; anything malformed is refused, not ignored. */
function approvedScope(a: { scope?: unknown; credentialIds?: unknown } | undefined): ApprovedScope {
  if (!a || a.scope === undefined) return {};
  if (a.scope === 'user') return { scope: 'user' };
  const ids = a.credentialIds;
  if (a.scope === 'credentials' && Array.isArray(ids) && ids.every((x) => typeof x === 'string')) {
    return { scope: 'credentials', credentialIds: ids as string[] };
  }
  throw new RevokeError('the approval carries a malformed scope: nothing revoked');
}

export async function handler(event: {
  mode: 'revoke' | 'contain';
  incident: Incident;
  /** The workflow state: an analyst's approval may name the credentials it covers. */
  state?: { approval?: { scope?: unknown; credentialIds?: unknown } };
}) {
  begin('revoke', event.incident.incidentId);
  const aws = await responderAws(event.incident.account);
  const result = await revokeIncident(aws, event.incident, event.mode, {
    recordDir: process.env['BKS_RECORD_DIR'] ?? '/tmp/bks-records',
    approved: approvedScope(event.state?.approval),
  });
  logger.info('revoked', { mode: result.mode, actions: result.actions, verified: result.verified });
  return result;
}
