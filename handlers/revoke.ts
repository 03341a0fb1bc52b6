/** Workflow step 6: revoke (or contain) the incident's key with src/response, then verify. */
import type { Incident } from '../src/pipeline/incident';
import { revokeIncident } from '../src/pipeline/respond';
import { responderAws } from './lib/aws';
import { begin, logger } from './lib/runtime';

export async function handler(event: {
  mode: 'revoke' | 'contain';
  incident: Incident;
  /** The workflow state: an analyst's approval may narrow the revocation to one key. */
  state?: { approval?: { key?: unknown } };
}) {
  begin('revoke', event.incident.incidentId);
  const aws = await responderAws(event.incident.account);
  const result = await revokeIncident(aws, event.incident, event.mode, {
    recordDir: process.env['BKS_RECORD_DIR'] ?? '/tmp/bks-records',
    ...(typeof event.state?.approval?.key === 'string' ? { key: event.state.approval.key } : {}),
  });
  logger.info('revoked', { mode: result.mode, actions: result.actions, verified: result.verified });
  return result;
}
