/**
 * Workflow steps 3 and 7: `import` raises or updates the incident's Security Hub finding;
 * `close` sets its workflow status and a note saying what was decided, by whom and what was done,
 * and returns the SOC notification text.
 */

import { type FindingRef, importFinding, incidentFinding, updateFinding } from '../src/pipeline/finding';
import type { ClosingState, EnrichmentSummary } from '../src/pipeline/finding-content';
import { closingUpdate } from '../src/pipeline/finding-content';
import type { Incident } from '../src/pipeline/incident';
import { responderAws } from './lib/aws';
import { begin, env, logger } from './lib/runtime';

type ImportEvent = {
  action: 'import';
  incident: Incident;
  enrichment?: EnrichmentSummary | { Error: string };
};
type CloseEvent = { action: 'close'; state: ClosingState & { finding: FindingRef } };

export async function handler(event: ImportEvent | CloseEvent) {
  if (event.action === 'import') {
    begin('finding', event.incident.incidentId);
    const enrichment = event.enrichment && 'status' in event.enrichment ? event.enrichment : undefined;
    const finding = incidentFinding(event.incident, enrichment, env('BKS_HOME_REGION'));
    const aws = await responderAws(event.incident.account);
    const ref = await importFinding(aws.securityhub(finding.Region), finding);
    logger.info('finding imported', { findingId: ref.id, severity: finding.Severity.Label });
    return ref;
  }
  const { state } = event;
  begin('finding', state.incident.incidentId);
  const update = closingUpdate(state);
  const aws = await responderAws(state.incident.account);
  await updateFinding(aws.securityhub(state.finding.region), state.finding, update);
  logger.info('finding closed', {
    findingId: state.finding.id,
    stage: state.outcome.stage,
    status: update.workflowStatus,
  });
  return update;
}
